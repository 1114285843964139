"""Expression presets: a smile (and brow set) under the speech motion, per video or per sentence.

neutral: the face at rest. warm: a slight smile (mouth corners out and up) and relaxed, slightly
raised brows. serious: no smile, corners a touch down (negative smile), brows slightly lowered.
The first preset eases in over the first half second, so the first frame is the avatar's own face;
a change between sentences eases in the pause before the new sentence, never mid-word.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError

# name → (smile 0..1 or slightly negative, brow offset −1..1)
EXPRESSIONS: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    "warm": (0.45, 0.08),
    "serious": (-0.15, -0.12),
}
EASE_IN_S = 0.5    # from the avatar's own face to the first preset, and from one preset to the next
MIN_EASE_S = 0.2   # a pause shorter than this still gets an ease this long (centred on it), not a snap


def expression_curves(name: str, n_frames: int, fps: int = 25, *,
                      sentences: Sequence[tuple[float, float, str]] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(smile, brow offset) per frame: preset `name` throughout, or per sentence.

    `sentences`: (start_s, end_s, preset) of each spoken sentence in order; preset "" means `name`.
    InputError for an unknown preset.
    """
    names = [s[2] or name for s in sentences] or [name]
    for n in {name, *names}:
        if n not in EXPRESSIONS:
            raise InputError(f"unknown expression {n!r}: use one of {', '.join(EXPRESSIONS)}")
    t_s = np.arange(n_frames) / fps  # frame i shows [i/fps, (i+1)/fps)
    level = np.tile(np.array(EXPRESSIONS[names[0]], np.float64), (n_frames, 1))
    for k in range(1, len(names)):
        if names[k] != names[k - 1]:
            a_s, b_s = _ease_window_s(sentences[k - 1][1], sentences[k][0], fps)
            step = np.subtract(EXPRESSIONS[names[k]], EXPRESSIONS[names[k - 1]])
            level += _smoothstep((t_s - a_s) / (b_s - a_s))[:, None] * step
    ramp = _smoothstep(np.arange(n_frames) / max(EASE_IN_S * fps, 1))[:, None]
    out = (level * ramp).astype(np.float32)
    return out[:, 0].copy(), out[:, 1].copy()


def _ease_window_s(prev_end_s: float, start_s: float, fps: int) -> tuple[float, float]:
    """[from, to) of a change before the sentence starting at start_s: inside the pause, at most EASE_IN_S long,
    complete on the first frame that shows the sentence."""
    to_s = np.floor(start_s * fps) / fps
    from_s = max(prev_end_s, to_s - EASE_IN_S)
    if to_s - from_s < MIN_EASE_S:  # a very short pause: overlap the words a little rather than jump
        mid_s = (from_s + to_s) / 2
        from_s, to_s = mid_s - MIN_EASE_S / 2, mid_s + MIN_EASE_S / 2
    return from_s, to_s


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return x * x * (3 - 2 * x)
