import numpy as np

from xiaonuan.speech import get_engine
from xiaonuan.speech.cache import CachedEngine


def _f0(x, rate):
    """Median pitch (Hz) of the voiced part by autocorrelation, crude but enough to compare."""
    x = x[np.abs(x) > 0.02 * np.abs(x).max()][: rate]
    ac = np.correlate(x[:4000], x[:4000], "full")[3999:]
    lo, hi = rate // 400, rate // 70
    return rate / (lo + int(np.argmax(ac[lo:hi])))


def test_speed_pitch_and_emphasis_change_the_voice():
    e = get_engine("espeak:cmn")
    base = e.synthesize(["今天天气很好。"], [0], lead_ms=0)
    fast = e.synthesize(["今天天气很好。"], [0], lead_ms=0, rate_wpm=300)
    high = e.synthesize(["今天天气很好。"], [0], lead_ms=0, pitch=90)
    loud = e.synthesize(["今天天气很好。"], [0], lead_ms=0, emphasis=[True])
    assert len(fast.samples) < 0.75 * len(base.samples)
    assert _f0(high.samples, high.rate_hz) > 1.15 * _f0(base.samples, base.rate_hz)
    assert len(loud.samples) > len(base.samples)
    assert np.abs(loud.samples).max() > np.abs(base.samples).max()


def test_speech_is_cached_by_content(tmp_path):
    engine = CachedEngine(get_engine("espeak:cmn"), tmp_path)
    a = engine.synthesize(["增长27%。"], [300])
    b = engine.synthesize(["增长27%。"], [300])
    assert engine.hits == 1 and len(list(tmp_path.glob("*.npz"))) == 1
    assert np.array_equal(a.samples, b.samples) and a.phonemes == b.phonemes and a.words == b.words
    assert a.sentences == b.sentences and b.exact_timing
    engine.synthesize(["增长27%。"], [300], pitch=70)  # another setting, another entry
    assert engine.hits == 1 and len(list(tmp_path.glob("*.npz"))) == 2
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
