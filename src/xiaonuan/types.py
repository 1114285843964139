"""Array shapes used across stages, declared once.

Frame      (H, W, 3) uint8, RGB
RGBA       (H, W, 4) uint8, straight (not premultiplied) alpha
Landmarks  (478, 2) float32, pixel coordinates (x, y) in the frame they were measured on
Samples    (N,) float32 in [-1, 1], mono

PresenterFrame is what the presenter stage hands the compositor per video frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
RGBA = npt.NDArray[np.uint8]
Landmarks = npt.NDArray[np.float32]
Samples = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class PresenterFrame:
    """One presenter frame: the picture, its alpha matte (H, W) uint8 or float 0..1 for 'matte' templates,
    and a 2x3 head-pose transform the compositor applies while it places the frame (None: unmoved)."""

    image: Frame
    matte: np.ndarray | None = None
    pose: np.ndarray | None = None
