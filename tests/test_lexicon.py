import pytest

from xiaonuan.lexicon import LexiconError, layered, load_lexicon, parse_lexicon, prepare
from xiaonuan.speech import get_engine

LEXICON = """\
zh:
  银行: yin2 hang2
  行走: {pinyin: xing2 zou3}
  还钱: huan2 qian2     # eSpeak's own dictionary says hái here
  APP: {say: 诶屁屁}
en:
  Xiaonuan: {say: Shyao nwan}
"""


def _word_phonemes(speech, text, word):
    """Phoneme symbols spoken in the (first) word whose written text is `word`."""
    k = next(i for i, w in enumerate(speech.words) if text[w.value.char_start:w.value.char_end] == word)
    return [p.value.symbol.lstrip("',") for p in speech.phonemes if p.value.word_index == k]


def test_polyphone_hang_and_xing_differ_in_the_phoneme_timeline(tmp_path):
    (tmp_path / "lexicon.yaml").write_text(LEXICON, encoding="utf-8")
    lex = load_lexicon(tmp_path / "lexicon.yaml")
    text = "他从银行行走回家，还钱给我。"
    speech = get_engine("espeak:cmn").synthesize([text], [300], lexicon=lex)
    bank, walk = _word_phonemes(speech, text, "银行"), _word_phonemes(speech, text, "行走")
    assert bank[-3:] == ["X", "A", "N"]          # háng
    assert walk[:3] == ["S;", "i", "N"]          # xíng
    assert _word_phonemes(speech, text, "还钱")[:2] == ["X", "ua"]  # huán, not hái
    # subtitles keep the written text: every word maps back to characters of the sentence
    assert "".join(text[w.value.char_start:w.value.char_end] for w in speech.words) == "他从银行行走回家还钱给我"


def test_without_the_lexicon_espeak_reads_huan_as_hai():
    text = "还钱给我。"
    speech = get_engine("espeak:cmn").synthesize([text], [300])
    assert _word_phonemes(speech, text, "还")[:2] == ["X", "ai"]


def test_prepare_keeps_numbers_and_lexicon_words_apart():
    lex = parse_lexicon({"zh": {"APP": {"say": "诶屁屁"}, "银行": "yin2 hang2"}})
    p = prepare("打开APP，银行利率3%。", "zh", lex)
    assert p.text == "打开 诶屁屁，yin2 hang2 利率百分之三。"
    app = p.text.index("诶")
    assert p.source_span(app, app + 3) == (2, 5)
    pct = p.text.index("百")
    assert p.source_span(pct, pct + 4) == (10, 12)
    # the lexicon's pinyin tone digits are not read as numbers; English entries stay out of Chinese
    assert "二" not in p.text


def test_english_entries_match_whole_words_only():
    lex = parse_lexicon({"en": {"Xiaonuan": "Shyao nwan", "GIF": {"phonemes": "g'If"}}})
    assert prepare("Xiaonuan shows a GIF, not GIFs or Xiaonuans.", "en", lex).text == \
        "Shyao nwan shows a [[g'If]], not GIFs or Xiaonuans."


def test_layers_later_files_win(tmp_path):
    (tmp_path / "project.yaml").write_text("zh:\n  重庆: chong2 qing4\n  行: xing2\n", encoding="utf-8")
    (tmp_path / "voice.yaml").write_text("zh:\n  行: hang2\n", encoding="utf-8")
    lex = layered(tmp_path / "project.yaml", tmp_path / "voice.yaml", tmp_path / "absent.yaml").then(
        parse_lexicon({"zh": {"重庆": "zhong4 qing4"}}))  # the script's own block goes on top
    assert lex.words("zh")["行"].reading == "hang2"
    assert lex.words("zh")["重庆"].reading == "zhong4 qing4"


@pytest.mark.parametrize("body,message", [
    ("zh:\n  ok: ni3\n  银行: {pinyin: yin hang}\n", r"lexicon.yaml:3: entry '银行'.*tone digit"),
    ("zh:\n  银行: {pinyin: yin2, say: x}\n", r"lexicon.yaml:2: entry '银行'.*exactly one"),
    ("zh:\n  单先生: shan xian sheng\n", r"lexicon.yaml:2: entry '单先生'.*without tone digits.*shan4"),
    # a tone digit missing or out of range: it was read out in English ("hang six"), silently
    ("zh:\n  银行: yin2 hang\n", r"lexicon.yaml:2: entry '银行'.*needs syllables with a tone digit"),
    ("zh:\n  银行: yin2 hang6\n", r"lexicon.yaml:2: entry '银行'.*needs syllables with a tone digit"),
    ("fr:\n  x: y\n", r"unknown section 'fr'"),
    ("zh: [1, 2]\n", r"section 'zh'"),
    ("zh:\n  a: {b: [\n", r"lexicon.yaml:\d+: not valid YAML"),
])
def test_errors_name_the_file_line_and_entry(tmp_path, body, message):
    (tmp_path / "lexicon.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_lexicon(tmp_path / "lexicon.yaml")


def test_a_scripts_front_matter_lexicon_changes_the_phonemes_but_not_the_subtitles():
    from xiaonuan import subtitles
    from xiaonuan.render import _lexicon, _sentence_timings
    from xiaonuan.script import parse_script

    body = "单先生今天讲话。\n"  # the surname 单 is shàn; eSpeak's dictionary says dān
    plain = parse_script(body)
    own = parse_script("---\nlexicon:\n  zh:\n    单先生: shan4 xian1 sheng5\n---\n" + body)
    engine = get_engine("espeak:cmn")
    before, after = (engine.synthesize([s.text for s in p.sentences], [300], lexicon=_lexicon("default", p))
                     for p in (plain, own))
    text = own.sentences[0].text
    assert before.phonemes[0].value.symbol == "t" and after.phonemes[0].value.symbol == "s."  # dān → shàn
    cues = subtitles.cues_from_sentences(_sentence_timings(own, after), max_chars=16)
    assert text == "单先生今天讲话。" and "".join(c.text for c in cues).replace("\n", "") == "单先生今天讲话"  # as written
