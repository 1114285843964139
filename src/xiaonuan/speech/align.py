"""Forced alignment without model weights: eSpeak says the text, DTW carries its timeline onto the audio.

The approach of aeneas. The same text (lexicon applied, numbers normalised) is synthesised with
eSpeak, whose phoneme and word events are exact. Both signals become MFCC-like frames every 10 ms
(c1…c7 of log mel energies, normalised over speech, plus loudness), and dynamic time warping finds
the cheapest monotone match between them in two passes:
- a coarse pass on 40 ms frames, inside a band around a guide that maps voiced time to voiced
  time (so pauses the speaker adds or leaves out do not push it off course);
- a fine pass on 10 ms frames, within FINE_BAND_S of the coarse path.
Both may match a pause of the speaker's to an optional silence before any word (a row the path
can step over), so a pause never swallows the start of the next word. eSpeak's boundaries are then
carried through the path; a word runs from its first phoneme to its last. Known sentence spans
(`spans`, from a model that says each sentence separately) anchor each sentence on its own.

`confidence` (0..1) is 1 - cost of the path / the cheapest cost of the same alignment with the
reference made into wrong texts of the same sounds (said backwards, and rotated by a third and by two
thirds: see `_wrong_texts`). Under MIN_CONFIDENCE the
alignment is not used: `recorded.timed_recording` falls back to timing estimated from pauses, and the mouth
follows the audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..timeline import Timed, Timeline
from . import Phoneme, Speech, Word
from .levels import frame_db, voiced_mask
from .espeak import EspeakEngine, VOICE_FOR

HOP_S = 0.01               # one feature frame every 10 ms
WINDOW_S = 0.023           # analysed over 23 ms (a 512-point FFT at 22.05 kHz)
FEATURE_BLOCK = 2000       # frames analysed at once
N_MELS, N_CEPS = 32, 8     # mel bands; c1…c7 kept: the broad spectral shape, less of the speaker (c0 → level)
MEL_LOW_HZ, MEL_HIGH_HZ = 80.0, 7600.0
LEVEL_WEIGHT = 1.5         # how much loudness (speech vs silence) counts next to spectral shape
COARSE = 4                 # the first pass works on 40 ms frames …
COARSE_BAND_S = 2.0        # … within this of the voiced-time guide,
COARSE_BAND_SHARE = 0.1    # plus this share of the recording's length (drift over long recordings),
MAX_COARSE_BAND_S = 20.0   # at most this
FINE_BAND_S = 0.3          # the second pass (10 ms frames) stays this close to the first one's path
LEAD_S = 0.2               # silence around the reference, so the speaker's silences have a match
REFERENCE_PAUSE_MS = 300    # between the reference's sentences (the speaker's own pauses are matched by DTW)
MIN_TRIM_S = 0.15          # silence at a span's edge is trimmed when this long (a pause, not a stop's closure)
MIN_CONFIDENCE = 0.15      # below this the text and the audio are taken not to match (tests, bench/results.md)


@dataclass(frozen=True)
class Alignment:
    """Timelines of a recording of known text, on the recording's samples, and how far to trust them."""

    phonemes: Timeline[Phoneme]
    words: Timeline[Word]
    sentences: Timeline[int]
    confidence: float  # 0..1: how much cheaper the match is than with the reference made a wrong text

    @property
    def ok(self) -> bool:
        return self.confidence >= MIN_CONFIDENCE


@dataclass(frozen=True)
class Warp:
    """A monotone map from reference time to target time (both in 10 ms frames)."""

    first: np.ndarray  # first target frame matched with each reference frame
    last: np.ndarray   # last target frame matched with each reference frame
    confidence: float

    def start(self, ref_frame: float) -> float:
        """Where something starting at reference frame `ref_frame` starts in the target."""
        i = int(np.clip(np.round(ref_frame), 0, len(self.first) - 1))  # rounded as `gaps` are
        return float(self.first[i])

    def end(self, ref_frame: float) -> float:
        """Where something ending at reference frame `ref_frame` ends in the target."""
        i = int(np.clip(np.round(ref_frame) - 1, 0, len(self.last) - 1))
        return float(self.last[i] + 1)


def force_align(samples: np.ndarray, rate_hz: int, sentences: Sequence[str], language: str, *,
                lexicon=None, spans: Sequence[tuple[int, int]] | None = None) -> Alignment:
    """Align `sentences` (written text) to `samples`: words, phonemes and sentences on its samples.

    `spans`: known [start, end) samples of each sentence in `samples` (each is then aligned alone);
    without them the whole recording is aligned in one pass.
    """
    ref = EspeakEngine(VOICE_FOR.get(language, "en-us")).synthesize(
        list(sentences), [REFERENCE_PAUSE_MS] * len(sentences), lead_ms=int(LEAD_S * 1000), lexicon=lexicon)
    tail = np.zeros(int(LEAD_S * ref.rate_hz), np.float32)
    ref_samples = np.concatenate([ref.samples, tail])
    if spans is None:
        pieces = [(0, len(ref_samples), 0, len(samples))]
    else:
        pieces = [_piece(ref, s, span, len(ref_samples), len(samples), rate_hz)
                  for s, span in zip(ref.sentences, spans, strict=True)]
    maps, costs, weights = [], [], []
    word_starts = np.array([w.start for w in ref.words])
    for r0, r1, t0, t1 in pieces:
        gaps = (word_starts[(word_starts > r0) & (word_starts < r1)] - r0) / _hop(ref.rate_hz)
        warp = match(ref_samples[r0:r1], ref.rate_hz, samples[t0:t1], rate_hz, gaps=gaps)
        maps.append((r0, r1, t0, warp))
        costs.append(warp.confidence)
        weights.append(r1 - r0)
    confidence = float(np.average(costs, weights=weights)) if costs else 0.0
    voiced = voiced_mask(frame_db(samples, rate_hz, HOP_S))
    mapper = _Mapper(maps, ref.rate_hz, rate_hz, voiced, len(samples))
    return Alignment(*mapper.timelines(ref), confidence=confidence)


def _piece(ref: Speech, sentence: Timed[int], span: tuple[int, int], n_ref: int, n_target: int,
           rate_hz: int) -> tuple[int, int, int, int]:
    """Reference and target sample ranges of one sentence, each with LEAD_S of margin."""
    m_ref, m_tgt = int(LEAD_S * ref.rate_hz), int(LEAD_S * rate_hz)
    return (max(sentence.start - m_ref, 0), min(sentence.end + m_ref, n_ref),
            max(span[0] - m_tgt, 0), min(span[1] + m_tgt, n_target))


class _Mapper:
    """Carries reference sample positions to target samples through the pieces' warps.

    `maps`: (ref start, ref end, target start, Warp) per piece: one for the whole recording, or
    one per sentence when sentence spans were given.
    """

    def __init__(self, maps, ref_rate: int, rate_hz: int, voiced: np.ndarray, n_target: int) -> None:
        self.maps, self.ref_rate, self.rate, self.voiced, self.n = maps, ref_rate, rate_hz, voiced, n_target

    def _at(self, ref_sample: int, end: bool, sentence: int) -> int:
        r0, _, t0, warp = self.maps[min(sentence, len(self.maps) - 1)]
        f = (ref_sample - r0) / _hop(self.ref_rate)
        frame = warp.end(f) if end else warp.start(f)
        return int(np.clip(t0 + round(frame * _hop(self.rate)), 0, self.n))

    def span(self, start: int, end: int, sentence: int) -> tuple[int, int]:
        a, b = self._at(start, False, sentence), self._at(end, True, sentence)
        return snap(a, max(a, b), self.voiced, self.rate)

    def timelines(self, ref: Speech):
        """Phonemes, words and sentences of `ref` carried onto the target.

        A word runs from its first phoneme to its last (eSpeak's word event can sit in the silence
        before the sound), a sentence from its first word to its last.
        """
        sentence_of = [w.value.sentence_index for w in ref.words]
        phonemes = _monotone([Timed(*self.span(p.start, p.end, sentence_of[p.value.word_index]), p.value)
                              for p in ref.phonemes], drop_empty=True)
        by_word: dict[int, list[Timed]] = {}
        for p in phonemes:
            by_word.setdefault(p.value.word_index, []).append(p)
        words = _monotone([Timed(by_word[k][0].start, by_word[k][-1].end, w.value) if k in by_word
                           else Timed(*self.span(w.start, w.end, w.value.sentence_index), w.value)
                           for k, w in enumerate(ref.words)])
        by_sentence: dict[int, list[Timed]] = {}
        for w in words:
            by_sentence.setdefault(w.value.sentence_index, []).append(w)
        sentences = _monotone([Timed(by_sentence[s.value][0].start, by_sentence[s.value][-1].end, s.value)
                               if s.value in by_sentence else Timed(*self.span(s.start, s.end, s.value), s.value)
                               for s in ref.sentences])
        return Timeline(self.rate, tuple(phonemes)), Timeline(self.rate, tuple(words)), \
            Timeline(self.rate, tuple(sentences))


def snap(a: int, b: int, voiced: np.ndarray, rate_hz: int) -> tuple[int, int]:
    """Trim the silence off both ends of the span [a, b): speech starts where the voice does.

    A pause the speaker adds is matched to whatever reference frame sounds nearest (often the
    quiet start or end of a word); a word cannot begin or end inside it.
    """
    hop = _hop(rate_hz)
    fa, fb = int(a / hop), min(int(np.ceil(b / hop)), len(voiced))
    inside = np.flatnonzero(voiced[fa:fb]) if fb > fa else np.zeros(0, int)
    if len(inside) == 0:
        return a, max(a, b)
    if inside[0] * HOP_S >= MIN_TRIM_S:
        a = int((fa + inside[0]) * hop)
    if (fb - fa - inside[-1] - 1) * HOP_S >= MIN_TRIM_S:
        b = int((fa + inside[-1] + 1) * hop)
    return a, max(a, b)


def _monotone(items: list[Timed], drop_empty: bool = False) -> list[Timed]:
    """Sorted, non-overlapping spans: each starts no earlier than the previous one ends."""
    out: list[Timed] = []
    for t in items:
        start = max(t.start, out[-1].end) if out else t.start
        end = max(t.end, start)
        if drop_empty and end <= start:
            continue
        out.append(Timed(start, end, t.value))
    return out


# ---------------------------------------------------------------------------------------------
# Features and dynamic time warping.

def match(ref: np.ndarray, ref_rate: int, target: np.ndarray, rate_hz: int, gaps: Sequence[float] = ()) -> Warp:
    """The DTW warp from reference audio to target audio (mono float32, any rates).

    Two passes: a coarse one (COARSE frames averaged) inside a wide band around the voiced-time
    guide finds the way, a fine one at 10 ms inside a narrow band around it places the boundaries.
    `gaps`: reference frames (word starts) where the speaker may pause though eSpeak does not;
    both passes may match a pause there to an optional silence. The confidence compares the
    coarse path's cost with the cheapest of the reference's wrong texts (`_wrong_texts`).
    """
    fr, ft = features(ref, ref_rate), features(target, rate_hz)
    if len(fr) < 2 * COARSE or len(ft) < 2 * COARSE:
        return Warp(np.zeros(max(len(fr), 1), int), np.full(max(len(fr), 1), max(len(ft) - 1, 0)), 0.0)
    vr = voiced_mask(frame_db(ref, ref_rate, HOP_S))[:len(fr)]
    vt = voiced_mask(frame_db(target, rate_hz, HOP_S))[:len(ft)]
    cr, ct, cvr, cvt = _coarse(fr), _coarse(ft), _coarse(vr) > 0.5, _coarse(vt) > 0.5
    width = int(min(COARSE_BAND_S + COARSE_BAND_SHARE * len(ft) * HOP_S, MAX_COARSE_BAND_S) / (HOP_S * COARSE))
    coarse_gaps = np.asarray(gaps, float) / COARSE
    ci, cj, cost = _pass(cr, ct, coarse_gaps, _guide(cvr, cvt, len(ct)), width)
    null_cost = min(_pass(f, ct, g, _guide(v, cvt, len(ct)), width)[2] for f, v, g in _wrong_texts(cr, cvr, coarse_gaps))
    # the coarse path, back on the 10 ms grid: the centre of the fine band
    centre = np.bincount(ci, weights=cj, minlength=len(cr)) / np.maximum(np.bincount(ci, minlength=len(cr)), 1)
    guide = np.interp((np.arange(len(fr)) + 0.5) / COARSE - 0.5, np.arange(len(cr)), (centre + 0.5) * COARSE - 0.5)
    path_i, path_j, _ = _pass(fr, ft, gaps, guide, int(FINE_BAND_S / HOP_S))
    first = np.full(len(fr), len(ft) - 1)
    last = np.zeros(len(fr), int)
    np.minimum.at(first, path_i, path_j)
    np.maximum.at(last, path_i, path_j)
    return Warp(first, last, float(np.clip(1 - cost / max(null_cost, 1e-9), 0.0, 1.0)))


def _pass(ref: np.ndarray, target: np.ndarray, gaps: np.ndarray, guide: np.ndarray, width: int):
    """One DTW pass inside guide ± width, with an optional silence before each reference frame in `gaps`.

    Returns the path (reference frames, target frames; cells on the optional silences left out)
    and its mean cost per cell.
    """
    at = np.unique(np.clip(np.round(np.asarray(gaps, float)).astype(int), 1, len(ref) - 1))
    rows = np.insert(np.arange(len(ref)), at, -1)  # -1: an optional silence before the frame after it
    near = np.insert(np.arange(len(ref)), at, at)  # the reference frame each row stands at
    feats = np.where(rows[:, None] >= 0, ref[near], _silence(ref.shape[1]))
    pi, pj = dtw(feats, target, *_band(np.clip(guide[near], 0, len(target) - 1), len(target), width), skip=rows < 0)
    cost = float(np.sqrt(((feats[pi] - target[pj]) ** 2).sum(1)).mean())
    keep = rows[pi] >= 0
    return rows[pi][keep], pj[keep], cost


def _wrong_texts(feats: np.ndarray, voiced: np.ndarray, gaps: np.ndarray):
    """The reference made into wrong texts with the same sounds: said backwards, and rotated by a third
    and by two thirds (so a text of three syllables cannot match three bursts of any sound)."""
    n = len(feats)
    yield feats[::-1], voiced[::-1], n - gaps
    for k in (n // 3, 2 * n // 3):
        yield np.roll(feats, k, 0), np.roll(voiced, k), (gaps + k) % n


def _hop(rate_hz: int) -> int:
    """Samples per 10 ms frame, rounded as levels.frame_db rounds it (220 at 22.05 kHz, not 220.5): every
    frame ↔ sample conversion uses this, or times drift by 0.2 % over a long recording."""
    return max(1, int(rate_hz * HOP_S))


def _silence(n_features: int) -> np.ndarray:
    """The feature vector of silence: no spectral shape, the lowest level (see `features`)."""
    v = np.zeros(n_features, np.float32)
    v[-1] = -3.0 * LEVEL_WEIGHT
    return v


def _coarse(x: np.ndarray) -> np.ndarray:
    """Means of COARSE consecutive frames (the last, partial block dropped)."""
    n = len(x) // COARSE
    return x[:n * COARSE].reshape(n, COARSE, *x.shape[1:]).astype(np.float32).mean(1)


def features(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """(frames, N_CEPS) float32: cepstra of log mel energies (c1…), normalised, plus a weighted level."""
    hop, win = _hop(rate_hz), int(round(rate_hz * WINDOW_S))
    n = 1 + (len(samples) - win) // hop if len(samples) >= win else 0
    if n <= 0:
        return np.zeros((0, N_CEPS), np.float32)
    n_fft = 1 << (win - 1).bit_length()
    filters, dct, window = _mel_filters(rate_hz, n_fft), _dct(N_MELS)[:, 1:N_CEPS], np.hanning(win).astype(np.float32)
    x = samples.astype(np.float32)
    ceps, level = np.zeros((n, N_CEPS - 1), np.float32), np.zeros(n, np.float32)
    for k0 in range(0, n, FEATURE_BLOCK):  # in blocks: memory stays flat however long the recording
        k = np.arange(k0, min(k0 + FEATURE_BLOCK, n))
        power = np.abs(np.fft.rfft(x[k[:, None] * hop + np.arange(win)] * window, n_fft)).astype(np.float32) ** 2
        ceps[k] = np.log(power @ filters + 1e-8) @ dct
        level[k] = np.log10(power.sum(1) + 1e-10)
    level = np.clip(level - np.percentile(level, 95), -3.0, 0.0)  # 0 loud … -3 (−30 dB and below) silent
    loud = level > -2.0
    stats = ceps[loud] if loud.sum() > 1 else ceps
    ceps = (ceps - stats.mean(0)) / (stats.std(0) + 1e-6)  # normalised on speech, not on silence
    # silence has no spectral shape worth matching (noise floor, or digital zeros): fade it to 0
    ceps *= np.clip(level + 3.0, 0.0, 1.0)[:, None]
    return np.hstack([ceps, LEVEL_WEIGHT * level[:, None]]).astype(np.float32)


def _mel_filters(rate_hz: int, n_fft: int) -> np.ndarray:
    """(n_fft//2+1, N_MELS) triangular filters, equally spaced in mel between MEL_LOW_HZ and MEL_HIGH_HZ."""
    def mel(f):
        return 2595 * np.log10(1 + f / 700)

    high = min(MEL_HIGH_HZ, 0.45 * rate_hz)
    edges_hz = 700 * (10 ** (np.linspace(mel(MEL_LOW_HZ), mel(high), N_MELS + 2) / 2595) - 1)
    freqs = np.fft.rfftfreq(n_fft, 1 / rate_hz)
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    tri = np.maximum(0, np.minimum((freqs - lower) / (centre - lower), (upper - freqs) / (upper - centre)))
    return tri.T.astype(np.float32)


def _dct(n: int) -> np.ndarray:
    k = np.arange(n)
    return np.cos(np.pi / n * (k[:, None] + 0.5) * k[None, :]).astype(np.float32)


def _guide(voiced_ref: np.ndarray, voiced_tgt: np.ndarray, n_target: int) -> np.ndarray:
    """For each reference frame, the target frame at the same share of voiced time (pauses skipped)."""
    cr = np.cumsum(voiced_ref) / max(voiced_ref.sum(), 1)
    ct = np.cumsum(voiced_tgt) / max(voiced_tgt.sum(), 1)
    if voiced_ref.sum() == 0 or voiced_tgt.sum() == 0:
        return np.linspace(0, n_target - 1, len(voiced_ref))
    j = np.searchsorted(ct, cr, side="left").astype(float)  # the first target frame reaching that share
    return np.clip(j, 0, n_target - 1)


def _band(guide: np.ndarray, n_target: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per reference frame, target columns [lo, hi): the guide ± width, monotone and connected."""
    lo = np.maximum.accumulate(np.clip(np.floor(guide).astype(int) - width, 0, n_target - 1))
    hi = np.clip(np.ceil(guide).astype(int) + width + 1, 1, n_target)
    hi = np.minimum.accumulate(hi[::-1])[::-1]  # never decreasing
    lo[0], hi[-1] = 0, n_target  # the path runs from corner to corner
    hi = np.maximum(hi, lo + 1)
    lo[1:] = np.minimum(lo[1:], hi[:-1])  # each row reaches back to the one before (a jump over a pause)
    return lo, hi


def dtw(ref: np.ndarray, target: np.ndarray, lo: np.ndarray, hi: np.ndarray,
        skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotone path (steps right, down, diagonal) from (0, 0) to the far corner inside the band.

    Row by row: D[i, j] = c[i, j] + min(D[i-1, j-1], D[i-1, j], D[i, j-1]); the in-row term is a
    running minimum over cumulative costs, so each row is a few numpy operations. A row marked in
    `skip` may be stepped over (from row i-2). Rows are kept (float32, band-wide) for the
    backtrack. Returns the path's reference and target frames.
    """
    skip = np.zeros(len(ref), bool) if skip is None else skip
    rows: list[np.ndarray] = []
    for i in range(len(ref)):
        a, b = int(lo[i]), int(hi[i])
        c = np.sqrt(((target[a:b] - ref[i]) ** 2).sum(1)).astype(np.float64)
        if i == 0:
            step = np.full(b - a, np.inf)
            step[0] = 0.0
        else:
            step = _from_row(rows[i - 1], int(lo[i - 1]), a, b)
            if i >= 2 and skip[i - 1]:
                step = np.minimum(step, _from_row(rows[i - 2], int(lo[i - 2]), a, b))
        s = np.cumsum(c)
        d = s + np.minimum.accumulate(step + c - s)
        rows.append(d.astype(np.float32))
    return _backtrack(rows, lo, skip)


def _from_row(prev: np.ndarray, plo: int, a: int, b: int) -> np.ndarray:
    """Best of D[p, j] (a step down) and D[p, j-1] (diagonal) for columns j in [a, b) of a later row."""
    phi = plo + len(prev)
    up, diag = np.full(b - a, np.inf), np.full(b - a, np.inf)
    s0, s1 = max(a, plo), min(b, phi)
    if s1 > s0:
        up[s0 - a:s1 - a] = prev[s0 - plo:s1 - plo]
    s0, s1 = max(a, plo + 1), min(b, phi + 1)
    if s1 > s0:
        diag[s0 - a:s1 - a] = prev[s0 - 1 - plo:s1 - 1 - plo]
    return np.minimum(up, diag)


def _backtrack(rows: list[np.ndarray], lo: np.ndarray, skip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    i, j = len(rows) - 1, int(lo[-1]) + len(rows[-1]) - 1
    pi, pj = [i], [j]

    def cell(r: int, c: int) -> float:
        k = c - int(lo[r])
        return float(rows[r][k]) if 0 <= k < len(rows[r]) else np.inf

    while i > 0 or j > 0:
        above = [i - 1, i - 2] if i >= 2 and skip[i - 1] else [i - 1] if i > 0 else []
        moves = [(r, j - 1) for r in above] + [(r, j) for r in above] + ([(i, j - 1)] if j > lo[i] else [])
        # diagonal first: it wins ties (silence against silence costs nothing in any direction)
        best = min(moves, key=lambda m: cell(*m), default=None)
        if best is None or not np.isfinite(cell(*best)):  # cannot happen inside a connected band
            break
        i, j = best
        pi.append(i)
        pj.append(j)
    return np.array(pi[::-1]), np.array(pj[::-1])
