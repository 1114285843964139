"""Life between words: blinks, brow raises at sentence starts, small head motion, breathing.

Everything comes from a seeded np.random.Generator, so the same seed gives the same motion.
"""

from __future__ import annotations

import numpy as np

MEAN_BLINK_INTERVAL_S = 3.8   # ≈ 16 blinks a minute, the middle of the natural 12–20
MIN_BLINK_INTERVAL_S = 1.6
BLINK_CLOSED_S = 0.12          # the part of a blink (lids nearly shut) kept off stressed syllables
BLINK_MAX_DELAY_S = 0.8        # a blink is moved at most this much to avoid them
# Eye openness over one blink, one value per 40 ms frame at 25 fps: fast close, slower open.
BLINK_SHAPE = (0.45, 0.0, 0.05, 0.45, 0.8)
BROW_RAISE = 0.35             # brow lift at a sentence start, 0..1
BROW_RISE_S, BROW_FALL_S = 0.25, 0.6
BROW_EMPHASIS = 0.5           # brow lift on an emphasised (**…**) word
HEAD_SWAY_DEG = (1.2, 0.8, 0.6)   # yaw, pitch, roll amplitude of the slow sway
NOD_DEG = 1.4                 # a small nod (pitch) at each sentence start
NOD_S = 0.7
BREATH_PERIOD_S = (3.4, 5.0)  # one breath: 0.2–0.3 Hz, each cycle drawn anew (quiet breathing is irregular)
BREATH_INHALE_SHARE = (0.35, 0.45)  # the inhale is the shorter part of the cycle
BREATH_DEPTH = (0.6, 1.0)     # depth of each breath, 0..1


def blinks(n_frames: int, fps: int, rng: np.random.Generator,
           avoid_s: list[tuple[float, float]] = ()) -> np.ndarray:
    """Eye openness 0..1 per frame with natural, irregular blinks (both eyes together).

    A blink that would overlap one of the `avoid_s` spans (stressed syllables, emphasised words) is
    moved to just after it.
    """
    eye = np.ones(n_frames, np.float32)
    shape = np.interp(np.arange(0, len(BLINK_SHAPE), 25 / fps), np.arange(len(BLINK_SHAPE)), BLINK_SHAPE)
    t = rng.uniform(0.8, 2.5)
    while True:
        t = _after_avoided(t, BLINK_CLOSED_S, avoid_s)
        i = int(t * fps)
        if i + len(shape) >= n_frames:
            break
        eye[i:i + len(shape)] = np.minimum(eye[i:i + len(shape)], shape)
        t += MIN_BLINK_INTERVAL_S + rng.exponential(MEAN_BLINK_INTERVAL_S - MIN_BLINK_INTERVAL_S)
    return eye


def brows(n_frames: int, fps: int, starts_s: list[float],
          emphasis_s: list[tuple[float, float]] = ()) -> np.ndarray:
    """A small brow raise easing in at each sentence start and at each emphasised word, and out after it."""
    t = np.arange(n_frames) / fps
    out = np.zeros(n_frames, np.float32)
    for s, amount in [(s, BROW_RAISE) for s in starts_s] + [(a, BROW_EMPHASIS) for a, _ in emphasis_s]:
        rise = np.clip((t - (s - BROW_RISE_S)) / BROW_RISE_S, 0, 1)
        fall = np.clip(1 - (t - s) / BROW_FALL_S, 0, 1)
        out = np.maximum(out, amount * _smoothstep(np.minimum(rise, np.where(t > s, fall, 1))))
    return out


def _after_avoided(t: float, length_s: float, avoid_s, margin_s: float = 0.03) -> float:
    """The earliest start >= t (at most BLINK_MAX_DELAY_S later) whose closed part overlaps no avoid_s span."""
    start, moved = t, True
    while moved:
        moved = False
        for a, b in avoid_s:
            if t < b + margin_s and a - margin_s < t + length_s:
                t, moved = b + margin_s, True
        if t - start > BLINK_MAX_DELAY_S:
            return start                    # dense stress: blink where it was planned rather than never
    return t


def head_motion(n_frames: int, fps: int, starts_s: list[float], rng: np.random.Generator) -> np.ndarray:
    """(n, 3) yaw/pitch/roll in degrees: slow irregular sway plus a nod at each sentence start."""
    t = np.arange(n_frames) / fps
    pose = np.zeros((n_frames, 3), np.float32)
    for axis, amp in enumerate(HEAD_SWAY_DEG):
        freqs = rng.uniform(0.05, 0.25, 2)
        phases = rng.uniform(0, 2 * np.pi, 2)
        pose[:, axis] = amp * 0.5 * (np.sin(2 * np.pi * freqs[0] * t + phases[0])
                                     + np.sin(2 * np.pi * freqs[1] * t + phases[1]))
    for s in starts_s:
        u = (t - s) / NOD_S
        pose[:, 1] += NOD_DEG * np.where((u > 0) & (u < 1), np.sin(np.pi * np.clip(u, 0, 1)) ** 2, 0)
    return pose


def breathing(n_frames: int, fps: int, rng: np.random.Generator) -> np.ndarray:
    """Breath 0..1 per frame (0 out, 1 in): irregular slow cycles, eased in and out, never a jump.

    Each cycle draws its own period, inhale share and depth; the first starts at a random phase.
    """
    t = np.arange(n_frames) / fps
    out = np.zeros(n_frames, np.float32)
    start = -rng.uniform(0.0, BREATH_PERIOD_S[1])
    while start < n_frames / fps:
        period = rng.uniform(*BREATH_PERIOD_S)
        inhale = period * rng.uniform(*BREATH_INHALE_SHARE)
        depth = rng.uniform(*BREATH_DEPTH)
        u = t - start
        rise = (u >= 0) & (u < inhale)
        fall = (u >= inhale) & (u < period)
        out[rise] = depth * 0.5 * (1 - np.cos(np.pi * u[rise] / inhale))
        out[fall] = depth * 0.5 * (1 + np.cos(np.pi * (u[fall] - inhale) / (period - inhale)))
        start += period
    return out


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3 - 2 * x)
