"""Feathered blend of a modified face crop back into its frame.

The warp is already the identity at the crop border, so the feather only hides resampling
differences there; pixels outside the crop are never touched.
"""

from __future__ import annotations

import numpy as np

from xiaonuan.face.warp import CropBox
from xiaonuan.types import Frame

FEATHER_PX = 12          # width of the ramp from the crop border inwards
ALPHA_BITS = 8           # the mask is stored as uint16 0..256 for integer blending


def feather_mask(width_px: int, height_px: int, feather_px: int = FEATHER_PX) -> np.ndarray:
    """(h, w, 1) uint16 weights 0..256: 0 on the border, 256 from feather_px inwards (smoothstep ramp)."""
    def ramp(n: int) -> np.ndarray:
        d = np.minimum(np.arange(n), np.arange(n)[::-1]).astype(np.float32) / max(feather_px, 1)
        d = np.clip(d, 0.0, 1.0)
        return d * d * (3 - 2 * d)
    m = np.outer(ramp(height_px), ramp(width_px))
    return np.round(m * (1 << ALPHA_BITS)).astype(np.uint16)[..., None]


def blend_crop(frame: Frame, crop: Frame, base: Frame, box: CropBox, mask: np.ndarray,
               region: tuple[slice, slice] | None = None) -> None:
    """Write `crop` over `base` (the unmodified crop) into `frame` at `box`, weighted by `mask`.

    The whole box is first reset to `base`, then the blend is done only inside `region` (crop
    coordinates; None = the whole crop), the part that changed. `mask` comes from feather_mask.
    """
    ys, xs = box.slices
    dst = frame[ys, xs]
    dst[...] = base
    if region is not None:
        dst, crop, base, mask = dst[region], crop[region], base[region], mask[region]
    a = mask
    mixed = crop.astype(np.uint16) * a + base.astype(np.uint16) * ((1 << ALPHA_BITS) - a) + (1 << (ALPHA_BITS - 1))
    dst[...] = (mixed >> ALPHA_BITS).astype(np.uint8)
