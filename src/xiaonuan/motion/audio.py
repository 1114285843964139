"""Mouth motion from the audio alone, for speech without a phoneme timeline (recorded voice-over).

Per video frame: loudness opens the jaw (relative to the recording's own floor and loud
level), a low spectral centroid in a voiced frame rounds the lips (o, u), a high one spreads
them (i, s), a short dip of energy inside speech closes the lips (p, b, m), and silence
rests the mouth. Same curves as `lips.lip_curves`, so the rest of the pipeline is unchanged.
"""

from __future__ import annotations

import numpy as np

from .lips import CURVES

FLOOR_PERCENTILE, LOUD_PERCENTILE = 10, 97
SILENT_DB_ABOVE_FLOOR = 6.0   # quieter than floor + this: the mouth rests
SILENT_DB_BELOW_LOUD = 28.0   # ... and so does anything this far below the loud level (breath, room noise)
JAW_GAMMA = 0.8               # < 1 opens the jaw a little more at mid loudness
JAW_MAX = 0.85
ROUND_HZ = (900.0, 1600.0)    # centroid at or below the first: fully round; at or above the second: not round
SPREAD_HZ = (2500.0, 4500.0)  # centroid from the first to the second spreads the lips
DIP_DB = 9.0                  # a frame this much quieter than both neighbours' peaks, inside speech: a closure
ATTACK, RELEASE = 0.75, 0.6   # one-pole smoothing per frame: open fast, close a little slower


def audio_lip_curves(samples: np.ndarray, rate_hz: int, n_frames: int, fps: int) -> dict[str, np.ndarray]:
    """Per-frame float32 curves named in lips.CURVES from mono `samples`."""
    db, centroid = _frame_features(samples, rate_hz, n_frames, fps)
    if len(db) == 0 or not np.isfinite(db).any():
        return {name: np.zeros(n_frames, np.float32) for name in CURVES}
    floor, loud = np.percentile(db, FLOOR_PERCENTILE), np.percentile(db, LOUD_PERCENTILE)
    span = max(loud - floor, 1e-3)
    level = np.clip((db - floor - SILENT_DB_ABOVE_FLOOR) / max(span - SILENT_DB_ABOVE_FLOOR, 1.0), 0, 1)
    level = np.where(db < loud - SILENT_DB_BELOW_LOUD, 0.0, level)
    voiced = level > 0
    jaw = JAW_MAX * level ** JAW_GAMMA
    round_ = np.clip((ROUND_HZ[1] - centroid) / (ROUND_HZ[1] - ROUND_HZ[0]), 0, 1) * voiced * np.sqrt(level)
    spread = np.clip((centroid - SPREAD_HZ[0]) / (SPREAD_HZ[1] - SPREAD_HZ[0]), 0, 1) * voiced
    width = 0.3 * spread - 0.5 * round_
    press = _closures(db, voiced)
    jaw = np.where(press > 0, 0.0, jaw)
    jaw, round_, width = (_attack_release(x) for x in (jaw, round_, width))
    out = {"jaw_open": jaw, "lip_width": width, "lip_round": round_, "lip_press": press}
    return {k: np.clip(out[k], -1, 1).astype(np.float32) for k in CURVES}


def _frame_features(samples: np.ndarray, rate_hz: int, n_frames: int, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """Loudness (dB) and spectral centroid (Hz) of each video frame's span of audio."""
    db = np.full(n_frames, -100.0)
    centroid = np.zeros(n_frames)
    for i in range(n_frames):
        a, b = (i * rate_hz) // fps, ((i + 1) * rate_hz) // fps
        x = samples[a:b].astype(np.float64)
        if len(x) < 16:
            continue
        db[i] = 10 * np.log10(np.mean(x ** 2) + 1e-10)
        spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        freqs = np.fft.rfftfreq(len(x), 1 / rate_hz)
        keep = (freqs > 80) & (freqs < 8000)
        power = spec[keep] ** 2
        centroid[i] = float((freqs[keep] * power).sum() / power.sum()) if power.sum() > 0 else 0.0
    return db, centroid


def _closures(db: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """1 in a frame whose energy dips well below the speech on both sides (a lip closure before a burst)."""
    press = np.zeros(len(db))
    for i in range(1, len(db) - 1):
        lo, hi = max(0, i - 3), min(len(db), i + 4)
        if voiced[lo:i].any() and voiced[i + 1:hi].any():
            if db[lo:i].max() - db[i] > DIP_DB and db[i + 1:hi].max() - db[i] > DIP_DB:
                press[i] = 1.0
    return press


def _attack_release(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x, dtype=np.float64)
    prev = 0.0
    for i, v in enumerate(x):
        k = ATTACK if abs(v) > abs(prev) else RELEASE
        prev = prev + k * (v - prev)
        out[i] = prev
    return out
