"""The presenter layer: each presenter frame (and its matte and head pose) cropped, moved and scaled into
the template's box in one resampling, then pasted straight, through the box's shape, or through a matte.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from xiaonuan.template_spec import PresenterBox
from xiaonuan.types import Frame


def box_mask(box: PresenterBox) -> np.ndarray:
    """Presenter visibility inside its box (L, 0..255): rounded rect, circle or soft oval."""
    bw, bh = box.width_px, box.height_px
    mask = Image.new("L", (bw, bh), 0)
    d = ImageDraw.Draw(mask)
    if box.style == "circle":
        d.ellipse((0, 0, bw - 1, bh - 1), fill=255)
    elif box.style == "matte":  # no matte from the avatar: a feathered oval cut-out
        d.ellipse((bw * 0.1, bh * 0.04, bw * 0.9, bh * 1.45), fill=255)
        mask = mask.filter(ImageFilter.GaussianBlur(max(bw, bh) // 14))
    else:
        d.rounded_rectangle((0, 0, bw - 1, bh - 1), radius=box.corner_radius_px, fill=255)
    return np.asarray(mask)


class PresenterLayer:
    """The presenter box of one template. `prepare(size)` sets up geometry and buffers for presenter frames
    of that size (again whenever the size changes); `draw` pastes one frame into the canvas."""

    def __init__(self, box: PresenterBox, over_video: bool) -> None:
        self.box = box
        self.mask = box_mask(box)
        self._over_video = over_video  # a background video shows in the box's corners
        self.size = (0, 0)

    def prepare(self, presenter_size: tuple[int, int]) -> None:
        """Prepare the crop/resize geometry and buffers for presenter frames of (width, height)."""
        w, h = presenter_size
        self.size = (w, h)
        box = self.box
        c = box.crop
        cx0, cy0 = int(round(c[0] * w)), int(round(c[1] * h))
        cw, ch = max(1, int(round(c[2] * w)) - cx0), max(1, int(round(c[3] * h)) - cy0)
        p = _placement(box, cw, ch)
        self._place = _Placement(slice(p.src_y.start + cy0, p.src_y.stop + cy0),
                                 slice(p.src_x.start + cx0, p.src_x.stop + cx0),
                                 p.width_px, p.height_px, p.x_px, p.y_px)
        self._resized: Frame = np.empty((p.height_px, p.width_px, 3), np.uint8)
        self._matte_resized = np.empty((p.height_px, p.width_px), np.uint8)
        # a round or rounded box over a background video: pasted through its mask, as the video shows
        # in the corners (without a video the static corners are restored by the box overlay instead)
        ox, oy = p.x_px - box.x_px, p.y_px - box.y_px
        under = self.mask[oy:oy + p.height_px, ox:ox + p.width_px]
        self._under = np.ascontiguousarray(under) if self._over_video and under.min() < 255 else None
        if box.style == "matte":
            m = cv2.resize(self.mask, (box.width_px, box.height_px))
            self._fade = edge_fade(p.width_px, p.height_px, box.edge_fade_px)
            self._under = None
            soft = m[oy:oy + p.height_px, ox:ox + p.width_px]
            self._soft = np.ascontiguousarray(soft if self._fade is None else cv2.multiply(soft, self._fade,
                                                                                           scale=1 / 255))

    def draw(self, canvas: Frame, presenter: Frame, matte: np.ndarray | None,
             pose: np.ndarray | None = None) -> None:
        """Paste `presenter` (moved by `pose`, cut out by `matte` in a matte box) into `canvas`."""
        if presenter.shape[1::-1] != self.size:
            self.prepare((presenter.shape[1], presenter.shape[0]))
        p = self._place
        region = canvas[p.y_px:p.y_px + p.height_px, p.x_px:p.x_px + p.width_px]
        if self.box.style != "matte" and self._under is None:
            self._resample(presenter, region, pose)  # straight into the canvas (OpenCV writes into the view)
            return
        self._resample(presenter, self._resized, pose)
        if self.box.style != "matte":
            a = self._under
        elif matte is not None:
            m = matte if matte.dtype == np.uint8 else (np.clip(matte, 0, 1) * 255).astype(np.uint8)
            self._resample(m, self._matte_resized, pose)
            if self._fade is not None:  # soft sides and bottom (template's edge_fade_px)
                cv2.multiply(self._matte_resized, self._fade, dst=self._matte_resized, scale=1 / 255)
            a = self._matte_resized
        else:
            a = self._soft
        a16 = a[..., None].astype(np.uint16)
        acc = self._resized * a16
        acc += region * (255 - a16)
        acc += 128
        acc += acc >> 8
        acc >>= 8
        region[...] = acc

    def _resample(self, image: np.ndarray, dst: np.ndarray, pose: np.ndarray | None) -> None:
        """`image` (presenter geometry) cropped and scaled into `dst` (the placed size); with `pose`, moved by
        it first in the same warp (one resampling, not a whole-frame warp then a resize: issue #7)."""
        p = self._place
        if pose is None:
            cv2.resize(image[p.src_y, p.src_x], (p.width_px, p.height_px), dst=dst, interpolation=cv2.INTER_LINEAR)
            return
        # box pixel u → crop position (u + 0.5)·scale − 0.5 (cv2.resize's convention) → un-posed frame
        sx = (p.src_x.stop - p.src_x.start) / p.width_px
        sy = (p.src_y.stop - p.src_y.start) / p.height_px
        place = np.array([[sx, 0.0, p.src_x.start + 0.5 * sx - 0.5], [0.0, sy, p.src_y.start + 0.5 * sy - 0.5]])
        back = cv2.invertAffineTransform(np.asarray(pose, np.float64))
        m = back[:, :2] @ place
        m[:, 2] += back[:, 2]
        # BORDER_REFLECT101 as animate._apply_pose and matte.with_matte use for the whole frame
        cv2.warpAffine(image, m, (p.width_px, p.height_px), dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_REFLECT101)


@dataclass(frozen=True)
class _Placement:
    """How one presenter frame maps into the box: source crop, resized size, offset in the canvas."""

    src_y: slice
    src_x: slice
    width_px: int
    height_px: int
    x_px: int
    y_px: int


def _placement(box: PresenterBox, src_w: int, src_h: int) -> _Placement:
    if box.fit == "stretch":
        return _Placement(slice(0, src_h), slice(0, src_w), box.width_px, box.height_px, box.x_px, box.y_px)
    if box.fit == "cover":
        scale = max(box.width_px / src_w, box.height_px / src_h)
        cw, ch = min(src_w, round(box.width_px / scale)), min(src_h, round(box.height_px / scale))
        cx = (src_w - cw) // 2
        cy = max(0, (src_h - ch) // 4)  # keep more headroom than footroom: crop mostly from the bottom
        return _Placement(slice(cy, cy + ch), slice(cx, cx + cw), box.width_px, box.height_px, box.x_px, box.y_px)
    scale = min(box.width_px / src_w, box.height_px / src_h)  # contain
    w, h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    return _Placement(slice(0, src_h), slice(0, src_w), w, h,
                      box.x_px + (box.width_px - w) // 2, box.y_px + (box.height_px - h) // 2)


def edge_fade(width_px: int, height_px: int, fade_px: int) -> np.ndarray | None:
    """(height, width) uint8 alpha ramp: 0 at the left, right and bottom edges, rising smoothly
    (smoothstep) to 255 at fade_px inside them; the top is left alone (the head). None for fade_px 0."""
    if fade_px <= 0:
        return None

    def ramp(n: int) -> np.ndarray:
        d = np.minimum(np.arange(n, dtype=np.float32) + 0.5, n - np.arange(n, dtype=np.float32) - 0.5)
        t = np.clip(d / fade_px, 0.0, 1.0)
        return t * t * (3 - 2 * t)

    x = ramp(width_px)[None, :]
    y = np.clip((height_px - np.arange(height_px, dtype=np.float32) - 0.5) / fade_px, 0.0, 1.0)[:, None]
    y = y * y * (3 - 2 * y)
    return np.ascontiguousarray(np.round(x * y * 255).astype(np.uint8))
