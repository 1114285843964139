"""Expression presets: a constant smile (and brow set) under the speech motion.

neutral: the face at rest. warm: a slight smile (mouth corners out and up) and relaxed, slightly
raised brows. serious: no smile, corners a touch down (negative smile), brows slightly lowered.
The smile eases in over the first half second so the first frame is the avatar's own face.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

# name → (smile 0..1 or slightly negative, brow offset −1..1)
EXPRESSIONS: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    "warm": (0.45, 0.08),
    "serious": (-0.15, -0.12),
}
EASE_IN_S = 0.5


def expression_curves(name: str, n_frames: int, fps: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """(smile, brow offset) per frame for the preset `name` (InputError for an unknown one)."""
    if name not in EXPRESSIONS:
        raise InputError(f"unknown expression {name!r}: use one of {', '.join(EXPRESSIONS)}")
    smile, brow = EXPRESSIONS[name]
    ramp = np.clip(np.arange(n_frames) / max(EASE_IN_S * fps, 1), 0, 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    return (smile * ramp).astype(np.float32), (brow * ramp).astype(np.float32)
