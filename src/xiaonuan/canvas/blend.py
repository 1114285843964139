"""Per-frame blending: premultiplied overlays (`Overlay`), the scene backdrop (`Backdrop`) and the easing
curves the moving layers use. Integer numpy over preallocated buffers; nothing here draws text or shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from xiaonuan.types import RGBA, Frame

if TYPE_CHECKING:
    from xiaonuan.loopvideo import LoopingVideo


# ---------------------------------------------------------------- easing (progress 0..1 → 0..1)

def ease_out_cubic(p: float) -> float:
    """Fast start, gentle landing: things arriving."""
    p = min(max(p, 0.0), 1.0)
    return 1.0 - (1.0 - p) ** 3


def ease_in_cubic(p: float) -> float:
    """Gentle start, fast end: things leaving."""
    p = min(max(p, 0.0), 1.0)
    return p ** 3


# ---------------------------------------------------------------- premultiplied overlays

@dataclass(frozen=True, eq=False)
class _Run:
    """A horizontal band of an overlay that has any coverage: rows y0:y1, cols x0:x1 (overlay coords)."""

    y0: int
    y1: int
    x0: int
    x1: int
    premul: np.ndarray  # (h, w, 3) uint16: rgb * alpha + 128 (the 128 rounds the /255)
    inv: np.ndarray  # (h, w, 3) uint16: 255 - alpha
    alpha: np.ndarray  # (h, w, 1) uint16: alpha (for fades)
    rgb: np.ndarray  # (h, w, 3) uint16: straight colour (for fades)


@dataclass(frozen=True, eq=False)
class Overlay:
    """An RGBA image prepared for fast 'over' blending; fully transparent rows are skipped."""

    width_px: int
    height_px: int
    runs: tuple[_Run, ...]

    @classmethod
    def from_rgba(cls, rgba: RGBA) -> "Overlay":
        a = rgba[..., 3]
        rows = np.flatnonzero(a.any(axis=1))
        runs = []
        if rows.size:
            # split into bands of consecutive covered rows
            breaks = np.flatnonzero(np.diff(rows) > 1)
            starts = np.concatenate(([rows[0]], rows[breaks + 1]))
            ends = np.concatenate((rows[breaks] + 1, [rows[-1] + 1]))
            for y0, y1 in zip(starts.tolist(), ends.tolist()):
                cols = np.flatnonzero(a[y0:y1].any(axis=0))
                x0, x1 = int(cols[0]), int(cols[-1]) + 1
                band = rgba[y0:y1, x0:x1].astype(np.uint16)
                alpha = band[..., 3:4]
                runs.append(_Run(y0, y1, x0, x1,
                                 premul=np.ascontiguousarray(band[..., :3] * alpha + 128),
                                 inv=np.ascontiguousarray(np.repeat(255 - alpha, 3, axis=2)),
                                 alpha=np.ascontiguousarray(alpha),
                                 rgb=np.ascontiguousarray(band[..., :3])))
        return cls(rgba.shape[1], rgba.shape[0], tuple(runs))

    def blend_into(self, dst: Frame, x_px: int, y_px: int, opacity: float = 1.0) -> None:
        """Blend over `dst` (RGB, in place) with the overlay's top-left at (x_px, y_px); clipped."""
        H, W = dst.shape[:2]
        q = int(round(min(max(opacity, 0.0), 1.0) * 256))
        if q == 0:
            return
        for r in self.runs:
            dy0, dy1 = y_px + r.y0, y_px + r.y1
            dx0, dx1 = x_px + r.x0, x_px + r.x1
            cy0, cy1, cx0, cx1 = max(dy0, 0), min(dy1, H), max(dx0, 0), min(dx1, W)
            if cy0 >= cy1 or cx0 >= cx1:
                continue
            sy, sx = slice(cy0 - dy0, cy1 - dy0), slice(cx0 - dx0, cx1 - dx0)
            region = dst[cy0:cy1, cx0:cx1]
            if q >= 256:
                premul, inv = r.premul[sy, sx], r.inv[sy, sx]
            else:  # fading: alpha scaled by q/256, colour premultiplied by that same alpha so
                # rgb*a + dst*(255-a) stays ≤ 255*255 and the uint16 sum cannot overflow
                a = (r.alpha[sy, sx] * q) >> 8
                premul = r.rgb[sy, sx] * a + 128
                inv = 255 - a
            acc = region * inv  # uint8 * uint16 → uint16; max 255*255 + 65025 fits
            acc += premul
            acc += acc >> 8
            acc >>= 8  # ≈ round(acc / 255)
            region[...] = acc


@dataclass(frozen=True, eq=False)
class Backdrop:
    """What a scene shows under its moving layers: a static frame drawn once, or, with a background
    video, the clip's current frame with the static layers (pre-rendered once, premultiplied) over it."""

    base: Frame | None  # (H, W, 3) uint8, the static frame; None with a video
    video: "LoopingVideo | None" = None
    premul: np.ndarray | None = None  # (H, W, 3) uint8: the static layers' rgb * alpha / 255
    inv: np.ndarray | None = None  # (H, W, 3) uint8: 255 - their alpha

    @classmethod
    def from_rgba(cls, rgba: RGBA, video: "LoopingVideo | None") -> "Backdrop":
        if video is None:
            return cls(np.ascontiguousarray(rgba[..., :3]))
        a = rgba[..., 3:4].astype(np.uint16)
        premul = ((rgba[..., :3] * a + 127) // 255).astype(np.uint8)
        return cls(None, video, premul, np.ascontiguousarray(np.repeat(255 - rgba[..., 3:4], 3, axis=2)))

    def draw(self, canvas: Frame, frame_index: int) -> None:
        """Write the backdrop of program frame `frame_index` into `canvas` (the frame's one full copy)."""
        if self.video is None:
            np.copyto(canvas, self.base)
            return
        cv2.multiply(self.video.frame(frame_index), self.inv, dst=canvas, scale=1 / 255)  # SIMD, ≈1 ms at 1080p
        cv2.add(canvas, self.premul, dst=canvas)
