"""Property tests (Hypothesis) over the text front end: any Unicode, very long lines, mixed
scripts — no crash, and output that keeps its promises."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xiaonuan.errors import ScriptError
from xiaonuan.normalize import normalize
from xiaonuan.script import parse_script
from xiaonuan.subtitles import SentenceTiming, WordTiming, cues_from_sentences, display_width

PIECES = st.sampled_from(["你好", "新闻", "。", "，", "！", "Hello", " world", ".", "?", "27%", "2021年4月30日",
                          "\n\n", "# ", "## ", "**", "[pause 0.5s]", "🎉", "\x00", "\u200b", "ü", "—", "…", "APP"])
TEXT = st.one_of(st.text(max_size=400), st.lists(PIECES, max_size=80).map("".join))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TEXT)
def test_parser_never_crashes_and_sentences_are_clean(text):
    try:
        script = parse_script(text)
    except ScriptError:
        return  # nothing speakable: a clear error is the right answer
    assert script.sentences and script.language in ("zh", "en")
    for s in script.sentences:
        assert s.text.strip() and any(ch.isalnum() for ch in s.text)
        assert all(ch.isprintable() for ch in s.text)
        assert s.pause_after_ms >= 0


@FAST
@given(TEXT, st.sampled_from(["zh", "en"]))
def test_normaliser_never_crashes_and_maps_back_monotonically(text, language):
    n = normalize(text, language)
    positions = [n.to_source(i) for i in range(len(n.text) + 1)]
    assert all(0 <= p <= len(text) for p in positions)
    assert positions == sorted(positions)


# Chinese prose pieces (words jieba knows, numbers, punctuation, stray whitespace) for the line breaker
ZH_PIECES = st.sampled_from(["本市", "春季花展", "今天上午", "在", "滨江公园", "开幕", "，", "。", "！", "、", "“", "”",
                             "国家统计局", "中华人民共和国国务院", "二〇二五年", "2025年", "10万", "AI", " ", "\n"])
SUB_TEXT = st.one_of(st.text(min_size=1, max_size=600), st.lists(ZH_PIECES, min_size=1, max_size=60).map("".join))


@FAST
@given(SUB_TEXT, st.integers(8, 24), st.floats(0.0, 30.0), st.floats(0.1, 30.0))
@example("00000000000000/\n0", 8, 0.0, 1.0)  # a newline inside a line made a 3-line cue (#5)
def test_subtitle_cues_fit_and_stay_in_time(text, max_chars, start_s, length_s):
    end_s = start_s + length_s
    words = tuple(WordTiming(i, i + 1, start_s + length_s * i / len(text), start_s + length_s * (i + 1) / len(text))
                  for i in range(0, len(text), 3))
    cues = cues_from_sentences([SentenceTiming(text, start_s, end_s, words)], max_chars=max_chars)
    for c in cues:
        assert start_s - 1e-6 <= c.start_s < c.end_s <= end_s + 1e-6
        lines = c.text.split("\n")
        assert len(lines) <= 2
        # a line may overflow only where one unbreakable word is longer than the line
        for line in lines:
            assert display_width(line) <= 2 * max_chars or " " not in line.strip()
    assert [c.start_s for c in cues] == sorted(c.start_s for c in cues)


@settings(max_examples=20, deadline=None)
@given(st.integers(5_000, 19_000))
def test_very_long_lines_parse(n):
    script = parse_script("很" * n + "。")
    assert "".join(s.text for s in script.sentences).count("很") == n
