"""The polyphone fix of the web page (issue 19): a word's readings offered from pypinyin, the chosen one saved
into the project's lexicon.yaml (comments and other entries kept), and the saved reading is what the voice
says afterwards, in `xiaonuan say` (cli.speech.speak_line) as in a render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xiaonuan.cli.speech import speak_line
from xiaonuan.lexicon import LexiconError, layered, load_lexicon, reading_choices, save_reading
from xiaonuan.speech import get_engine

ROOT = Path(__file__).resolve().parents[1]
TEXT = "他去银行取钱。"


def _phonemes(speech, text: str, word: str) -> list[str]:
    k = next(i for i, w in enumerate(speech.words) if text[w.value.char_start:w.value.char_end] == word)
    return [p.value.symbol.lstrip("',") for p in speech.phonemes if p.value.word_index == k]


def test_a_words_readings_put_the_one_in_context_first():
    choices = reading_choices("银行")
    assert choices[0] == "yin2 hang2" and "yin2 xing2" in choices
    assert reading_choices("还钱")[0] == "huan2 qian2" and "hai2 qian2" in reading_choices("还钱")
    assert reading_choices("APP") == [] and reading_choices("") == []


def test_saving_keeps_the_files_comments_and_replaces_the_words_entry(tmp_path):
    path = tmp_path / "lexicon.yaml"
    shutil.copyfile(ROOT / "lexicon.yaml", path)
    before = path.read_text(encoding="utf-8")
    save_reading("银行", "yin2 xing2", path)
    save_reading("银行", "Yin2  Hang2", path)  # chosen again: replaced, not added twice
    save_reading("还钱", "hai2 qian2", path)   # an entry the file had
    text = path.read_text(encoding="utf-8")
    assert text.count("银行:") == 1 and text.count("还钱:") == 1
    assert [line for line in before.splitlines() if line.startswith("#")] == \
        [line for line in text.splitlines() if line.startswith("#")]
    words = load_lexicon(path).words("zh")
    assert words["银行"].reading == "yin2 hang2" and words["还钱"].reading == "hai2 qian2"
    assert words["小暖"].reading == "xiao3 nuan3" and load_lexicon(path).words("en")["Xiaonuan"]
    with pytest.raises(LexiconError, match="tone digits"):
        save_reading("银行", "yin hang", path)
    assert load_lexicon(path).words("zh")["银行"].reading == "yin2 hang2"  # a refused reading changes nothing
    fresh = tmp_path / "new" / "lexicon.yaml"
    fresh.parent.mkdir()
    save_reading("重庆", "chong2 qing4", fresh)
    assert load_lexicon(fresh).words("zh")["重庆"].reading == "chong2 qing4"


def test_the_saved_reading_changes_the_phonemes_the_voice_says(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_HOME", str(tmp_path))  # the project root: its lexicon.yaml is the one saved to
    engine = get_engine("espeak:cmn")
    plain = _phonemes(engine.synthesize([TEXT], [300], lexicon=layered()), TEXT, "银行")
    assert plain[-3:] == ["X", "A", "N"]  # háng, as eSpeak reads it on its own
    save_reading("银行", "yin2 xing2")    # a reading chosen on the page (the project's lexicon by default)
    assert (tmp_path / "lexicon.yaml").is_file()
    said, _ = speak_line(TEXT, "espeak:cmn", None, None, False, None)  # `xiaonuan say`, the Listen button
    assert _phonemes(said, TEXT, "银行")[-3:] == ["S;", "i", "N"]  # xíng: the saved reading is used


def test_the_pages_panel_offers_readings_and_saves_the_chosen_one(tmp_path, monkeypatch):
    from xiaonuan.ui import pronounce

    monkeypatch.setenv("XIAONUAN_HOME", str(tmp_path))
    choices, note = pronounce.offer(" 银行 ")
    assert choices[0] == "yin2 hang2" and "银行" in note
    assert pronounce.offer("hello") == ([], pronounce.NOT_CHINESE)
    assert "Not saved" in pronounce.save("银行", None, "yin hang")  # typed without tones: refused, said why
    assert not (tmp_path / "lexicon.yaml").exists()
    assert pronounce.save("银行", "yin2 xing2", "").startswith("已保存 Saved")
    assert pronounce.save("银行", "yin2 xing2", "yin2 hang2").startswith("已保存")  # typed pinyin wins
    assert load_lexicon(tmp_path / "lexicon.yaml").words("zh")["银行"].reading == "yin2 hang2"
