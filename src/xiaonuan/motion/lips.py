"""Visemes → mouth curves (jaw_open, lip_width, lip_round, lip_press) per video frame.

Rules after rhubarb-lip-sync: short gaps hold the shape, medium gaps relax it, long
gaps close the mouth; p/b/m always show a closure of at least MIN_CLOSURE_MS, started a
little before the burst; shapes blend into each other (coarticulation) by smoothing
on a fine grid, then each frame takes the mean over its own time span. The opening
(jaw_open) blends by dominance instead (Cohen & Massaro 1993): each sound pulls the jaw
towards its target with its own strength, so a lip-free consonant (t, k, h, n) takes the
opening of the vowels around it while p/b/m, f/v and the vowels hold their own.
"""

from __future__ import annotations

import numpy as np

from ..timeline import Timeline
from ..visemes import Viseme

GRID_HZ = 200                 # motion is planned on a 5 ms grid, then averaged per frame
HOLD_GAP_MS = 120             # a gap shorter than this keeps the previous shape
CLOSE_GAP_MS = 200            # a gap longer than this closes the mouth (rhubarb: 350; a comma pause closes)
RELAX_FACTOR = 0.15           # in a medium gap the shape keeps this share of itself (mostly closed, not snapped)
MIN_CLOSURE_MS = 70           # p/b/m closure at least this long, so a 25 fps frame always sees it
COARTICULATION_SIGMA_MS = 22  # smoothing of width/round: how far shapes bleed into neighbours
PRESS_SIGMA_MS = 8
ANTICIPATION_MS = 60          # a sound's pull on the jaw falls off over this time before it (the jaw moves
CARRYOVER_MS = 40             # towards a coming vowel early) and over this one after it, as exp(-(d/T)^2):
DOMINANCE_REACH = 4           # a lead-in silence stays closed; beyond this many T (e^-16) it is dropped
# A person reading a voice-over breathes in through the mouth before a phrase: in a pause of BREATH_GAP_MS or
# more, the lips part to BREATH_JAW over its last BREATH_MS (eased in and out). Recorded voices only: a
# synthetic voice takes no breath, and its pauses stay closed.
BREATH_GAP_MS = 300
BREATH_MS = 300
BREATH_JAW = 0.25

# Target (jaw_open, lip_width, lip_round, lip_press) for each viseme.
SHAPES: dict[Viseme, tuple[float, float, float, float]] = {
    Viseme.X: (0.0, 0.0, 0.0, 0.0),
    Viseme.A: (0.0, 0.0, 0.0, 1.0),
    Viseme.B: (0.32, 0.25, 0.0, 0.0),    # i / ee is a vowel too: open enough to read as speech
    Viseme.C: (0.5, 0.2, 0.0, 0.0),
    Viseme.R: (0.33, 0.1, 0.0, 0.0),     # a reduced vowel (schwa) opens about two thirds of e's
    Viseme.D: (0.8, 0.1, 0.0, 0.0),
    Viseme.E: (0.45, -0.35, 0.55, 0.0),  # rounding narrows the opening between the lips: less than e's
    Viseme.F: (0.25, -0.6, 1.0, 0.0),    # u / ü / w: rounded, the lips nearly together
    Viseme.G: (0.12, 0.05, 0.0, 0.5),
    Viseme.H: (0.4, 0.1, 0.0, 0.0),
}
# How strongly each viseme holds the jaw at its own target against its neighbours (X: a pause).
JAW_DOMINANCE: dict[Viseme, float] = {
    Viseme.A: 1.0, Viseme.G: 0.8,                                        # the lips close / touch the teeth
    Viseme.C: 0.6, Viseme.R: 0.6, Viseme.D: 0.6, Viseme.E: 0.6, Viseme.F: 0.6,   # vowels
    Viseme.H: 0.3, Viseme.B: 0.2,                     # the tongue's consonants (and i): the jaw is free
    Viseme.X: 3.0,                                    # a pause closes the lips firmly (at rest)
}
CURVES = ("jaw_open", "lip_width", "lip_round", "lip_press")


def lip_curves(visemes: Timeline[Viseme], n_frames: int, fps: int, breaths: bool = False) -> dict[str, np.ndarray]:
    """Per-frame float32 curves named in CURVES, each n_frames long; `breaths`: the lips part before each
    phrase that follows a pause (a person's recorded voice: see BREATH_GAP_MS)."""
    n_grid = int(np.ceil(n_frames * GRID_HZ / fps)) + 1
    grid = _targets_on_grid(visemes, n_grid)
    for k, sigma_ms in ((1, COARTICULATION_SIGMA_MS), (2, COARTICULATION_SIGMA_MS), (3, PRESS_SIGMA_MS)):
        grid[:, k] = _gaussian_smooth(grid[:, k], sigma_ms * GRID_HZ / 1000)
    grid[:, 0] = _jaw_by_dominance(visemes, n_grid)
    if breaths:
        grid[:, 0] = np.maximum(grid[:, 0], _breaths(visemes, n_grid))
    per_frame = _frame_means(grid, n_frames, fps)
    # A closure must reach the lips in the frame it falls in, not be averaged away.
    per_frame[:, 3] = np.maximum(per_frame[:, 3], _frame_max(grid[:, 3], n_frames, fps))
    return {name: np.clip(per_frame[:, k], -1.0, 1.0).astype(np.float32) for k, name in enumerate(CURVES)}


def _to_grid(sample: int, rate_hz: int) -> int:
    return int(round(sample * GRID_HZ / rate_hz))


def _targets_on_grid(visemes: Timeline[Viseme], n: int) -> np.ndarray:
    grid = np.zeros((n, 4), np.float32)
    rate = visemes.rate_hz
    min_closure = MIN_CLOSURE_MS * GRID_HZ // 1000
    prev_end, prev_shape = None, np.array(SHAPES[Viseme.X])
    for span in visemes:
        a, b = min(_to_grid(span.start, rate), n), min(_to_grid(span.end, rate), n)
        shape = np.array(SHAPES[span.value])
        if span.value is Viseme.A and b - a < min_closure:
            a = max(b - min_closure, 0)  # close before the burst
        if prev_end is not None and a > prev_end:
            gap_ms = (a - prev_end) * 1000 / GRID_HZ
            if gap_ms < HOLD_GAP_MS:
                grid[prev_end:a] = prev_shape
            elif gap_ms < CLOSE_GAP_MS:
                grid[prev_end:a] = prev_shape * RELAX_FACTOR
        grid[a:b] = shape
        prev_end, prev_shape = b, shape
    return grid


def _jaw_by_dominance(visemes: Timeline[Viseme], n: int) -> np.ndarray:
    """jaw_open on the grid: the dominance-weighted mean of every sound's target. A sound's dominance is
    JAW_DOMINANCE over its span, falling off before (ANTICIPATION_MS) and after (CARRYOVER_MS) it; a gap of
    HOLD_GAP_MS or more is a pause (X, target closed), a shorter one is bridged."""
    rate, t = visemes.rate_hz, np.arange(n, dtype=np.float64)
    spans: list[tuple[int, int, Viseme]] = []
    min_closure = MIN_CLOSURE_MS * GRID_HZ // 1000
    prev_end = 0
    for span in visemes:
        a, b = min(_to_grid(span.start, rate), n), min(_to_grid(span.end, rate), n)
        if span.value is Viseme.A and b - a < min_closure:
            a = max(b - min_closure, 0)
        if (a - prev_end) * 1000 / GRID_HZ >= HOLD_GAP_MS or not spans:
            spans.append((prev_end, a, Viseme.X))
        spans.append((a, max(b, a + 1), span.value))
        prev_end = max(b, a + 1)
    spans.append((prev_end, n, Viseme.X))
    num, den = np.zeros(n), np.full(n, 1e-6)
    pre, post = ANTICIPATION_MS * GRID_HZ / 1000, CARRYOVER_MS * GRID_HZ / 1000
    reach_pre, reach_post = int(DOMINANCE_REACH * pre), int(DOMINANCE_REACH * post)
    for a, b, vis in spans:
        if b <= a:
            continue
        lo, hi = max(a - reach_pre, 0), min(b + reach_post, n)     # beyond: a pull under e^-16, dropped
        tt = t[lo:hi]
        dist = np.where(tt < a, (a - tt) / pre, np.where(tt >= b, (tt - b + 1) / post, 0.0))
        dom = JAW_DOMINANCE[vis] * np.exp(-dist * dist)
        num[lo:hi] += dom * SHAPES[vis][0]
        den[lo:hi] += dom
    return (num / den).astype(np.float32)


def _breaths(visemes: Timeline[Viseme], n: int) -> np.ndarray:
    """The jaw of an in-breath on the grid: BREATH_JAW over the last BREATH_MS of each pause of BREATH_GAP_MS or
    more between two sounds (not before the first: nothing says where that breath began)."""
    rate, out = visemes.rate_hz, np.zeros(n, np.float32)
    prev_end = None
    for span in visemes:
        a = min(_to_grid(span.start, rate), n)
        if prev_end is not None and (a - prev_end) * 1000 / GRID_HZ >= BREATH_GAP_MS:
            out[max(prev_end, a - BREATH_MS * GRID_HZ // 1000):a] = BREATH_JAW
        prev_end = max(prev_end or 0, min(_to_grid(span.end, rate), n))
    return _gaussian_smooth(out, COARTICULATION_SIGMA_MS * GRID_HZ / 1000).astype(np.float32)


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    return np.convolve(np.pad(x, radius, mode="edge"), k, mode="valid")


def _frame_bounds(n_frames: int, fps: int, n_grid: int) -> np.ndarray:
    edges = (np.arange(n_frames + 1) * GRID_HZ) // fps
    return np.minimum(edges, n_grid - 1)


def _frame_means(grid: np.ndarray, n_frames: int, fps: int) -> np.ndarray:
    edges = _frame_bounds(n_frames, fps, len(grid))
    csum = np.concatenate([np.zeros((1, grid.shape[1])), np.cumsum(grid, axis=0)])
    width = np.maximum(edges[1:] - edges[:-1], 1)[:, None]
    return (csum[edges[1:]] - csum[edges[:-1]]) / width


def _frame_max(x: np.ndarray, n_frames: int, fps: int) -> np.ndarray:
    edges = _frame_bounds(n_frames, fps, len(x))
    return np.array([x[a:max(b, a + 1)].max() for a, b in zip(edges[:-1], edges[1:])], np.float32)
