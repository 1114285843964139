import numpy as np
import pytest

from xiaonuan.speech import get_engine
from xiaonuan.speech.cache import CachedEngine


def _f0(x, rate):
    """Median pitch (Hz) of the voiced part by autocorrelation, crude but enough to compare."""
    x = x[np.abs(x) > 0.02 * np.abs(x).max()][: rate]
    ac = np.correlate(x[:4000], x[:4000], "full")[3999:]
    lo, hi = rate // 400, rate // 70
    return rate / (lo + int(np.argmax(ac[lo:hi])))


def test_speed_and_pitch_change_the_voice():
    e = get_engine("espeak:cmn")
    base = e.synthesize(["今天天气很好。"], [0], lead_ms=0)
    fast = e.synthesize(["今天天气很好。"], [0], lead_ms=0, rate_wpm=300)
    high = e.synthesize(["今天天气很好。"], [0], lead_ms=0, pitch=90)
    assert len(fast.samples) < 0.75 * len(base.samples)
    assert _f0(high.samples, high.rate_hz) > 1.15 * _f0(base.samples, base.rate_hz)


def _word_voice(speech, text):
    """{written word: (level dB, median pitch Hz, duration s)} over each word's voiced frames."""
    rate, out = speech.rate_hz, {}
    for w in speech.words:
        x = speech.samples[w.start:w.end].astype(np.float64)
        frames = [x[i:i + 1024] for i in range(0, len(x) - 1024, 256)]
        loud = [f for f in frames if np.sqrt(np.mean(f ** 2)) > 0.02]
        pitches = [_frame_f0(f, rate) for f in loud]
        out[text[w.value.char_start:w.value.char_end]] = (20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-9),
                                                          float(np.median(pitches)) if pitches else 0.0,
                                                          (w.end - w.start) / rate)
    return out


def _frame_f0(f, rate):
    ac = np.correlate(f - f.mean(), f - f.mean(), "full")[len(f) - 1:]
    lo, hi = rate // 250, rate // 60  # a male eSpeak voice: 60–250 Hz
    return rate / (lo + int(np.argmax(ac[lo:hi])))


@pytest.mark.parametrize("voice, text, word, neighbours", [
    ("espeak:en-us", "We walk in the big park today.", "big", ("walk", "park", "today")),
    ("espeak:cmn", "我们今天去公园散步。", "今天", ("我", "们", "去", "公", "园")),
])
def test_emphasis_lifts_the_marked_word_and_not_its_neighbours(voice, text, word, neighbours):
    e = get_engine(voice)
    start = text.index(word)
    plain = e.synthesize([text], [0], lead_ms=0)
    marked = e.synthesize([text], [0], lead_ms=0, emphasis=[[(start, start + len(word))]])
    assert [text[w.value.char_start:w.value.char_end] for w in marked.words] == \
        [text[w.value.char_start:w.value.char_end] for w in plain.words]  # words still map to the written text
    assert [p.value.symbol for p in marked.phonemes] == [p.value.symbol for p in plain.phonemes]
    a, b = _word_voice(plain, text), _word_voice(marked, text)
    stressed = [k for k in b if k in word]  # 今天 may be one word or two characters
    for k in stressed:
        assert b[k][0] > a[k][0] + 2.0, f"{k}: {a[k][0]:.1f} → {b[k][0]:.1f} dB"  # louder
        assert b[k][1] > 1.08 * a[k][1], f"{k}: {a[k][1]:.0f} → {b[k][1]:.0f} Hz"  # higher
    for k in neighbours:
        assert abs(b[k][0] - a[k][0]) < 1.5 and abs(b[k][1] / a[k][1] - 1) < 0.06, (k, a[k], b[k])


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


def test_the_render_path_caches_speech_whether_its_sound_comes_now_or_later(tmp_path):
    """A render asks for speech through synthesize_later: a whole voice (eSpeak) is saved at once, a voice
    whose sound comes later (Kokoro) when its make() finishes, and a stopped make saves nothing."""
    whole = CachedEngine(get_engine("espeak:cmn"), tmp_path / "espeak")
    job = whole.synthesize_later(["增长27%。"], [300])
    assert not job.pending and len(list((tmp_path / "espeak").glob("*.npz"))) == 1
    pending = CachedEngine(get_engine("kokoro:xiaonuan-f"), tmp_path / "kokoro")
    job = pending.synthesize_later(["今天开幕。"], [300])
    assert job.pending and not job.make(lambda: True) and not (tmp_path / "kokoro").exists()
    job = pending.synthesize_later(["今天开幕。"], [300])
    assert job.make(lambda: False) and len(list((tmp_path / "kokoro").glob("*.npz"))) == 1
    assert not pending.synthesize_later(["今天开幕。"], [300]).pending and pending.hits == 1


def test_the_cache_keeps_where_the_timing_came_from_and_the_warnings(tmp_path):
    import dataclasses

    from xiaonuan.speech.cache import load_speech, save_speech

    speech = get_engine("espeak:en-us").synthesize(["Hello there."], [300])
    assert speech.timing == "exact"
    aligned = dataclasses.replace(speech, exact_timing=False, timing="aligned", warnings=("clipped", "ok?"))
    save_speech(aligned, tmp_path / "a.npz")
    back = load_speech(tmp_path / "a.npz")
    assert (back.timing, back.exact_timing, back.warnings) == ("aligned", False, ("clipped", "ok?"))
    assert back.phonemes == speech.phonemes and back.words == speech.words
