"""Alignment of a script onto a recording through the words Whisper hears in it.

Whisper (speech/whisper.py) gives the words it hears with their times. The script's own text,
after the same rewriting the voice would do (lexicon `say:` readings, numbers as words), is matched
onto them token by token: characters in Chinese (compared by toneless pinyin, after traditional
characters and numerals are folded, so 看淡/看大 differ but 風景/风景 and 一百/100 do not), words
in other languages. Matched tokens take Whisper's times; the tokens between them are spread by
count over the time between their matched neighbours. Phonemes inside a word come from the
script's G2P spread over the word's span: pinyin initials/finals by typical durations
(speech/pinyin.py) in Chinese, eSpeak's own phonemes and their relative durations elsewhere.

`confidence` is the share of the script's tokens matched inside runs of at least MIN_RUN
consecutive matches (a lone common character such as 的 matching is what a wrong script does too).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..lexicon import prepare
from ..timeline import Timed, Timeline
from . import Phoneme, Word, pinyin
from .align import snap
from .whisper import Transcript
from ..normalize import normalize
from .espeak import EspeakEngine

MIN_CONFIDENCE = 0.5       # share of script tokens matched in runs; below it the recording does not read the script
MIN_RUN = 2                # matches in shorter runs are not counted for the confidence (chance matches)
MIN_TOKEN_S = 0.04         # no token is squeezed below this when spread between matched neighbours
MAX_TOKEN_S = 1.2          # a matched token longer than this (Whisper stretched a word over a pause) is trimmed
WHISPER_LEAD_S = 0.05      # Whisper base's word times come early: starts by 56 ms, ends by 85 ms (median, 25 words
                           # of another eSpeak voice against its own events; tests/speech/test_speech_align.py); undone here
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+(?:'[^\W_]+)*")


@dataclass(frozen=True)
class Unit:
    """A written word (a character, in Chinese) of the script: its source span and its spoken tokens."""

    sentence: int
    char_start: int
    char_end: int
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class WordAlignment:
    phonemes: Timeline[Phoneme]
    words: Timeline[Word]
    sentences: Timeline[int]
    confidence: float
    matched: int
    total: int

    @property
    def ok(self) -> bool:
        return self.confidence >= MIN_CONFIDENCE


def fold_chinese(text: str) -> str:
    """Simplified characters (Whisper base often writes traditional ones), NFKC-normalised."""
    with warnings.catch_warnings():  # zhconv 1.4.3 imports pkg_resources, which warns that it is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            import zhconv  # small, pure Python; imported here as only voice-overs need it
        except ImportError:  # (it needs setuptools' pkg_resources): matching still works, by pinyin
            return unicodedata.normalize("NFKC", text)
    return zhconv.convert(unicodedata.normalize("NFKC", text), "zh-cn")


def script_units(sentences: Sequence[str], language: str, lexicon=None) -> list[Unit]:
    """The script's written words with the tokens the voice says for each (numbers read out, etc.)."""
    units: list[Unit] = []
    for si, text in enumerate(sentences):
        spoken = prepare(text, language, lexicon, engine="text")
        for m in _TOKEN.finditer(spoken.text):
            a, b = spoken.source_span(m.start(), m.end())
            token = m.group(0).lower()
            if units and units[-1].sentence == si and (units[-1].char_start, units[-1].char_end) == (a, b):
                units[-1] = Unit(si, a, b, units[-1].tokens + (token,))  # 2024 → 二零二四: one written word
            else:
                units.append(Unit(si, a, b, (token,)))
    return units


def heard_tokens(transcript: Transcript, language: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Whisper's words as tokens like the script's, each with its [start, end) seconds (a word's span shared
    among its tokens by length)."""
    tokens, starts, ends = [], [], []
    for w in transcript.words:
        text = fold_chinese(w.text) if language == "zh" else unicodedata.normalize("NFKC", w.text)
        toks = [m.group(0).lower() for m in _TOKEN.finditer(normalize(text, language).text)]
        if not toks:
            continue
        lengths = np.array([len(t) if not _CJK.match(t) else 1 for t in toks], float)
        edges = WHISPER_LEAD_S + w.start_s + (w.end_s - w.start_s) * np.concatenate([[0], np.cumsum(lengths)]) / \
            lengths.sum()
        tokens += toks
        starts += list(edges[:-1])
        ends += list(edges[1:])
    return tokens, np.array(starts), np.array(ends)


def _keys(tokens: Sequence[str]) -> list[str]:
    """What two tokens are compared by: toneless pinyin for a character, the word itself otherwise."""
    cjk = "".join(t for t in tokens if _CJK.fullmatch(t))
    readings = iter(pinyin.toneless(cjk)) if cjk else iter(())
    return [next(readings) if _CJK.fullmatch(t) else t.strip("'") for t in tokens]


def match_tokens(script: Sequence[str], heard: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each script token, the index of the heard token it matches (-1: none), and whether that match sits
    in a run of at least MIN_RUN (what the confidence counts)."""
    sm = difflib.SequenceMatcher(None, _keys(script), _keys(heard), autojunk=False)
    index = np.full(len(script), -1)
    counted = np.zeros(len(script), bool)
    for a, b, n in sm.get_matching_blocks():
        index[a:a + n] = np.arange(b, b + n)
        counted[a:a + n] = n >= MIN_RUN
    return index, counted


def align_words(transcript: Transcript, sentences: Sequence[str], language: str, n_samples: int, rate_hz: int,
                voiced: np.ndarray, *, lexicon=None) -> WordAlignment:
    """The script's words, phonemes and sentences on a recording of n_samples, from what Whisper heard.

    `voiced`: the recording's speech/silence per 10 ms (recorded.voiced_mask): a word's span loses the
    silence at its ends (Whisper's words touch each other across pauses).
    """
    units = script_units(sentences, language, lexicon)
    tokens = [t for u in units for t in u.tokens]
    heard, h_start, h_end = heard_tokens(transcript, language)
    index, counted = match_tokens(tokens, heard) if tokens and heard else \
        (np.full(len(tokens), -1), np.zeros(len(tokens), bool))
    t_start, t_end = _token_spans(index, h_start, np.minimum(h_end, h_start + MAX_TOKEN_S), len(tokens),
                                  n_samples / rate_hz)
    words, phonemes = [], []
    k = 0
    symbols = _unit_phonemes(units, sentences, language, lexicon)
    for wi, u in enumerate(units):
        a_s, b_s = t_start[k], t_end[k + len(u.tokens) - 1]
        k += len(u.tokens)
        start, end = snap(int(round(a_s * rate_hz)), int(round(b_s * rate_hz)), voiced, rate_hz)
        if words and start < words[-1].end:
            start = words[-1].end
        words.append(Timed(start, max(end, start + 1), Word(u.sentence, u.char_start, u.char_end)))
        phonemes += _spread(symbols[wi], words[-1].start, words[-1].end, wi)
    sentence_items = []
    for si in range(len(sentences)):
        mine = [w for w in words if w.value.sentence_index == si]
        if mine:
            sentence_items.append(Timed(mine[0].start, mine[-1].end, si))
    total = len(tokens)
    matched = int(counted.sum())
    return WordAlignment(Timeline(rate_hz, tuple(phonemes)), Timeline(rate_hz, tuple(words)),
                         Timeline(rate_hz, tuple(sentence_items)), matched / total if total else 0.0, matched, total)


def _token_spans(index: np.ndarray, h_start: np.ndarray, h_end: np.ndarray, n: int,
                 duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times (s) of the script's n tokens: matched ones from Whisper, the others spread by
    count between their matched neighbours (at the matched stretch's pace before the first and after the last)."""
    hit = np.flatnonzero(index >= 0)
    if len(hit) == 0:  # nothing heard matches: spread evenly (the caller will not trust it anyway)
        edges = np.linspace(0.0, duration_s, n + 1)
        return edges[:-1], edges[1:]
    starts = np.maximum.accumulate(h_start[index[hit]])
    ends = np.maximum(np.maximum.accumulate(h_end[index[hit]]), starts + MIN_TOKEN_S)
    x = np.concatenate(np.stack([hit, hit + 1], 1))           # token boundaries at the matched tokens …
    t = np.maximum.accumulate(np.concatenate(np.stack([starts, ends], 1)))  # … and their times
    pace = max((t[-1] - t[0]) / max(hit[-1] + 1 - hit[0], 1), 0.15)  # seconds per token
    if x[0] > 0:
        x, t = np.concatenate([[0], x]), np.concatenate([[max(0.0, t[0] - x[0] * pace)], t])
    if x[-1] < n:
        x, t = np.concatenate([x, [n]]), np.concatenate([t, [min(duration_s, t[-1] + (n - x[-1]) * pace)]])
    keep = np.concatenate([[True], np.diff(x) > 0])  # a boundary shared by two matched tokens: the earlier time
    boundary = np.maximum.accumulate(np.interp(np.arange(n + 1), x[keep], t[keep]))
    start, end = boundary[:-1].copy(), boundary[1:].copy()
    start[hit], end[hit] = starts, ends  # a matched token keeps its own span (a pause after it stays a pause)
    return start, np.maximum(end, start)


def _unit_phonemes(units: Sequence[Unit], sentences: Sequence[str], language: str, lexicon) -> list[list[tuple[str, float]]]:
    """Per unit, (mnemonic, relative duration): pinyin for Chinese characters, eSpeak for other words."""
    out: list[list[tuple[str, float]]] = [[] for _ in units]
    cjk = [i for i, u in enumerate(units) if all(_CJK.fullmatch(t) for t in u.tokens)]
    chars = "".join("".join(units[i].tokens) for i in cjk)
    sylls = iter(pinyin.syllables(chars)) if chars else iter(())
    for i in cjk:
        out[i] = [(s, pinyin.weight(s)) for _ in units[i].tokens for s in next(sylls)]
    others = [i for i in range(len(units)) if i not in set(cjk)]
    if others:
        out = _espeak_phonemes(units, others, sentences, out)
    return out


def _espeak_phonemes(units, which: list[int], sentences: Sequence[str], out):
    """eSpeak (en-us) says each of these units alone; its phonemes and their durations are the unit's."""
    texts = [sentences[units[i].sentence][units[i].char_start:units[i].char_end] or " ".join(units[i].tokens)
             for i in which]
    ref = EspeakEngine("en-us").synthesize(texts, [0] * len(texts), lead_ms=0)
    sentence_of = [w.value.sentence_index for w in ref.words]
    for p in ref.phonemes:
        si = sentence_of[p.value.word_index]
        out[which[si]].append((p.value.symbol, max(p.end - p.start, 1)))
    return out


def _spread(symbols: Sequence[tuple[str, float]], start: int, end: int, word_index: int) -> list[Timed[Phoneme]]:
    """The unit's phonemes over [start, end) samples, each by its relative duration."""
    if not symbols or end <= start:
        return []
    w = np.array([d for _, d in symbols], float)
    cuts = np.round(start + (end - start) * np.concatenate([[0], np.cumsum(w)]) / w.sum()).astype(int)
    return [Timed(int(a), int(b), Phoneme(s, word_index)) for (s, _), a, b in zip(symbols, cuts[:-1], cuts[1:])
            if b > a]
