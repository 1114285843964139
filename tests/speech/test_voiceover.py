
import numpy as np
import pytest

from xiaonuan.speech import get_engine
from xiaonuan.speech.recorded import RATE_HZ
from conftest import write_wav


def _syllables(n, rate, rng):
    """n buzzing syllables of 0.2 s with 0.05 s gaps (words), as a synthetic voice."""
    t = np.arange(int(0.2 * rate)) / rate
    syl = 0.3 * np.sin(2 * np.pi * 150 * t) * np.sin(np.pi * t / 0.2)
    return np.concatenate([np.concatenate([syl, 0.001 * rng.standard_normal(int(0.05 * rate))]) for _ in range(n)])


def test_sentences_are_aligned_to_the_pauses_of_a_recording(tmp_path):
    rate = 16000
    rng = np.random.default_rng(0)
    pause = 0.001 * rng.standard_normal(int(0.6 * rate))
    # three sentences of 4, 8 and 2 syllables; a short (0.2 s) breath inside the second one
    audio = np.concatenate([pause, _syllables(4, rate, rng), pause, _syllables(4, rate, rng),
                            0.001 * rng.standard_normal(int(0.2 * rate)), _syllables(4, rate, rng), pause,
                            _syllables(2, rate, rng), pause])
    write_wav(tmp_path / "vo.wav", audio, rate)
    speech = get_engine(f"recorded:{tmp_path / 'vo.wav'}").synthesize(
        ["今天天气。", "我们一起去，公园散步。", "好的。"], [300, 300, 300])
    assert not speech.exact_timing and len(speech.phonemes) == 0 and speech.rate_hz == RATE_HZ
    got = [(s.start / RATE_HZ, s.end / RATE_HZ) for s in speech.sentences]
    want = [(0.6, 1.6), (2.2, 4.4), (5.0, 5.5)]
    for (a, b), (c, d) in zip(got, want):
        assert abs(a - c) < 0.08 and abs(b - d) < 0.12
    assert len(speech.words) == 4 + 9 + 2
    assert abs(len(speech.samples) / RATE_HZ - len(audio) / rate) < 0.02


def test_mouth_follows_a_real_recording(shared_media, tmp_path):
    from xiaonuan.motion import plan_motion

    wav = shared_media / "sun.wav"
    if not wav.is_file():
        pytest.skip("sun.wav is absent")
    speech = get_engine(f"recorded:{wav}").synthesize(["第一句话。", "第二句话。"], [300, 300])
    track = plan_motion(speech, "zh", 25)
    assert abs(track.duration_s - 22.5) < 0.2
    db = 10 * np.log10(np.array([np.mean(speech.samples[i * 882:(i + 1) * 882] ** 2) + 1e-10
                                 for i in range(track.n_frames)]))
    n = min(len(db), track.n_frames)
    assert np.corrcoef(db[:n], track.jaw_open[:n])[0, 1] > 0.5
    assert track.jaw_open[:n][db[:n] <= np.percentile(db[:n], 5)].mean() < 0.1


def test_a_missing_voiceover_file_is_an_input_error(tmp_path):
    from xiaonuan.errors import VoiceError

    with pytest.raises(VoiceError, match="does not exist"):
        get_engine(f"recorded:{tmp_path / 'none.wav'}")
