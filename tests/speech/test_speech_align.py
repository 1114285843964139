"""Forced alignment (speech/align.py): eSpeak's exact timeline carried onto other audio by DTW.

The target audio is eSpeak itself in another voice, speed and pitch, with longer or shorter
pauses, so the true word boundaries are known exactly (the target's own events)."""


import numpy as np
import pytest

from xiaonuan.speech import get_engine
from xiaonuan.speech.align import MIN_CONFIDENCE, force_align
from xiaonuan.speech.espeak import EspeakEngine
from conftest import write_wav

EN = ["The flower show opened this morning in the riverside park.",
      "More than a hundred kinds of tulips are on display.", "It runs until the end of May."]
ZH = ["本市春季花展今天上午在滨江公园开幕。", "一百多个品种的郁金香同时展出。", "花展将持续到五月底。"]
OTHER_EN = ["Stock markets fell sharply on Friday after the report.", "Investors are worried about rising prices.",
            "Analysts expect a slow recovery."]
TOLERANCE_MS = 60  # word starts: median and 90th percentile error


def _other_voice(voice, variant, sentences, rate_wpm, pitch, pauses_ms):
    """eSpeak saying `sentences` in another voice variant: a stand-in speaker whose timing is known."""
    engine = EspeakEngine(voice)
    engine.voice = variant  # e.g. en-us+f3: another eSpeak voice variant, same events
    return engine.synthesize(sentences, pauses_ms, lead_ms=700, rate_wpm=rate_wpm, pitch=pitch)


def _word_onsets_s(speech):
    """(sentence, char_start) → start of the word's first sounding phoneme, in seconds."""
    first = {}
    for p in speech.phonemes:
        first.setdefault(p.value.word_index, p.start)
    rate = speech.words.rate_hz
    return {(w.value.sentence_index, w.value.char_start): first.get(k, w.start) / rate
            for k, w in enumerate(speech.words)}


@pytest.mark.parametrize("voice, variant, sentences, language, rate_wpm, pitch, pauses_ms", [
    ("en-us", "en-us+f3", EN, "en", 130, 30, [900, 200, 500]),   # slower, lower, a long pause added
    ("cmn", "cmn+f2", ZH, "zh", 220, 75, [100, 1500, 300]),      # faster, higher, pauses changed
])
def test_word_boundaries_follow_another_voice(voice, variant, sentences, language, rate_wpm, pitch, pauses_ms):
    target = _other_voice(voice, variant, sentences, rate_wpm, pitch, pauses_ms)
    aligned = force_align(target.samples, target.rate_hz, sentences, language)
    assert aligned.ok and aligned.confidence >= MIN_CONFIDENCE
    truth, got = _word_onsets_s(target), _word_onsets_s(aligned)
    assert got.keys() == truth.keys()  # the same written words, in the same places of the text
    errors_ms = np.array([abs(got[k] - truth[k]) * 1000 for k in truth])
    assert np.median(errors_ms) <= TOLERANCE_MS / 2 and np.percentile(errors_ms, 90) <= TOLERANCE_MS, errors_ms
    # sentences start where their first word does, after the pauses the speaker chose
    for s, t in zip(aligned.sentences, target.sentences):
        first = min(v for (si, _), v in truth.items() if si == t.value)
        assert abs(s.start / aligned.sentences.rate_hz - first) < TOLERANCE_MS / 1000
    # phonemes keep eSpeak's symbols, in order, on the target's samples
    assert [p.value.symbol for p in aligned.phonemes][:5] == [p.value.symbol for p in target.phonemes][:5]


@pytest.fixture(scope="module")
def voiceover(tmp_path_factory):
    target = _other_voice("en-us", "en-us+f3", EN, 140, 35, [600, 900, 400])
    path = tmp_path_factory.mktemp("vo") / "voice.wav"
    write_wav(path, target.samples, target.rate_hz)
    return path, target


def test_a_voiceover_of_the_script_is_aligned_and_its_phonemes_drive_the_mouth(voiceover):
    from xiaonuan.motion import plan_motion
    from xiaonuan.timeline import frame_at

    path, target = voiceover
    speech = get_engine(f"recorded:{path}").synthesize(EN, [300] * 3)
    assert speech.timing == "aligned" and not speech.exact_timing and not speech.warnings
    assert len(speech.phonemes) > 50 and [s.value for s in speech.sentences] == [0, 1, 2]
    truth, got = _word_onsets_s(target), _word_onsets_s(speech)
    assert np.median([abs(got[k] - truth[k]) for k in truth]) < TOLERANCE_MS / 1000
    # visemes, not loudness: the lips press on every aligned p/b/m
    fps = 25
    track = plan_motion(speech, "en", fps)
    closed = [p for p in speech.phonemes if p.value.symbol in ("p", "b", "m") and p.end - p.start > 0.05 * 22050]
    assert closed
    for p in closed:
        middle = frame_at((p.start + p.end) // 2, speech.rate_hz, fps)
        assert track.lip_press[middle] > 0.5, (p, track.lip_press[middle - 2:middle + 3])


def test_a_voiceover_of_another_text_falls_back_to_its_pauses(voiceover):
    path, _ = voiceover
    speech = get_engine(f"recorded:{path}").synthesize(OTHER_EN, [300] * 3)
    assert speech.timing == "estimated" and len(speech.phonemes) == 0  # the mouth follows the audio
    assert any("could not be aligned" in w and "confidence" in w for w in speech.warnings)
    assert len(speech.words) == sum(len(s.split()) for s in OTHER_EN) and len(speech.sentences) == 3


def test_confidence_separates_the_right_text_from_a_wrong_one():
    target = _other_voice("en-us", "en-us+f3", EN, 165, 50, [300, 300, 300])
    right = force_align(target.samples, target.rate_hz, EN, "en").confidence
    wrong = force_align(target.samples, target.rate_hz, OTHER_EN, "en").confidence
    assert right >= MIN_CONFIDENCE > wrong and right > 2 * wrong


def test_real_recordings_with_an_unrelated_script_fall_back(shared_media):
    """No transcript ships with the shared recordings: an unrelated script must not be trusted, and the
    fallback still puts each sentence after a pause, at a speech onset."""
    from xiaonuan.speech.recorded import HOP_S, RATE_HZ, frame_db, voiced_mask

    for name, script in [("eng.wav", OTHER_EN), ("sun.wav", ZH)]:
        wav = shared_media / name
        if not wav.is_file():
            pytest.skip(f"{name} is absent")
        speech = get_engine(f"recorded:{wav}").synthesize(script, [300] * len(script))
        assert speech.timing == "estimated" and len(speech.phonemes) == 0, name
        voiced = voiced_mask(frame_db(speech.samples, RATE_HZ))
        for s in speech.sentences:
            k = s.start // int(RATE_HZ * HOP_S)  # in 10 ms frames
            assert voiced[k:k + 5].all() and (k == 0 or not voiced[max(k - 30, 0):k].all()), (name, s)


def test_three_bursts_of_a_tone_are_not_the_three_syllables_of_a_text():
    """The check against wrong texts includes the reference rotated, so on/off structure alone cannot pass."""
    rate = 22050
    t = np.arange(2 * rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 1.5 * t) > 0)).astype(np.float32)
    assert force_align(tone, rate, ["一二三。"], "zh").confidence < MIN_CONFIDENCE
