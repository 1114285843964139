"""Visemes → mouth curves (jaw_open, lip_width, lip_round, lip_press) per video frame.

Rules after rhubarb-lip-sync: short gaps hold the shape, medium gaps relax it, long
gaps close the mouth; p/b/m always show a closure of at least MIN_CLOSURE_MS, started a
little before the burst; shapes blend into each other (coarticulation) by smoothing
on a fine grid, then each frame takes the mean over its own time span.
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
COARTICULATION_SIGMA_MS = 22  # smoothing of jaw/width/round: how far shapes bleed into neighbours
PRESS_SIGMA_MS = 8

# Target (jaw_open, lip_width, lip_round, lip_press) for each viseme.
SHAPES: dict[Viseme, tuple[float, float, float, float]] = {
    Viseme.X: (0.0, 0.0, 0.0, 0.0),
    Viseme.A: (0.0, 0.0, 0.0, 1.0),
    Viseme.B: (0.32, 0.25, 0.0, 0.0),    # i / ee is a vowel too: open enough to read as speech
    Viseme.C: (0.55, 0.2, 0.0, 0.0),
    Viseme.D: (0.8, 0.1, 0.0, 0.0),
    Viseme.E: (0.6, -0.35, 0.55, 0.0),
    Viseme.F: (0.36, -0.6, 1.0, 0.0),    # u / ü / w: rounded, the jaw still a little open
    Viseme.G: (0.12, 0.05, 0.0, 0.5),
    Viseme.H: (0.45, 0.1, 0.0, 0.0),
}
CURVES = ("jaw_open", "lip_width", "lip_round", "lip_press")


def lip_curves(visemes: Timeline[Viseme], n_frames: int, fps: int) -> dict[str, np.ndarray]:
    """Per-frame float32 curves named in CURVES, each n_frames long."""
    grid = _targets_on_grid(visemes, int(np.ceil(n_frames * GRID_HZ / fps)) + 1)
    for k, sigma_ms in enumerate((COARTICULATION_SIGMA_MS,) * 3 + (PRESS_SIGMA_MS,)):
        grid[:, k] = _gaussian_smooth(grid[:, k], sigma_ms * GRID_HZ / 1000)
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
