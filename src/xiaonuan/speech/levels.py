"""Loudness per 10 ms frame and where a recording is voiced: the signal measures that the aligner
(align.py) and the pause-based timing estimate (recorded.py) share. Kept apart so neither imports the other.
"""

from __future__ import annotations

import numpy as np

HOP_S = 0.01                 # energy is measured every 10 ms
SILENCE_FRACTION = 0.3       # silence: below floor + this share of the floor→speech dB range


def frame_db(samples: np.ndarray, rate_hz: int, hop_s: float = HOP_S) -> np.ndarray:
    hop = max(1, int(rate_hz * hop_s))
    n = len(samples) // hop
    frames = samples[:n * hop].reshape(n, hop).astype(np.float64)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-10)


def voiced_mask(db: np.ndarray) -> np.ndarray:
    """True where the recording is speech, by a threshold between its noise floor and its loud part."""
    if len(db) == 0:
        return np.zeros(0, bool)
    floor, loud = np.percentile(db, 10), np.percentile(db, 95)
    if loud - floor < 6:  # nearly constant level: all speech (or all silence)
        return np.full(len(db), loud > -60)
    voiced = db > floor + SILENCE_FRACTION * (loud - floor)
    # close tiny gaps (stops inside words) so only real pauses remain
    k = int(0.04 / HOP_S)
    return np.convolve(voiced.astype(float), np.ones(2 * k + 1), "same") > 0 if k else voiced
