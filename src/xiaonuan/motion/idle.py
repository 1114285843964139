"""Life between words: blinks, brow raises at sentence starts, small head motion.

Everything comes from a seeded np.random.Generator, so the same seed gives the same motion.
"""

from __future__ import annotations

import numpy as np

MEAN_BLINK_INTERVAL_S = 3.8   # ≈ 16 blinks a minute, the middle of the natural 12–20
MIN_BLINK_INTERVAL_S = 1.6
# Eye openness over one blink, one value per 40 ms frame at 25 fps: fast close, slower open.
BLINK_SHAPE = (0.45, 0.0, 0.05, 0.45, 0.8)
BROW_RAISE = 0.35             # brow lift at a sentence start, 0..1
BROW_RISE_S, BROW_FALL_S = 0.25, 0.6
HEAD_SWAY_DEG = (1.2, 0.8, 0.6)   # yaw, pitch, roll amplitude of the slow sway
NOD_DEG = 1.4                 # a small nod (pitch) at each sentence start
NOD_S = 0.7


def blinks(n_frames: int, fps: int, rng: np.random.Generator) -> np.ndarray:
    """Eye openness 0..1 per frame with natural, irregular blinks (both eyes together)."""
    eye = np.ones(n_frames, np.float32)
    shape = np.interp(np.arange(0, len(BLINK_SHAPE), 25 / fps), np.arange(len(BLINK_SHAPE)), BLINK_SHAPE)
    t = rng.uniform(0.8, 2.5)
    while True:
        i = int(t * fps)
        if i + len(shape) >= n_frames:
            break
        eye[i:i + len(shape)] = np.minimum(eye[i:i + len(shape)], shape)
        t += MIN_BLINK_INTERVAL_S + rng.exponential(MEAN_BLINK_INTERVAL_S - MIN_BLINK_INTERVAL_S)
    return eye


def brows(n_frames: int, fps: int, starts_s: list[float]) -> np.ndarray:
    """A small brow raise easing in at each sentence start and out after it."""
    t = np.arange(n_frames) / fps
    out = np.zeros(n_frames, np.float32)
    for s in starts_s:
        rise = np.clip((t - (s - BROW_RISE_S)) / BROW_RISE_S, 0, 1)
        fall = np.clip(1 - (t - s) / BROW_FALL_S, 0, 1)
        out = np.maximum(out, BROW_RAISE * _smoothstep(np.minimum(rise, np.where(t > s, fall, 1))))
    return out


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


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3 - 2 * x)
