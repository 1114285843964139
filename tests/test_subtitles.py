"""Cue splitting, timing, lookup and SRT/VTT output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xiaonuan.subtitles import (
    NO_LINE_START,
    Cue,
    SentenceTiming,
    WordTiming,
    cue_text_at,
    cues_from_sentences,
    display_width,
    write_srt,
    write_vtt,
)

LONG_ZH = ("今天上午，国务院新闻办公室举行新闻发布会，介绍二〇二五年国民经济运行情况。"
           "国家统计局局长表示，全年经济社会发展主要目标任务圆满完成！")
EN = "The quick brown fox jumps over the lazy dog, and the international community welcomed the announcement."


def _chars_words(text: str, start_s: float, per_char_s: float) -> tuple[WordTiming, ...]:
    """One 'word' per character, evenly timed (what an engine with per-hanzi timing gives)."""
    return tuple(WordTiming(i, i + 1, start_s + i * per_char_s, start_s + (i + 1) * per_char_s)
                 for i in range(len(text)))


def _check_layout(cues: list[Cue], max_chars: int) -> None:
    for c in cues:
        lines = c.text.split("\n")
        assert 1 <= len(lines) <= 2, c.text
        for ln in lines:
            assert ln and ln[0] not in NO_LINE_START, f"line starts with punctuation: {ln!r}"
            assert display_width(ln) <= 2 * max_chars, ln


def test_display_width() -> None:
    assert display_width("新闻") == 4 and display_width("news") == 4 and display_width("，") == 2


def test_long_chinese_sentence_splits_into_short_cues() -> None:
    s = SentenceTiming(LONG_ZH, 2.0, 12.0)
    cues = cues_from_sentences([s], max_chars=12)
    assert len(cues) >= 3
    _check_layout(cues, 12)
    # all text is kept (only punctuation dropped at line ends)
    joined = "".join(c.text.replace("\n", "") for c in cues)
    strip = lambda t: re.sub(r"[，。！、]", "", t)
    assert strip(joined) == strip(LONG_ZH)
    # Chinese style: no comma or full stop at the end of a line
    assert all(not ln.endswith(("，", "。")) for c in cues for ln in c.text.split("\n"))


def test_english_words_are_never_broken() -> None:
    cues = cues_from_sentences([SentenceTiming(EN, 0.0, 6.0)], max_chars=10)
    words = set(re.findall(r"[A-Za-z]+", EN))
    for c in cues:
        for ln in c.text.split("\n"):
            assert not ln.startswith(" ") and not ln.endswith(" ")
            for w in re.findall(r"[A-Za-z]+", ln):
                assert w in words, f"broken word {w!r} in {ln!r}"
    _check_layout(cues, 10)


def test_no_line_initial_punctuation_even_when_it_overflows() -> None:
    text = "一二三四五六七八，九十。一二三四五六七八”！九十？一二三四五六七八（九十）"
    for max_chars in (4, 5, 8, 9):
        _check_layout(cues_from_sentences([SentenceTiming(text, 0.0, 5.0)], max_chars=max_chars), max_chars)


def test_timing_follows_words_monotonic_and_inside_the_sentence() -> None:
    a = SentenceTiming(LONG_ZH, 1.0, 1.0 + 0.2 * len(LONG_ZH), _chars_words(LONG_ZH, 1.0, 0.2))
    b = SentenceTiming("第二句话到此结束。", a.end_s + 0.5, a.end_s + 2.5)
    cues = cues_from_sentences([a, b], max_chars=10)
    for prev, cur in zip(cues, cues[1:]):
        assert prev.start_s < cur.start_s and prev.end_s <= cur.start_s
    for c in cues:
        assert c.end_s > c.start_s
        s = a if c.end_s <= a.end_s else b
        assert s.start_s <= c.start_s and c.end_s <= s.end_s
    # each cue starts exactly when the word under its first character starts
    first_chars = [LONG_ZH.index(c.text.split("\n")[0], 0) for c in cues if c.end_s <= a.end_s]
    starts = [c.start_s for c in cues if c.end_s <= a.end_s]
    for pos, start in zip(first_chars, starts):
        assert start == pytest.approx(1.0 + 0.2 * pos)


def test_without_words_time_is_spread_by_characters() -> None:
    cues = cues_from_sentences([SentenceTiming("一二三四五六七八九十" * 4, 0.0, 4.0)], max_chars=5)
    assert [c.start_s for c in cues] == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert cues[-1].end_s == 4.0


def test_cue_text_at() -> None:
    cues = [Cue(0.0, 1.0, "a"), Cue(1.0, 2.0, "b"), Cue(3.0, 4.0, "c")]
    assert cue_text_at(cues, -0.1) is None
    assert cue_text_at(cues, 0.0) == "a" and cue_text_at(cues, 0.999) == "a"
    assert cue_text_at(cues, 1.0) == "b" and cue_text_at(cues, 2.5) is None
    assert cue_text_at(cues, 3.5) == "c" and cue_text_at(cues, 4.0) is None
    assert cue_text_at([], 1.0) is None


def test_srt_and_vtt(tmp_path: Path) -> None:
    cues = [Cue(0.0, 1.5, "你好\n世界"), Cue(61.25, 3723.4, "Hello")]
    srt = write_srt(cues, tmp_path / "a.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,500\n你好\n世界\n\n2\n00:01:01,250 --> 01:02:03,400\nHello")
    vtt = write_vtt(cues, tmp_path / "a.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n你好")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.srt", "a.vtt"]  # no temp files left


def test_bilingual_cues_keep_one_chinese_line_and_split_english_by_words() -> None:
    s = SentenceTiming("本市春季花展今天上午在滨江公园隆重开幕，吸引了许多市民。", 0.0, 5.0,
                       emphasis=((6, 10),), translation="The spring flower show opened this morning in the park.")
    cues = cues_from_sentences([s], max_chars=12)
    assert len(cues) >= 2 and all("\n" not in c.text for c in cues)
    assert " ".join(c.translation for c in cues).split() == s.translation.split()
    assert cues[0].emphasis == ((6, 10),) and cues[0].text[6:10] == "今天上午"
    assert cues[0].full_text == cues[0].text + "\n" + cues[0].translation
