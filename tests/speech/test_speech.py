import numpy as np
import pytest

from xiaonuan.errors import VoiceError
from xiaonuan.speech import available_voices, get_engine


@pytest.mark.parametrize("voice,sentences", [
    ("espeak:cmn", ["新闻播报，今天天气很好。", "我们爱北京！"]),
    ("espeak:en-us", ["Hello world, my friend.", "Bob's big map!"]),
])
def test_espeak_timeline_is_monotonic_and_covers_the_audio(voice, sentences):
    speech = get_engine(voice).synthesize(sentences, [400, 600])
    rate = speech.rate_hz
    assert rate == 22050 and speech.samples.dtype == np.float32
    ph = speech.phonemes.items
    assert len(ph) > 10
    starts = [p.start for p in ph]
    assert starts == sorted(starts) and all(p.end > p.start for p in ph)
    assert all(a.end <= b.start for a, b in zip(ph, ph[1:]))
    # speech starts after the lead silence and the last phoneme ends at the last sentence's end
    assert 0.25 * rate <= ph[0].start <= 0.4 * rate
    assert abs(ph[-1].end - speech.sentences[-1].end) < 0.05 * rate
    assert len(speech.samples) - ph[-1].end == pytest.approx(0.6 * rate, abs=0.05 * rate)
    # phonemes cover most of each sentence's span (gaps are only short pauses)
    covered = sum(p.end - p.start for p in ph)
    spoken = sum(s.end - s.start for s in speech.sentences)
    assert covered / spoken > 0.8
    # audio is loud where phonemes are and silent in the pause between sentences
    gap = speech.samples[speech.sentences[0].end + 100:speech.sentences[1].start - 100]
    assert np.abs(gap).max() < 1e-3
    loud = np.concatenate([speech.samples[p.start:p.end] for p in ph])
    assert np.sqrt(np.mean(loud ** 2)) > 0.02


def test_mandarin_words_are_characters_with_text_positions():
    text = "新闻播报，今天天气很好。"
    speech = get_engine("espeak:cmn").synthesize([text], [300])
    spans = [(w.value.char_start, w.value.char_end) for w in speech.words]
    # every character belongs to a word; eSpeak reads 很好 as one word
    assert [text[a:b] for a, b in spans] == ["新", "闻", "播", "报", "今", "天", "天", "气", "很好"]
    assert [w.start for w in speech.words] == sorted(w.start for w in speech.words)


def test_bilabials_are_in_the_timeline():
    speech = get_engine("espeak:cmn").synthesize(["爸爸妈妈"], [300])
    symbols = [p.value.symbol for p in speech.phonemes]
    assert symbols.count("p") == 2 and symbols.count("m") == 2


def test_unknown_voices_name_the_choices():
    assert {"espeak:cmn", "espeak:en-us"} <= set(available_voices())
    for bad in ["espeak:klingon", "nope", "festival:cmn", ""]:
        with pytest.raises(VoiceError, match="espeak:cmn"):
            get_engine(bad)


def test_fake_engine_is_deterministic():
    a = get_engine("fake:cmn").synthesize(["你好世界。"], [300])
    b = get_engine("fake:cmn").synthesize(["你好世界。"], [300])
    assert np.array_equal(a.samples, b.samples) and a.phonemes == b.phonemes
    assert len(a.words) == 4


def test_numbers_are_read_as_words_and_words_map_back_to_the_written_text():
    text = "增长27%，达到5.5亿元。"
    speech = get_engine("espeak:cmn").synthesize([text], [300])
    assert not any(p.value.symbol.startswith("(en)") for p in speech.phonemes)
    spans = [(w.value.char_start, w.value.char_end) for w in speech.words]
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert [a for a, _ in spans] == sorted(a for a, _ in spans)
    assert [text[a:b] for a, b in spans] == ["增长", "27%", "达", "到", "5.5", "亿", "元"]
    # 百分之二十七 takes several syllables: the speech is much longer than two digits would be
    assert len(speech.phonemes) > 25


def test_phonemes_point_at_the_word_they_are_spoken_in():
    speech = get_engine("espeak:cmn").synthesize(["增长27%。", "好的。"], [300, 300])
    for p in speech.phonemes:
        w = speech.words[p.value.word_index]
        assert w.start <= p.start < max(w.end, p.start + 1)


def test_say_marks_emphasis_with_asterisks_and_writes_a_wav(tmp_path):
    import wave

    from typer.testing import CliRunner

    from xiaonuan.cli.main import app

    out = tmp_path / "say.wav"
    result = CliRunner().invoke(app, ["say", "我们**今天**去公园", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "reads:    我们今天去公园" in result.output and "**" not in result.output
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getnframes() > 0.5 * w.getframerate()


def test_say_reads_the_line_as_a_script_does_with_its_pauses(tmp_path):
    import wave

    from typer.testing import CliRunner

    from xiaonuan.cli.main import app

    out = tmp_path / "say.wav"
    result = CliRunner().invoke(app, ["say", "第一句。[pause 1.5s]第二句。", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "pause" not in result.output.split("phonemes:")[0]       # the marker is not read
    with wave.open(str(out)) as w:
        rate, pcm = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")
    hop = rate // 100                                                   # 10 ms
    loud = np.abs(pcm[: len(pcm) // hop * hop].astype(np.int32)).reshape(-1, hop).max(axis=1) > 300
    edges = np.flatnonzero(np.diff(loud.astype(np.int8)))
    gaps = np.diff(edges)[1::2] / 100.0 if len(edges) > 2 else np.array([0.0])   # quiet runs between sounds, s
    assert 1.4 <= gaps.max() <= 1.9, gaps


def _symbols(voice: str, text: str) -> list[str]:
    return [p.value.symbol for p in get_engine(voice).synthesize([text], [300]).phonemes]


def test_erhua_words_are_said_in_mandarin_not_spelt_in_english():
    # eSpeak's dictionary has 哪儿 as "na3r5", which it cannot say: "(en) n a three r five"
    for text in ("你去哪儿了？", "我有点儿累。", "一会儿再说，没事儿。"):
        symbols = _symbols("espeak:cmn", text)
        assert not any(s.startswith("(en)") for s in symbols), (text, symbols)
        assert "'@r" in symbols                                       # 儿 is said, as in 女儿
    assert _symbols("espeak:cmn", "他的儿子。")[4:6] == ["'@r", "ts"]   # 儿子 keeps its own reading


@pytest.mark.parametrize("voice, text", [("espeak:cmn", "今天AI很火。"), ("espeak:en-us", "The AI boom.")])
def test_spelt_letters_are_letter_names_not_the_article_a(voice, text):
    symbols = _symbols(voice, text)
    assert any(s.lstrip("',") == "eI" for s in symbols) and "a#" not in symbols, symbols  # "A I": "uh-I"
