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
    h, w = crop.shape[:2]
    ry, rx = region if region is not None else (slice(0, h), slice(0, w))
    y0, y1, x0, x1 = ry.start, ry.stop, rx.start, rx.stop
    cy0, cy1, cx0, cx1 = _full_weight_box(mask)
    # where the mask is at full weight the blend is a plain copy (issue #7: most of the region);
    # only the strips of the region outside that box are mixed
    iy0, iy1, ix0, ix1 = max(y0, cy0), min(y1, cy1), max(x0, cx0), min(x1, cx1)
    if iy0 >= iy1 or ix0 >= ix1:
        _mix(dst, crop, base, mask, (slice(y0, y1), slice(x0, x1)))
        return
    dst[iy0:iy1, ix0:ix1] = crop[iy0:iy1, ix0:ix1]
    for strip in ((slice(y0, iy0), slice(x0, x1)), (slice(iy1, y1), slice(x0, x1)),
                  (slice(iy0, iy1), slice(x0, ix0)), (slice(iy0, iy1), slice(ix1, x1))):
        if strip[0].start < strip[0].stop and strip[1].start < strip[1].stop:
            _mix(dst, crop, base, mask, strip)


def _mix(dst: Frame, crop: Frame, base: Frame, mask: np.ndarray, region: tuple[slice, slice]) -> None:
    """dst = (crop·a + base·(256 − a) + 128) >> 8 over `region`, a = mask (0..256)."""
    a = mask[region]
    mixed = crop[region].astype(np.uint16) * a + base[region].astype(np.uint16) * ((1 << ALPHA_BITS) - a)
    mixed += 1 << (ALPHA_BITS - 1)
    dst[region] = (mixed >> ALPHA_BITS).astype(np.uint8)


def _full_weight_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1): a box where `mask` is at full weight (256); empty when it has none.
    Read off the middle row and column (a feather mask is separable), then checked."""
    full = 1 << ALPHA_BITS
    h, w = mask.shape[:2]
    rows = np.flatnonzero(mask[:, w // 2, 0] == full)
    cols = np.flatnonzero(mask[h // 2, :, 0] == full)
    if len(rows) == 0 or len(cols) == 0:
        return 0, 0, 0, 0
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if mask[y0:y1, x0:x1].min() != full:
        return 0, 0, 0, 0
    return y0, y1, x0, x1
