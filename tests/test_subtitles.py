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


# (sentence, max_chars, a word the old character-by-character breaker split across lines; its output
# is in the comment). Word segmentation (jieba) must keep each word on one line.
WORD_CASES = [
    ("本市春季花展今天上午在滨江公园开幕，吸引了大批市民前来观赏。", 16, "公园"),  # …滨江公\n园开幕…
    ("本市春季花展今天上午在滨江公园开幕，吸引了大批市民前来观赏。", 12, "今天上午"),  # …今天\n上午…
    ("国家统计局局长表示，全年经济社会发展主要目标任务圆满完成。", 8, "国家统计局"),  # 国家统计\n局局长表示
    ("国家统计局局长表示，全年经济社会发展主要目标任务圆满完成。", 18, "经济社会"),  # …全年经济\n社会发展…
    ("气象台预计明天白天多云转晴，最高气温二十五摄氏度，适合外出踏青。", 8, "二十五"),  # 最高气温二\n十五摄氏度
    ("气象台预计明天白天多云转晴，最高气温二十五摄氏度，适合外出踏青。", 12, "多云转晴"),  # …多云转\n晴，…
    ("市图书馆新馆将于下周一正式对外开放，市民可以凭身份证免费借阅图书。", 10, "身份证"),  # …凭身份\n证免费…
    ("市图书馆新馆将于下周一正式对外开放，市民可以凭身份证免费借阅图书。", 16, "对外开放"),  # …对外开\n放，…
    ("这次展览共展出了来自全国各地的一百多个郁金香品种。", 10, "郁金香"),  # …一百多个郁\n金香品种
    ("专家提醒，春季是流感高发季节，老年人和儿童要注意防护。", 10, "儿童"),  # 老年人和儿\n童要注意防护
    ("人工智能技术正在改变新闻行业的生产方式和传播方式。", 8, "生产方式"),  # …行业的生\n产方式…
    ("科学家在南极冰盖下发现了一个巨大的淡水湖泊。", 14, "发现"),  # …冰盖下发\n现了…
]


@pytest.mark.parametrize("text,max_chars,word", WORD_CASES)
def test_chinese_lines_break_between_words(text: str, max_chars: int, word: str) -> None:
    cues = cues_from_sentences([SentenceTiming(text, 0.0, 5.0)], max_chars=max_chars)
    lines = [ln for c in cues for ln in c.text.split("\n")]
    assert any(word in ln for ln in lines), lines
    _check_layout(cues, max_chars)
    strip = lambda t: re.sub(r"[，。！、]", "", t)  # noqa: E731
    assert strip("".join(lines)) == strip(text)  # nothing lost or repeated


def test_numbers_stay_with_their_unit_and_overlong_words_still_fit() -> None:
    for text in ("今天上午，国务院新闻办公室举行新闻发布会，介绍二〇二五年国民经济运行情况。",
                 "截至2025年3月，滨江公园已经接待游客10万人次。"):
        for max_chars in (6, 8, 12):
            cues = cues_from_sentences([SentenceTiming(text, 0.0, 5.0)], max_chars=max_chars)
            _check_layout(cues, max_chars)  # 国务院新闻办公室 (8 hanzi) is cut only where it cannot fit
            lines = [ln for c in cues for ln in c.text.split("\n")]
            for number in ("二〇二五年", "2025年", "10万"):
                assert number not in text or any(number in ln for ln in lines), (max_chars, lines)


NUMBER_CASES = [  # (sentence, the numbers in it that a tester saw split across lines or cues)
    ("全市城镇居民人均可支配收入达到41,314元比上年增长百分之五点二，增速继续保持全省前列。", ("41,314元",)),
    ("今年以来本市新建保障性住房共计12,345个单元，惠及数万户家庭。", ("12,345个",)),
    ("The new plan covers about 1,250,000 residents and 3,400 new homes across the city.", ("1,250,000", "3,400")),
    ("本市今天上午在10:30游客开始陆续进入滨江公园参观春季花展。", ("10:30",)),
    ("本次慈善拍卖会今天在市中心举行了￥12.80起拍的公益活动。", ("￥12.80",)),
    ("今年全市财政收入达到３．５億元，比上年明显增长。", ("３．５",)),
    ("气象台预计明天夜间最低气温将降到-5℃左右，请注意防寒保暖。", ("-5℃",)),
]


@pytest.mark.parametrize("text,numbers", NUMBER_CASES)
def test_numbers_with_separators_signs_and_units_are_never_split(text: str, numbers: tuple[str, ...]) -> None:
    # the comma or colon inside a number was a preferred break (and then dropped at the line end)
    for max_chars in range(4, 19):
        for s in (SentenceTiming(text, 0.0, 5.0), SentenceTiming(text, 0.0, 5.0, translation="x y z")):
            cues = cues_from_sentences([s], max_chars=max_chars)
            if all(display_width(n) <= 2 * max_chars for n in numbers):  # else one overflows, kept whole
                _check_layout(cues, max_chars)
            lines = [ln for c in cues for ln in c.text.split("\n")]
            for number in numbers:
                assert any(number in ln for ln in lines), (max_chars, number, lines)
            strip = lambda t: re.sub(r"[，。,.\s]", "", t)  # noqa: E731
            assert strip("".join(lines)) == strip(text)  # nothing lost or repeated


def test_a_number_wider_than_a_line_stays_whole() -> None:
    # like a long Latin word, it overflows (the renderer shrinks it) rather than break between digits
    cues = cues_from_sentences([SentenceTiming("总额为１２，３４５，６７８元", 0.0, 2.0)], max_chars=4)
    assert "１２，３４５，６７８元" in [ln for c in cues for ln in c.text.split("\n")], [c.text for c in cues]


def test_a_short_leftover_is_shared_with_the_cue_before() -> None:
    text = "国家统计局局长表示，全年经济社会发展主要目标任务圆满完成！"
    cues = cues_from_sentences([SentenceTiming(text, 0.0, 5.0)], max_chars=12)
    widths = [display_width(c.text.replace("\n", "")) for c in cues]
    assert min(widths) >= 12, [c.text for c in cues]  # not a last cue of one short word (圆满完成！)


def test_whitespace_inside_a_sentence_never_adds_a_line() -> None:
    # Hypothesis found this: the newline stayed inside a line and made a 3-line cue (#5)
    cues = cues_from_sentences([SentenceTiming("00000000000000/\n0", 0.0, 1.0)], max_chars=8)
    assert all(len(c.text.split("\n")) <= 2 for c in cues)
    s = SentenceTiming("今天\n天气\t很好，\n  我们去公园散步吧。", 0.0, 3.0, emphasis=((6, 8),))
    (cue,) = cues_from_sentences([s], max_chars=20)
    assert cue.text == "今天 天气 很好， 我们去公园散步吧"  # each whitespace run shown as one space
    a, b = cue.emphasis[0]
    assert cue.text[a:b] == "很好"  # emphasis still lands on its characters


def test_segmenter_loads_lazily_and_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from xiaonuan.subtitles import SentenceTiming as S, cues_from_sentences as c\n"
            "c([S('Hello world, this is a test.', 0, 1)], 8); assert 'jieba' not in sys.modules\n"
            "print('|'.join(x.text for x in c([S('本市春季花展今天上午在滨江公园开幕。', 0, 1)], 8)))\n"
            "assert 'jieba' in sys.modules")
    env = {**__import__("os").environ, "TMPDIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # jieba's "Building prefix dict…" lines are not shown
    assert list(tmp_path.iterdir()) == []  # and no jieba.cache written to the temp folder
    assert "公园" in r.stdout


def test_segmenter_dictionary_is_cached_and_a_broken_cache_is_only_slower(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("from xiaonuan.subtitles import SentenceTiming as S, cues_from_sentences as c\n"
            "print('|'.join(x.text for x in c([S('本市春季花展今天上午在滨江公园开幕。', 0, 1)], 8)))")
    env = {**__import__("os").environ, "XIAONUAN_CACHE": str(tmp_path)}
    runs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        runs.append(r.stdout)
    (cached,) = tmp_path.glob("jieba-*.sqlite")
    assert cached.stat().st_size > 1_000_000 and runs[0] == runs[1] and "公园" in runs[0]
    cached.write_bytes(b"not a database")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and r.stdout == runs[0]
    assert cached.stat().st_size > 1_000_000  # rebuilt and written again


def test_stored_dictionary_segments_as_jieba_s_own(tmp_path: Path) -> None:
    # the SQLite-backed prefix dictionary (looked up on demand, not loaded: #7) cuts exactly as the in-memory one
    import jieba

    from xiaonuan.subtitles import _StoredFreq, _write_prefix_db

    own = jieba.Tokenizer()
    own.FREQ, own.total = own.gen_pfdict(own.get_dict_file())
    own.initialized = True
    _write_prefix_db(tmp_path / "d.sqlite", own.FREQ, own.total)
    stored = jieba.Tokenizer()
    stored.FREQ = _StoredFreq(tmp_path / "d.sqlite")
    stored.total, stored.initialized = stored.FREQ.total, True
    text = ("本市春季花展今天上午在滨江公园开幕。二〇二五年三月，长江大桥管理处表示南京市长江大桥将封闭维修；"
            "研究生命起源的科学家和张小明一起去了人民银行，结婚的和尚未结婚的都来了。")
    assert list(stored.cut(text, HMM=True)) == list(own.cut(text, HMM=True))
    assert "公园" in stored.FREQ and "公园x" not in stored.FREQ and stored.FREQ.get("公园x", 7) == 7


def test_stored_dictionary_reopens_in_a_forked_child(tmp_path: Path) -> None:
    # SQLite connections must not cross a fork (a UI or a Ray worker may fork after a render)
    import multiprocessing as mp

    from xiaonuan.subtitles import _StoredFreq, _write_prefix_db

    _write_prefix_db(tmp_path / "d.sqlite", {"公": 0, "公园": 5, "园": 3}, 8)
    global _PARENTS
    _PARENTS = _StoredFreq(tmp_path / "d.sqlite")         # opened here, used in the child it forks
    assert _PARENTS.get("公园") == 5
    with mp.get_context("fork").Pool(1) as pool:
        assert pool.apply(_lookup_in_child, ("园",)) == (3, True)


_PARENTS = None


def _lookup_in_child(key):
    import os

    before = _PARENTS._pid
    return _PARENTS.get(key), before != os.getpid() and _PARENTS._pid == os.getpid()


def test_a_bilingual_sentence_is_rebalanced_and_never_ends_on_a_lone_word() -> None:
    # the one-line cues of a bilingual sentence were filled greedily: "…今天开幕" then a 0.17 s "啦！ / today!"
    zh, en = "滨江公园春季花展今天开幕啦！", "The spring flower show at Binjiang Park opens today!"
    s = SentenceTiming(zh, 0.0, 4.2, words=_chars_words(zh, 0.0, 0.3), translation=en)
    cues = cues_from_sentences([s], max_chars=12)
    assert len(cues) == 2 and all("\n" not in c.text and display_width(c.text) <= 24 for c in cues)
    assert min(display_width(c.text) for c in cues) >= 12, [c.text for c in cues]  # at least half a line
    assert min(c.end_s - c.start_s for c in cues) >= 1.5, [(c.start_s, c.end_s) for c in cues]
    assert " ".join(c.translation for c in cues) == en
    assert all(len(c.translation.split()) >= 2 for c in cues), [c.translation for c in cues]


def test_split_translation_cuts_at_the_nearest_word_boundary_and_leaves_no_lone_tail() -> None:
    from xiaonuan.subtitles import split_translation

    en = "The spring flower show at Binjiang Park opens today!"
    assert split_translation(en, [1, 1]) == ["The spring flower show at", "Binjiang Park opens today!"]
    assert split_translation(en, [24, 4]) == ["The spring flower show at Binjiang Park", "opens today!"]
    for weights in ([1, 1, 1], [10, 1, 1], [1, 10, 1], [1, 1, 10], [5, 0.1], [0.1, 5]):
        parts = split_translation(en, weights)
        assert len(parts) == len(weights) and " ".join(parts) == en
        assert all(parts) and len(parts[-1].split()) >= 2, parts  # every cue has English, the last not one word
