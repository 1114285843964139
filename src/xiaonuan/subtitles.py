"""Subtitle cues from timed sentences, the per-frame cue lookup, and SRT/VTT writers.

Lines are measured in display columns: a CJK character (or full-width punctuation) is 2 columns,
a Latin letter, digit or space is 1. `max_chars` counts CJK characters per line, so a line holds
at most `2 * max_chars` columns. Lines never break inside a Latin word, inside a Chinese word
(runs of hanzi are cut into words by jieba's dictionary, so 公园 is never split across lines), inside
a number (41,314  10:30  ￥12.80  ３．５  -5℃ each stay whole) or before closing punctuation
(，。！？、；：”）…), and a cue holds at most two lines. Sentence-final commas and full stops are
dropped at line ends, as Chinese broadcast subtitles do. Whitespace inside a line (a newline or tab
in the sentence) is shown as one space.
"""

from __future__ import annotations

import bisect
import os
import logging
import re
import sqlite3
import threading
import unicodedata
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .fileio import publish, temp_beside, write_atomic
from .paths import cache_root

MAX_LINES = 2  # lines per cue
WIDE_COLUMNS = 2  # display columns of a CJK / full-width character
NARROW_COLUMNS = 1  # display columns of a Latin letter, digit, space
MIN_LINE_FILL = 0.5  # prefer breaking after punctuation only once a line is at least this full
PUNCT_BREAK_BONUS = 0.35  # a two-line split after punctuation may be this much (of a line) less even

# Characters that must not start a line (they belong to the text before them).
NO_LINE_START = set("，。！？、；：”’）》」』】〕〉…—,.!?;:)]}%‰·～~")
# Characters that must not end a line (they belong to the text after them).
NO_LINE_END = set("“‘（《「『【〔〈([{")
# Punctuation removed at the end of a line, Chinese-subtitle style (？！ and closing quotes stay).
DROP_AT_LINE_END = set("，。、；：,.;:")
# Punctuation after which a line break reads naturally.
BREAK_AFTER = set("，。！？、；：,.!?;:")
# Characters that join Latin letters/digits into one unbreakable word (don't, 3.5, e-mail, 50%).
WORD_JOINERS = set("'’-._/%@&+")
# A number stays with what counts it (_join_numbers): numeral hanzi, and units after a number.
NUMERAL_HANZI = set("〇零一二三四五六七八九十百千万亿两")
UNIT_HANZI = set("年月日号时点分秒个岁元角万亿倍度次名位天周米克斤吨")  # 2025年, 3月, 50岁
# A number is one unbreakable word (_word_end): digits, separators between two digits (41,314  10:30
# ３．５), a sign or currency symbol just before a digit (￥12.80  -5) and a unit symbol just after one
# (-5℃  50％). Without this a break fell after the comma or colon, which BREAK_AFTER prefers.
DIGITS = set("0123456789０１２３４５６７８９")
NUMBER_SEPARATORS = set(",.:，．：")
NUMBER_SIGNS = set("￥¥$€£-−+")
NUMBER_UNITS = set("%℃℉°‰％")
# Runs of these (CJK ideographs and 〇) are cut into words by the segmenter; other wide characters
# (kana, hangul, full-width letters) stay one token each.
HAN_RUN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class WordTiming:
    """One spoken word: the characters text[char_start:char_end] of its sentence, and its time."""

    char_start: int
    char_end: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SentenceTiming:
    """A sentence and when it is spoken; `words` may be empty (timing is then spread by characters)."""

    text: str
    start_s: float
    end_s: float
    words: tuple[WordTiming, ...] = ()
    emphasis: tuple[tuple[int, int], ...] = ()  # [start, end) spans of text to highlight
    translation: str = ""  # English line for bilingual subtitles: the Chinese then gets one line per cue


@dataclass(frozen=True)
class Cue:
    """One subtitle shown over [start_s, end_s); lines are joined by '\\n'."""

    start_s: float
    end_s: float
    text: str
    emphasis: tuple[tuple[int, int], ...] = ()  # [start, end) spans of `text` ('\n' counted) to highlight
    translation: str = ""  # the English line under it (bilingual)

    @property
    def full_text(self) -> str:
        """What the SRT/VTT shows: the text, then the translation on its own line."""
        return f"{self.text}\n{self.translation}" if self.translation else self.text


@dataclass(frozen=True)
class _Token:
    """An unbreakable piece of a sentence: a CJK character, a Latin word or a run of spaces,
    with the punctuation glued to it."""

    start: int  # char offset into the sentence
    end: int
    width: int  # display columns
    is_space: bool


def display_width(text: str) -> int:
    """Display columns of `text`: 2 for wide (CJK, full-width) characters, 1 otherwise."""
    return sum(_char_width(c) for c in text)


def _char_width(c: str) -> int:
    return WIDE_COLUMNS if unicodedata.east_asian_width(c) in ("W", "F") else NARROW_COLUMNS


def _is_word_char(c: str) -> bool:
    return c.isascii() and c.isalnum() or (c.isalpha() and _char_width(c) == NARROW_COLUMNS)


def _tokenize(text: str) -> list[_Token]:
    """Split `text` into unbreakable tokens (see _Token); punctuation never starts or ends a line wrongly."""
    raw: list[list[int]] = []  # [start, end, is_space]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        j = i + 1
        if c.isspace():
            while j < n and text[j].isspace():
                j += 1
            raw.append([i, j, 1])
        elif _is_word_char(c) or c in DIGITS or (c in NUMBER_SIGNS and j < n and text[j] in DIGITS):
            j = _word_end(text, i)
            raw.append([i, j, 0])
        elif (han := HAN_RUN.match(text, i)) is not None:
            j = han.end()
            raw.extend([a, b, 0] for a, b in _han_words(text, i, j))
        else:
            raw.append([i, j, 0])
        i = j
    raw = _join_numbers(raw, text)
    # Glue closing punctuation to the token before it and opening punctuation to the one after it.
    merged: list[list[int]] = []
    pending_open: int | None = None
    for start, end, space in raw:
        piece = text[start:end]
        if not space and piece in NO_LINE_START and merged and not merged[-1][2]:
            merged[-1][1] = end
            continue
        if not space and piece in NO_LINE_END:
            pending_open = start if pending_open is None else pending_open
            continue
        if pending_open is not None and not space:
            start, pending_open = pending_open, None
        merged.append([start, end, space])
    if pending_open is not None:
        merged.append([pending_open, n, 0])
    # a run of spaces is shown as one space (_line_text), so it is one column wide
    return [_Token(s, e, NARROW_COLUMNS if sp else display_width(text[s:e]), bool(sp)) for s, e, sp in merged]


def _word_end(text: str, i: int) -> int:
    """End of the Latin word or number that starts at text[i] (see DIGITS and WORD_JOINERS for what
    holds one together)."""
    n = len(text)
    j = i + 1
    while j < n:
        c = text[j]
        nxt = text[j + 1] if j + 1 < n else ""
        if (_is_word_char(c) or c in DIGITS
                or (c in WORD_JOINERS and nxt and (_is_word_char(nxt) or nxt in DIGITS))
                or (c in NUMBER_SEPARATORS and text[j - 1] in DIGITS and nxt in DIGITS)
                or (c in NUMBER_SIGNS and nxt in DIGITS)  # 5-10, US$5
                or (c in NUMBER_UNITS and text[j - 1] in DIGITS)):
            j += 1
        else:
            break
    return j


def _is_number(s: str) -> bool:
    """Whether `s` is all digits or numeral hanzi, or one number with a sign and separators (-3.5, 41,314)."""
    if all(c.isdigit() or c in NUMERAL_HANZI for c in s):
        return True
    body = s[1:] if s[0] in NUMBER_SIGNS else s
    return bool(body) and body[0] in DIGITS and body[-1] in DIGITS and all(
        c in DIGITS or c in NUMBER_SEPARATORS for c in body)


def _join_numbers(raw: list[list[int]], text: str) -> list[list[int]]:
    """A number and what counts it stay together: 二〇二五年 (cut by jieba as 二|〇|二|五年) and 2025年
    are one token, and so are 41,314元 and 3.5万. A number token (_is_number) is joined to the next one
    when that one starts with a numeral or a unit."""
    out: list[list[int]] = []
    for tok in raw:
        if out and not tok[2] and not out[-1][2] and out[-1][1] == tok[0]:
            prev = text[out[-1][0]:out[-1][1]]
            if _is_number(prev) and text[tok[0]] in NUMERAL_HANZI | UNIT_HANZI:
                out[-1][1] = tok[1]
                continue
        out.append(list(tok))
    return out


_SEGMENTER = None
_SEGMENTER_LOCK = threading.Lock()


def _han_words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) offsets of the words of the hanzi run text[start:end], by jieba (dictionary + HMM
    for unknown names); one run of one character needs no segmenter."""
    if end - start == 1:
        return [(start, end)]
    spans, pos = [], start
    for word in han_segmenter().cut(text[start:end], HMM=True):
        spans.append((pos, pos + len(word)))
        pos += len(word)
    return spans


def _split_overlong(tokens: list[_Token], text: str, max_columns: int) -> list[_Token]:
    """Chinese words wider than a whole line cut between their characters (the only break left);
    a Latin word that long stays whole (the renderer shrinks it). So does a number: cuts fall only after
    its hanzi (3万5千 → 3万|5千), never between its digits, separators, sign or unit symbol."""
    out: list[_Token] = []
    for tok in tokens:
        han = [k for k in range(tok.start, tok.end) if HAN_RUN.match(text[k])]
        if tok.width <= max_columns or len(han) < 2:
            out.append(tok)
            continue
        cuts = [tok.start] + [k + 1 for k in han[:-1]] + [tok.end]  # glued punctuation stays at the ends
        out.extend(_Token(a, b, display_width(text[a:b]), False) for a, b in zip(cuts, cuts[1:]))
    return out


def han_segmenter():
    """jieba's tokenizer, built once per process on first use from the dictionary inside the wheel, not by
    jieba's own initialize(), which logs to stderr, writes to the temp folder and holds the whole prefix
    dictionary in memory (0.15 s to load and ~70 MB per process, issue #7)."""
    global _SEGMENTER
    with _SEGMENTER_LOCK:
        if _SEGMENTER is None:
            with warnings.catch_warnings():  # jieba may import pkg_resources (deprecated) and has old regexes
                warnings.simplefilter("ignore")
                # lazy: jieba builds its dictionary on import (~0.1 s + 1 s on first cut); only Chinese text needs it
                import jieba
            logging.getLogger("jieba").setLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.FREQ, tk.total = _prefix_dict(tk, jieba.__version__)
            tk.initialized = True
            _SEGMENTER = tk
    return _SEGMENTER


SEEN_MAX = 100_000  # dictionary answers kept per process (a script asks a few hundred)


class _StoredFreq:
    """jieba's prefix dictionary (word or word prefix → frequency, 0 for a prefix only) looked up in an
    SQLite file as jieba asks (`in`, `[]`, `get`): a script needs a few hundred of its 600k entries.
    Answers are kept; one lock guards the connection (renders may run in threads)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._open()
        self.total = int(self._db.execute("SELECT total FROM meta").fetchone()[0])
        self._seen: dict[str, int | None] = {}

    def _open(self) -> None:
        self._db = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def get(self, key: str, default=None):
        try:
            found = self._seen[key]
        except KeyError:
            if os.getpid() != self._pid:  # in a forked child: an SQLite connection must not cross a fork
                self._open()
            with self._lock:
                row = self._db.execute("SELECT f FROM w WHERE k = ?", (key,)).fetchone()
            if len(self._seen) >= SEEN_MAX:  # a long-running UI process: keep the answers bounded
                self._seen.clear()
            found = self._seen[key] = None if row is None else row[0]
        return default if found is None else found

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key: str) -> int:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found


def _prefix_dict(tk, version: str):
    """(FREQ, total) for jieba: a _StoredFreq over the cached SQLite file (XIAONUAN_CACHE, keyed by jieba's
    version), built on first use from jieba's text dictionary (0.8 s once); without a usable cache, the
    dictionary parsed into memory (0.5 s and ~70 MB a process). A cache that cannot be read or written is
    only slower, never an error."""
    root = cache_root()
    path = None if root is None else root / f"jieba-{version}.sqlite"
    if path is not None and path.is_file():
        try:
            stored = _StoredFreq(path)
            return stored, stored.total
        except sqlite3.Error:
            pass
    freq, total = tk.gen_pfdict(tk.get_dict_file())  # closes the file
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_prefix_db(path, freq, total)
        except (OSError, sqlite3.Error):
            pass
    return freq, total


def _write_prefix_db(path: Path, freq: dict, total: int) -> None:
    """The prefix dictionary as an SQLite file, written beside `path` and moved into place when complete
    (batch workers may build it at the same time)."""
    tmp = temp_beside(path)
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("CREATE TABLE w (k TEXT PRIMARY KEY, f INTEGER NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO w VALUES (?, ?)", freq.items())
            db.execute("CREATE TABLE meta (total INTEGER NOT NULL)")
            db.execute("INSERT INTO meta VALUES (?)", (total,))
            db.commit()
        finally:
            db.close()
        publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    for old in path.parent.glob("jieba-*.marshal"):  # the in-memory cache used before 2026-11-29
        old.unlink(missing_ok=True)


def _break_lines(tokens: list[_Token], text: str, max_columns: int) -> list[list[_Token]]:
    """Greedy line filling; when a line overflows, break after its last punctuation if the line
    is already at least MIN_LINE_FILL full. A single token wider than a line stays whole."""
    lines: list[list[_Token]] = []
    line: list[_Token] = []
    width = 0
    for tok in tokens:
        if tok.is_space and not line:
            continue  # no leading spaces
        if line and width + tok.width - _dropped_tail(tok, text) > max_columns and not tok.is_space:
            cut = _best_break(line, text, max_columns)
            lines.append(_strip_spaces(line[:cut]))
            line = [t for t in line[cut:]]
            line = _strip_spaces(line, leading=True)
            width = sum(t.width for t in line)
        line.append(tok)
        width += tok.width
    line = _strip_spaces(line)
    if line:
        lines.append(line)
    return [ln for ln in lines if ln]


def _dropped_tail(tok: _Token, text: str) -> int:
    """Columns of the punctuation that would be dropped if `tok` ended a line."""
    end = tok.end
    while end > tok.start and text[end - 1] in DROP_AT_LINE_END:
        end -= 1
    return display_width(text[end:tok.end])


def _best_break(line: list[_Token], text: str, max_columns: int) -> int:
    """Index to cut `line` at: after the last punctuation past MIN_LINE_FILL, else at its end."""
    width = 0
    best = len(line)
    for k, tok in enumerate(line):
        width += tok.width
        if text[tok.end - 1] in BREAK_AFTER and width >= MIN_LINE_FILL * max_columns:
            best = k + 1
    return best


def _strip_spaces(line: list[_Token], leading: bool = False) -> list[_Token]:
    if leading:
        while line and line[0].is_space:
            line = line[1:]
        return line
    while line and line[-1].is_space:
        line = line[:-1]
    return line


def _cue_chunks(tokens: list[_Token], text: str, max_columns: int,
                max_lines: int = MAX_LINES) -> list[list[_Token]]:
    """Tokens grouped into cues that each fit `max_lines` lines of max_columns (two, or one for a
    bilingual cue): filled greedily; when the next word no longer fits, the cue ends after its last
    punctuation once it is MIN_LINE_FILL full (else right there). Filling by width alone
    (2 x max_columns) could leave a cue whose words do not split into two fitting lines, and a third
    line then became a cue of one word."""
    bounds: list[tuple[int, int]] = []  # [start, end) into tokens
    start = 0
    for i, tok in enumerate(tokens):
        while start < i and not tok.is_space and not _fits_lines(tokens[start:i + 1], text, max_columns, max_lines):
            cut = start + _best_break(tokens[start:i], text, max_lines * max_columns)
            bounds.append((start, cut))
            start = cut
    bounds.append((start, len(tokens)))
    if len(bounds) >= 2:  # the sentence's last cue is often a short leftover: share the last two evenly
        a, b = bounds[-2][0], bounds[-1][1]
        k = a + _balance_pair(tokens[a:b], text, max_columns, bounds[-2][1] - a, max_lines)
        bounds[-2:] = [(a, k), (k, b)]
    chunks = [_strip_spaces(_strip_spaces(tokens[s:e]), leading=True) for s, e in bounds]
    return [c for c in chunks if c]


def _balance_pair(tokens: list[_Token], text: str, max_columns: int, default: int,
                  max_lines: int = MAX_LINES) -> int:
    """Where to cut `tokens` into two cues that both fit `max_lines` lines: as even as possible and
    preferably after punctuation (the cost _split_chunk uses for lines); `default` when no cut fits."""
    def width(part: list[_Token]) -> int:
        return sum(t.width for t in part) - _dropped_tail(part[-1], text)

    best: tuple[float, int] | None = None
    for k in range(1, len(tokens)):
        left, right = _strip_spaces(tokens[:k]), _strip_spaces(tokens[k:], leading=True)
        if not left or not right or tokens[k - 1].is_space:
            continue
        if not (_fits_lines(left, text, max_columns, max_lines) and _fits_lines(right, text, max_columns, max_lines)):
            continue
        punct = text[left[-1].end - 1] in BREAK_AFTER
        cost = abs(width(left) - width(right)) - (PUNCT_BREAK_BONUS * max_lines * max_columns if punct else 0)
        if best is None or cost < best[0]:
            best = (cost, k)
    return default if best is None else best[1]


def _fits_lines(chunk: list[_Token], text: str, max_columns: int, max_lines: int) -> bool:
    """Whether `chunk` lays out in `max_lines` (1 or 2) lines of max_columns."""
    if max_lines >= MAX_LINES:
        return _fits_two_lines(chunk, text, max_columns)
    chunk = _strip_spaces(_strip_spaces(chunk), leading=True)
    return not chunk or sum(t.width for t in chunk) - _dropped_tail(chunk[-1], text) <= max_columns


def _fits_two_lines(chunk: list[_Token], text: str, max_columns: int) -> bool:
    """Whether `chunk` lays out as one line, or two lines that both fit, split between tokens."""
    chunk = _strip_spaces(_strip_spaces(chunk), leading=True)
    n = len(chunk)
    if n == 0:
        return True
    prefix = [0]
    for t in chunk:
        prefix.append(prefix[-1] + t.width)
    total = prefix[n] - _dropped_tail(chunk[-1], text)
    if total <= max_columns:
        return True
    for k in range(1, n):  # left = chunk[:k], right = chunk[k:] (a space at the cut belongs to neither)
        if chunk[k - 1].is_space:
            continue
        r0 = k + 1 if chunk[k].is_space else k
        if prefix[k] - _dropped_tail(chunk[k - 1], text) <= max_columns and total - prefix[r0] <= max_columns:
            return True
    return False


def _split_chunk(chunk: list[_Token], text: str, max_columns: int) -> list[list[_Token]]:
    """Lay one cue's tokens out as one line, or two lines that both fit, as even as possible and
    preferably split after punctuation; a chunk that cannot fit two lines (long Latin words)
    falls back to greedy lines."""
    total = sum(t.width for t in chunk) - _dropped_tail(chunk[-1], text)
    if total <= max_columns:
        return [chunk]
    best: tuple[float, int] | None = None
    for k in range(1, len(chunk)):
        left, right = _strip_spaces(chunk[:k]), _strip_spaces(chunk[k:], leading=True)
        if not left or not right:
            continue
        lw = sum(t.width for t in left) - _dropped_tail(left[-1], text)
        rw = sum(t.width for t in right) - _dropped_tail(right[-1], text)
        if lw > max_columns or rw > max_columns:
            continue
        cost = abs(lw - rw) - (PUNCT_BREAK_BONUS * max_columns if text[left[-1].end - 1] in BREAK_AFTER else 0)
        if best is None or cost < best[0]:
            best = (cost, k)
    if best is None:
        return _break_lines(chunk, text, max_columns)
    k = best[1]
    return [_strip_spaces(chunk[:k]), _strip_spaces(chunk[k:], leading=True)]


def _line_chars(line: list[_Token], text: str) -> tuple[str, list[int]]:
    """The shown text of a laid-out line and each shown character's offset in the sentence: ends
    stripped, a whitespace run (a newline too, #5) shown as one space, and commas/full stops dropped
    at the end, Chinese style."""
    chars: list[str] = []
    offsets: list[int] = []
    for k in range(line[0].start, line[-1].end):
        c = text[k]
        if c.isspace():
            if not chars or chars[-1] == " ":
                continue
            c = " "
        chars.append(c)
        offsets.append(k)
    while chars and (chars[-1] == " " or chars[-1] in DROP_AT_LINE_END):
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def _line_text(line: list[_Token], text: str) -> str:
    return _line_chars(line, text)[0]


def _time_at_char(sentence: SentenceTiming, char: int) -> float:
    """When character `char` starts being spoken: the start of the word covering it (or the next
    word), else a proportional position by character count."""
    for w in sentence.words:
        if w.char_start <= char < w.char_end or w.char_start >= char:
            return min(max(w.start_s, sentence.start_s), sentence.end_s)
    n = max(1, len(sentence.text))
    return sentence.start_s + (sentence.end_s - sentence.start_s) * min(char, n) / n


def _cue_emphasis(group: list[list[_Token]], text: str, emphasis: tuple[tuple[int, int], ...]
                  ) -> tuple[tuple[int, int], ...]:
    """The sentence's emphasis spans mapped into a cue's text (lines joined by '\n')."""
    if not emphasis:
        return ()
    marked = {i for a, b in emphasis for i in range(a, b)}
    spans: list[tuple[int, int]] = []
    pos = 0
    for ln in group:
        body, offsets = _line_chars(ln, text)
        if not body:
            continue
        for k, off in enumerate(offsets):
            if off in marked:
                if spans and spans[-1][1] == pos + k:
                    spans[-1] = (spans[-1][0], pos + k + 1)
                else:
                    spans.append((pos + k, pos + k + 1))
        pos += len(body) + 1
    return tuple(spans)


def split_translation(text: str, weights: Sequence[float]) -> list[str]:
    """`text` cut between words into len(weights) parts, sized like the weights (never a broken word).
    Each cut is the word boundary nearest its share; every part gets a word while there are enough, and
    the last part two, so a sentence's English never ends on a lone word under a short cue."""
    n = len(weights)
    words = text.split()
    if n <= 1 or len(words) < 2:
        return [text.strip()] + [""] * (n - 1) if n else []
    mins = [1 if len(words) >= n else 0] * n
    if len(words) > n:
        mins[-1] = 2
    total = sum(weights) or 1.0
    ends = np.cumsum([len(w) + 1 for w in words])  # ends[j]: characters up to the boundary after words[j]
    targets = np.cumsum(weights)[:-1] / total * ends[-1]
    cuts = [0]  # words before each cut
    for k, target in enumerate(targets):
        lo = cuts[-1] + mins[k]
        hi = len(words) - sum(mins[k + 1:])
        cuts.append(min(range(lo, hi + 1), key=lambda c: abs((ends[c - 1] if c else 0) - target)))
    cuts.append(len(words))
    return [" ".join(words[a:b]) for a, b in zip(cuts, cuts[1:])]


def _sentence_cues(sentence: SentenceTiming, max_columns: int) -> list[Cue]:
    text = sentence.text
    max_lines = 1 if sentence.translation else MAX_LINES
    groups: list[list[list[_Token]]] = []
    tokens = _split_overlong(_tokenize(text), text, max_columns)
    chunks = _cue_chunks(tokens, text, max_columns, max_lines)  # one line each when bilingual, re-balanced too
    for chunk in chunks:
        lines = _split_chunk(chunk, text, max_columns) if max_lines > 1 else [chunk]
        groups.extend(lines[i:i + max_lines] for i in range(0, len(lines), max_lines))
    groups = [g for g in groups if any(_line_text(ln, text) for ln in g)]
    starts = [_time_at_char(sentence, g[0][0].start) for g in groups]
    for i in range(len(starts)):  # starts strictly increase and stay inside the sentence
        if i == 0:
            starts[0] = min(max(starts[0], sentence.start_s), sentence.end_s)
        elif starts[i] <= starts[i - 1]:
            starts[i] = starts[i - 1] + (sentence.end_s - starts[i - 1]) / (len(starts) - i + 1)
    bodies = ["\n".join(t for t in (_line_text(ln, text) for ln in g) if t) for g in groups]
    english = split_translation(sentence.translation, [display_width(b) for b in bodies]) \
        if sentence.translation else [""] * len(groups)
    cues = []
    for i, g in enumerate(groups):
        end = starts[i + 1] if i + 1 < len(groups) else sentence.end_s
        if end > starts[i]:
            cues.append(Cue(starts[i], end, bodies[i], _cue_emphasis(g, text, sentence.emphasis), english[i]))
    return cues


def cues_from_sentences(sentences: Iterable[SentenceTiming], max_chars: int) -> list[Cue]:
    """Split timed sentences into subtitle cues of at most two lines of `max_chars` CJK
    characters (2 * max_chars columns); each cue starts when the word under its first
    character starts and lasts until the next cue (or the sentence end).

    Example: cues_from_sentences([SentenceTiming("你好，世界。", 0.0, 1.2)], max_chars=16)
    """
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars}")
    cues: list[Cue] = []
    for s in sentences:
        if s.end_s < s.start_s:
            raise ValueError(f"sentence ends before it starts: {s.start_s}..{s.end_s} ({s.text!r})")
        cues.extend(_sentence_cues(s, WIDE_COLUMNS * max_chars))
    cues.sort(key=lambda c: c.start_s)
    return cues


def cue_text_at(cues: Sequence[Cue], t_s: float) -> str | None:
    """Text of the cue shown at `t_s` (cues sorted by start, non-overlapping), or None; O(log n)."""
    i = bisect.bisect_right(cues, t_s, key=_cue_start) - 1
    if i >= 0 and cues[i].start_s <= t_s < cues[i].end_s:
        return cues[i].text
    return None


def _cue_start(c: Cue) -> float:
    return c.start_s


def _timestamp(t_s: float, sep: str) -> str:
    ms = max(0, round(t_s * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def format_srt(cues: Sequence[Cue]) -> str:
    """SubRip text: numbered blocks, comma milliseconds."""
    blocks = [f"{i}\n{_timestamp(c.start_s, ',')} --> {_timestamp(c.end_s, ',')}\n{c.full_text}\n"
              for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def format_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT text: header, dot milliseconds."""
    blocks = [f"{_timestamp(c.start_s, '.')} --> {_timestamp(c.end_s, '.')}\n{c.full_text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def write_srt(cues: Sequence[Cue], path: Path | str) -> Path:
    """Write cues as UTF-8 SRT, atomically (temp file then os.replace)."""
    return write_atomic(Path(path), format_srt(cues).encode("utf-8"))


def write_vtt(cues: Sequence[Cue], path: Path | str) -> Path:
    """Write cues as UTF-8 WebVTT, atomically (temp file then os.replace)."""
    return write_atomic(Path(path), format_vtt(cues).encode("utf-8"))


WRITERS = {"srt": write_srt, "vtt": write_vtt}


def cue_at(cues: Sequence[Cue], t_s: float) -> Cue | None:
    """The cue shown at `t_s` (cues sorted by start, non-overlapping), or None; O(log n)."""
    i = bisect.bisect_right(cues, t_s, key=_cue_start) - 1
    if i >= 0 and cues[i].start_s <= t_s < cues[i].end_s:
        return cues[i]
    return None


def shifted(cues: Sequence[Cue], offset_s: float) -> list[Cue]:
    """The cues moved by offset_s (e.g. onto the program clock after an intro card)."""
    return [replace(c, start_s=c.start_s + offset_s, end_s=c.end_s + offset_s) for c in cues]
