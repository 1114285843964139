"""Presenter matte: an alpha mask of the person, so a template can put them over its own background.

MediaPipe selfie segmentation (the 256x256 general model, shipped in the mediapipe 0.10.21 wheel)
runs on each frame shrunk so its longer side is SEGMENT_PX. The soft mask is steadied over time
(an exponential moving average with a dead band: changes smaller than HYSTERESIS are ignored, so
edge noise does not flicker), then brought back to full size by a fast guided filter (He & Sun
2015) with the frame's luma as guide, so the edge follows the real outline at full resolution
and stays soft (feathered) where the outline is soft (hair). The edge is pulled in a little
(CHOKE_LO) so no background fringe (halo) survives.

A still portrait is segmented once: its frames differ from the still only inside the face (the
lips, the lids) and by a whole-frame transform (head sway, breathing) that `animate.pose_matrices`
describes; the matte is moved by that same transform, so it is exactly as steady as the picture.

    pairs = with_matte(frames)                                           # a recorded clip
    pairs = with_matte(frames, still=av.image, transforms=pose_matrices(av, track))   # a portrait

MediaPipe is imported inside functions only: importing this module does no work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from xiaonuan.types import Frame
from xiaonuan.face.mesh import quiet

Alpha = np.ndarray  # (H, W) uint8, 0 background … 255 person, in the presenter frame's geometry

SEGMENT_PX = 256        # longer side of the frame the model sees (its own input is 256x256)
MODEL_GENERAL = 0       # MediaPipe's general model (1 is the landscape model: coarser at the edges)
EMA_RATE = 0.5          # share of a (beyond-dead-band) change taken per frame: settles in ~3 frames
HYSTERESIS = 0.06       # mask changes smaller than this (0..1) are ignored: no flicker at the edges
GUIDE_RADIUS = 2        # guided filter window radius at SEGMENT_PX (px), ≈ 6 px at 720
GUIDE_EPS = 0.003 * 255 ** 2  # guided filter regularisation (luma 0..255): larger = softer, less edge-following
CHOKE_LO, CHOKE_HI = 0.5, 0.95  # soft mask → alpha: below LO transparent, above HI opaque (pulls the edge in)


@dataclass(frozen=True)
class MatteSettings:
    """How the matte is made; the defaults suit a head-and-shoulders presenter."""

    segment_px: int = SEGMENT_PX
    ema_rate: float = EMA_RATE
    hysteresis: float = HYSTERESIS
    guide_radius: int = GUIDE_RADIUS
    guide_eps: float = GUIDE_EPS
    choke: tuple[float, float] = (CHOKE_LO, CHOKE_HI)


class Matter:
    """Streaming matte of one presenter's frames; all buffers are allocated on the first frame.

    `next(frame)` returns the alpha of that frame in a buffer that is reused by the next call.
    `close()` releases the MediaPipe graph (also done by the context manager).
    """

    def __init__(self, settings: MatteSettings = MatteSettings()) -> None:
        # lazy: mediapipe takes ~0.7 s to import and loads TFLite; only face measurement needs it
        import mediapipe as mp

        self.settings = settings

        self._seg = quiet(lambda: mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=MODEL_GENERAL))
        self._shape: tuple[int, int] | None = None
        self._state: np.ndarray | None = None

    def __enter__(self) -> Matter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._seg.close()

    def reset(self) -> None:
        """Forget the temporal state (the next frame is taken as it is): call at a cut."""
        self._state = None

    def _allocate(self, h: int, w: int) -> None:
        s = self.settings.segment_px / max(h, w)
        self._small_size = (max(8, round(w * s)), max(8, round(h * s)))   # (w, h) for cv2
        sw, sh = self._small_size
        self._small = np.empty((sh, sw, 3), np.uint8)
        self._small_luma = np.empty((sh, sw), np.float32)
        self._luma8 = np.empty((h, w), np.uint8)
        self._luma = np.empty((h, w), np.float32)
        self._a_up = np.empty((h, w), np.float32)
        self._b_up = np.empty((h, w), np.float32)
        self._out = np.empty((h, w), np.uint8)
        self._shape = (h, w)
        self._state = None

    def soft_mask(self, frame: Frame) -> np.ndarray:
        """The model's person probability (float32 0..1) at the reduced size, steadied over time."""
        h, w = frame.shape[:2]
        if self._shape != (h, w):
            self._allocate(h, w)
        cv2.resize(frame, self._small_size, dst=self._small, interpolation=cv2.INTER_AREA)
        raw = self._seg.process(self._small).segmentation_mask
        if self._state is None:
            self._state = np.array(raw, np.float32)
        else:  # EMA with a dead band: m += rate · shrink(raw − m, hysteresis)
            d = raw - self._state
            step = np.abs(d)
            step -= self.settings.hysteresis
            np.maximum(step, 0.0, out=step)
            step *= np.sign(d)
            step *= self.settings.ema_rate
            self._state += step
        return self._state

    def next(self, frame: Frame) -> Alpha:
        """The alpha matte of `frame` (H, W) uint8, feathered and full size. Reused buffer."""
        mask = self.soft_mask(frame)
        st = self.settings
        np.copyto(self._small_luma, cv2.cvtColor(self._small, cv2.COLOR_RGB2GRAY))
        a, b = _guided_coefficients(self._small_luma, mask, st.guide_radius, st.guide_eps)
        lo, hi = st.choke
        k = 255.0 / (hi - lo)           # fold the choke remap into the linear model: alpha = a'·I + b'
        a *= k
        b -= lo
        b *= k
        h, w = self._shape
        cv2.resize(a, (w, h), dst=self._a_up, interpolation=cv2.INTER_LINEAR)
        cv2.resize(b, (w, h), dst=self._b_up, interpolation=cv2.INTER_LINEAR)
        cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY, dst=self._luma8)
        np.copyto(self._luma, self._luma8)
        q = self._a_up
        q *= self._luma
        q += self._b_up
        np.clip(q, 0.0, 255.0, out=q)
        np.copyto(self._out, q, casting="unsafe")
        return self._out


def _guided_coefficients(guide: np.ndarray, p: np.ndarray, radius: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Box-averaged (a, b) of the guided filter q = a·guide + b (both float32, guide's size)."""
    ksize = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, ksize, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(p)
    cov_ip = box(guide * p) - mean_i * mean_p
    var_i = box(guide * guide) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a), box(b)


def still_matte(image: Frame, settings: MatteSettings = MatteSettings()) -> Alpha:
    """The matte of one still picture (a copy, not a reused buffer)."""
    with Matter(settings) as m:
        return m.next(image).copy()


def with_matte(frames: Iterable[Frame], *, still: Frame | None = None,
               transforms: Iterable[np.ndarray | None] | None = None,
               opaque: tuple[slice, slice] | None = None,
               settings: MatteSettings = MatteSettings()) -> Iterator[tuple[Frame, Alpha]]:
    """(frame, alpha) pairs for Compositor.stream(); the alpha buffer is reused from frame to frame.

    `still` (a portrait): segment it once and reuse that matte, moved per frame by the 2x3 matrix
    from `transforms` (None: unmoved) — the whole-frame transform the frame itself went through.
    Without `still` every frame is segmented (a recorded clip). `opaque` (rows, cols) is kept fully
    opaque, e.g. a label stamped on the presenter (see `stamp_box`).
    """
    if still is not None:
        yield from _still_pairs(frames, still_matte(still, settings), transforms, opaque)
        return
    with Matter(settings) as m:
        for f in frames:
            a = m.next(f)
            if opaque is not None:
                a[opaque] = 255
            yield f, a


def _still_pairs(frames: Iterable[Frame], base: Alpha, transforms: Iterable[np.ndarray | None] | None,
                 opaque: tuple[slice, slice] | None) -> Iterator[tuple[Frame, Alpha]]:
    moves = iter(transforms) if transforms is not None else None
    out = np.empty_like(base)
    h, w = base.shape
    for f in frames:
        m = next(moves, None) if moves is not None else None
        if m is None:
            np.copyto(out, base)
        else:   # the frame was warped with BORDER_REFLECT101 (animate._apply_pose): so is its matte
            cv2.warpAffine(base, m, (w, h), dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        if opaque is not None:
            out[opaque] = 255
        yield f, out


def stamp_box(stamp: Callable[[Iterator[Frame]], Iterator[Frame]], size: tuple[int, int]) -> tuple[slice, slice] | None:
    """(rows, cols) that a frame stamp (e.g. animate.label_unconsented) draws on, for frames of (width, height).

    Found by stamping a black and a white frame: the pixels it changes in either are its box.
    """
    w, h = size
    changed = np.zeros((h, w), bool)
    for value in (0, 255):
        blank = np.full((h, w, 3), value, np.uint8)
        changed |= (next(iter(stamp(iter([blank.copy()])))) != blank).any(axis=2)
    if not changed.any():
        return None
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
