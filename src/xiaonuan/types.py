"""Array shapes used across stages, declared once.

Frame      (H, W, 3) uint8, RGB
RGBA       (H, W, 4) uint8, straight (not premultiplied) alpha
Landmarks  (478, 2) float32, pixel coordinates (x, y) in the frame they were measured on
Samples    (N,) float32 in [-1, 1], mono
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
RGBA = npt.NDArray[np.uint8]
Landmarks = npt.NDArray[np.float32]
Samples = npt.NDArray[np.float32]
