"""Motion-compensated cross-fade of two frames of one clip, and a pixel measure of how a seam looks.

A loop seam cross-fades the frame that would have followed the loop's end with the loop's start. The
two faces are a few pixels apart, so a plain fade shows a double face (two pairs of eyes) for a few
frames. Here both frames are first moved (an affine map fitted to the face's landmarks) onto the
landmarks in between them, then faded: one face, moving smoothly. The background is not moved (it is
still in a presenter clip); a soft mask around the head and neck joins the two.
"""

from __future__ import annotations

import cv2
import numpy as np

from xiaonuan.face import mesh
from xiaonuan.types import Frame, Landmarks

# Points whose affine fit moves the face: the oval, eyes, brows and nose (not the lips, which talk).
FIT_POINTS = tuple(sorted(set(mesh.FACE_OVAL + mesh.BROWS + mesh.NOSE_BRIDGE + mesh.RIGHT_EYE_UPPER
                              + mesh.LEFT_EYE_UPPER + (mesh.NOSE_TIP,))))
MASK_SIDE_EYE = 0.6           # the moved region reaches this far beside the face oval (eye distances) ...
MASK_TOP_EYE = 0.8            # ... above it (hair) ...
MASK_BOTTOM_EYE = 1.6         # ... and below the chin (neck, collar)
MASK_FEATHER_EYE = 0.5        # the soft edge between moved and still pixels


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares affine map src → dst (N, 2 points)."""
    a = np.concatenate([src, np.ones((len(src), 1))], 1).astype(np.float64)
    m, *_ = np.linalg.lstsq(a, dst.astype(np.float64), rcond=None)
    return m.T.astype(np.float32)


def head_mask(lm: Landmarks, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[slice, slice]]:
    """(h, w, 1) float32 weights 0..1 over the box that holds the head and neck, and that box's slices."""
    eye = mesh.eye_distance_px(lm)
    h, w = shape[:2]
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    pad = MASK_FEATHER_EYE * eye
    x0 = int(max(0, np.floor(lo[0] - (MASK_SIDE_EYE + pad / eye) * eye)))
    x1 = int(min(w, np.ceil(hi[0] + (MASK_SIDE_EYE + pad / eye) * eye)))
    y0 = int(max(0, np.floor(lo[1] - (MASK_TOP_EYE + pad / eye) * eye)))
    y1 = int(min(h, np.ceil(hi[1] + (MASK_BOTTOM_EYE + pad / eye) * eye)))
    m = np.zeros((y1 - y0, x1 - x0), np.float32)
    c = (0.5 * (lo[0] + hi[0]) - x0, 0.5 * (lo[1] - MASK_TOP_EYE * eye + hi[1] + MASK_BOTTOM_EYE * eye) - y0)
    axes = (0.5 * (hi[0] - lo[0]) + MASK_SIDE_EYE * eye, 0.5 * (hi[1] - lo[1] + (MASK_TOP_EYE + MASK_BOTTOM_EYE) * eye))
    cv2.ellipse(m, (int(round(c[0])), int(round(c[1]))), (int(axes[0]), int(axes[1])), 0, 0, 360, 1.0, -1)
    m = cv2.GaussianBlur(m, (0, 0), max(pad / 2.5, 1.0))
    return m[..., None], (slice(y0, y1), slice(x0, x1))


def compensated_fade(a: Frame, b: Frame, lm_a: Landmarks, lm_b: Landmarks, w_b: float, out: Frame) -> Landmarks:
    """out = a·(1-w_b) + b·w_b with both faces moved onto the landmarks in between; returns those landmarks.

    Outside the head mask the plain fade is kept (the background does not move)."""
    lm_t = ((1.0 - w_b) * lm_a + w_b * lm_b).astype(np.float32)
    cv2.addWeighted(a, 1.0 - w_b, b, w_b, 0.0, dst=out)
    mask, (ys, xs) = head_mask(lm_t, a.shape)
    if mask.size == 0:
        return lm_t
    pts = list(FIT_POINTS)
    off = np.array([xs.start, ys.start], np.float32)
    size = (xs.stop - xs.start, ys.stop - ys.start)
    moved = np.zeros((size[1], size[0], 3), np.float32)
    for img, lm, wt in ((a, lm_a, 1.0 - w_b), (b, lm_b, w_b)):
        # inverse map: a pixel of the box at lm_t's place reads the frame where lm has it
        m = _affine(lm_t[pts] - off, lm[pts])
        moved += wt * cv2.warpAffine(img, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                     borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    roi = out[ys, xs]
    roi[...] = np.clip(moved * mask + roi.astype(np.float32) * (1.0 - mask) + 0.5, 0, 255).astype(np.uint8)
    return lm_t


def face_difference(f0: Frame, f1: Frame, lm: Landmarks) -> float:
    """Mean absolute grey difference (0..255) between two frames over the face's box (eyes to chin)."""
    lo, hi = np.floor(lm.min(axis=0)).astype(int), np.ceil(lm.max(axis=0)).astype(int)
    h, w = f0.shape[:2]
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], w), min(hi[1], h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    g0 = cv2.cvtColor(np.ascontiguousarray(f0[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    g1 = cv2.cvtColor(np.ascontiguousarray(f1[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(g0 - g1).mean())
