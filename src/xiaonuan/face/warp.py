"""Piecewise-affine warp of a face crop from source landmarks to target landmarks.

The crop is triangulated once: MediaPipe's face tessellation, strips that fill the eye and mouth holes,
and a ring of triangles from the face oval out to fixed anchor points on the crop border, so the warp
is the identity at the border. Per frame only the triangles whose corners moved are rasterised, and only
the pixels they cover are resampled (inverse mapping: each target pixel looks up its source position).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from xiaonuan.face import mesh
from xiaonuan.types import Frame, Landmarks

CROP_MARGIN_SIDE = 0.40      # crop margins beyond the landmarks' bounding box, in eye distances
CROP_MARGIN_TOP = 0.15
CROP_MARGIN_BOTTOM = 1.00    # room below the chin, so the jaw can drop without squashing the neck
ANCHOR_SPACING = 0.25        # spacing of the fixed anchors on the crop border, in eye distances
MOVED_EPS_PX = 1e-3          # a point that moved less than this is treated as still
DEGENERATE_AREA_PX2 = 0.05   # target triangles smaller than this cover no pixel and are skipped
SUBPIXEL_SHIFT = 4           # fixed-point bits for cv2.fillConvexPoly (1/16 px)


@dataclass(frozen=True)
class CropBox:
    """A rectangle of the frame in pixels: columns x0..x1, rows y0..y1 (end-exclusive)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width_px(self) -> int:
        return self.x1 - self.x0

    @property
    def height_px(self) -> int:
        return self.y1 - self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


def face_crop_box(landmarks: Landmarks, frame_size: tuple[int, int]) -> CropBox:
    """The part of the frame the face stage may change: landmarks' box plus margins, inside the frame."""
    w, h = frame_size
    eye = mesh.eye_distance_px(landmarks)
    lo, hi = landmarks.min(axis=0), landmarks.max(axis=0)
    x0 = max(0, int(np.floor(lo[0] - CROP_MARGIN_SIDE * eye)))
    x1 = min(w, int(np.ceil(hi[0] + CROP_MARGIN_SIDE * eye)))
    y0 = max(0, int(np.floor(lo[1] - CROP_MARGIN_TOP * eye)))
    y1 = min(h, int(np.ceil(hi[1] + CROP_MARGIN_BOTTOM * eye)))
    return CropBox(x0, y0, x1, y1)


def _strip(upper: tuple[int, ...], lower: tuple[int, ...], left: int, right: int) -> list[tuple[int, int, int]]:
    """Triangles filling the hole between two paired contours that share corner points."""
    top = (left, *upper, right)
    bot = (left, *lower, right)
    tris = [(top[0], top[1], bot[1])]
    for i in range(1, len(top) - 2):
        tris += [(top[i], top[i + 1], bot[i]), (bot[i], top[i + 1], bot[i + 1])]
    tris.append((top[-2], top[-1], bot[-2]))
    return tris


HOLE_STRIPS = (
    _strip(mesh.LIPS_INNER_UPPER[1:-1], mesh.LIPS_INNER_LOWER[1:-1], mesh.INNER_CORNER_RIGHT, mesh.INNER_CORNER_LEFT)
    + _strip(mesh.RIGHT_EYE_UPPER, mesh.RIGHT_EYE_LOWER, mesh.RIGHT_EYE_OUTER, mesh.RIGHT_EYE_INNER)
    + _strip(mesh.LEFT_EYE_UPPER, mesh.LEFT_EYE_LOWER, mesh.LEFT_EYE_INNER, mesh.LEFT_EYE_OUTER)
)


@dataclass(frozen=True, eq=False)
class WarpMesh:
    """Triangulated face crop: points are the 478 landmarks then the border anchors, in crop pixels."""

    box: CropBox
    points_px: np.ndarray      # (P, 2) float32, crop coordinates; [:478] are the landmarks
    triangles: np.ndarray      # (T, 3) int32 indices into points_px; hole strips first

    @property
    def n_anchors(self) -> int:
        return len(self.points_px) - mesh.N_LANDMARKS


def _border_anchors(width: int, height: int, spacing_px: float) -> np.ndarray:
    """Points around the crop border (corners included), about spacing_px apart."""
    nx = max(2, int(np.ceil((width - 1) / spacing_px)) + 1)
    ny = max(2, int(np.ceil((height - 1) / spacing_px)) + 1)
    xs, ys = np.linspace(0, width - 1, nx), np.linspace(0, height - 1, ny)
    pts = [(x, 0.0) for x in xs] + [(x, height - 1.0) for x in xs]
    pts += [(0.0, y) for y in ys[1:-1]] + [(width - 1.0, y) for y in ys[1:-1]]
    return np.array(pts, dtype=np.float32)


def build_warp_mesh(landmarks: Landmarks, frame_size: tuple[int, int]) -> WarpMesh:
    """Triangulate the face crop of a frame whose landmarks were measured (done once per avatar)."""
    from scipy.spatial import Delaunay

    box = face_crop_box(landmarks, frame_size)
    local = (landmarks - np.array([box.x0, box.y0], np.float32)).astype(np.float32)
    anchors = _border_anchors(box.width_px, box.height_px, ANCHOR_SPACING * mesh.eye_distance_px(landmarks))
    points = np.concatenate([local, anchors]).astype(np.float32)

    oval = np.array(mesh.FACE_OVAL)
    ring_ids = np.concatenate([oval, mesh.N_LANDMARKS + np.arange(len(anchors))])
    ring = Delaunay(points[ring_ids].astype(np.float64)).simplices
    poly = points[oval].reshape(-1, 1, 2)
    centres = points[ring_ids][ring].mean(axis=1)
    outside = [cv2.pointPolygonTest(poly, (float(x), float(y)), False) < 0 for x, y in centres]
    outer = ring_ids[ring[np.array(outside)]]

    tris = np.concatenate([np.array(HOLE_STRIPS, np.int32), mesh.mesh_triangles(landmarks), outer.astype(np.int32)])
    return WarpMesh(box, points, tris.astype(np.int32))


class PiecewiseAffineWarper:
    """Warps crops of one WarpMesh; holds preallocated buffers, so use one per thread."""

    def __init__(self, warp_mesh: WarpMesh) -> None:
        self.mesh = warp_mesh
        h, w = warp_mesh.box.height_px, warp_mesh.box.width_px
        self._tri_index = np.full((h, w), -1, np.int32)
        self._grid_x, self._grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        self._src_h = np.concatenate([warp_mesh.points_px, np.ones((len(warp_mesh.points_px), 1), np.float32)], 1)

    def warp(self, src_crop: Frame, target_px: np.ndarray, out: Frame,
             src_px: np.ndarray | None = None) -> tuple[slice, slice] | None:
        """Write into `out` the crop warped so that mesh points land on `target_px` (P,2 crop px).

        Only pixels of moved triangles are rewritten; the rest of `out` is left as it is (callers
        start from a copy of `src_crop`). Returns the region that was rewritten, or None.
        `src_px` (P,2) gives this frame's own source points (a recorded clip, where the face moves
        within the crop); the mesh's triangles are reused. Default: the mesh's points.
        """
        src = self.mesh.points_px if src_px is None else np.asarray(src_px, np.float32)
        src_h = self._src_h if src_px is None else np.concatenate([src, np.ones((len(src), 1), np.float32)], 1)
        tris = self.mesh.triangles
        moved = np.abs(target_px - src).max(axis=1) > MOVED_EPS_PX
        dyn = tris[moved[tris].any(axis=1)]
        if len(dyn) == 0:
            return None
        d = target_px[dyn].astype(np.float64)                   # (K,3,2) target corners
        area = 0.5 * ((d[:, 1, 0] - d[:, 0, 0]) * (d[:, 2, 1] - d[:, 0, 1])
                      - (d[:, 2, 0] - d[:, 0, 0]) * (d[:, 1, 1] - d[:, 0, 1]))
        ok = np.abs(area) > DEGENERATE_AREA_PX2
        dyn, d = dyn[ok], d[ok]
        if len(dyn) == 0:
            return None
        dh = np.concatenate([d, np.ones(d.shape[:2] + (1,))], axis=2)   # rows: [x y 1] per corner
        # affine A (2x3) with A @ [x_t y_t 1]^T = [x_s y_s]^T for the three corners
        affine = np.linalg.solve(dh, src_h[dyn][:, :, :2].astype(np.float64)).transpose(0, 2, 1)
        coeffs = np.concatenate([affine.reshape(-1, 6), [[1, 0, 0, 0, 1, 0]]]).astype(np.float32)

        h, w = self._tri_index.shape
        lo = np.floor(d.reshape(-1, 2).min(axis=0)).astype(int)
        hi = np.ceil(d.reshape(-1, 2).max(axis=0)).astype(int) + 1
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], w), min(hi[1], h)
        if x1 <= x0 or y1 <= y0:
            return None
        region = (slice(y0, y1), slice(x0, x1))
        index = self._tri_index[region]
        index.fill(len(dyn))                                    # the identity row
        fixed = np.round(d * (1 << SUBPIXEL_SHIFT)).astype(np.int32) - np.array([x0, y0]) * (1 << SUBPIXEL_SHIFT)
        for k in range(len(dyn)):
            cv2.fillConvexPoly(index, fixed[k], k, lineType=cv2.LINE_8, shift=SUBPIXEL_SHIFT)
        c = coeffs[index]                                        # (h', w', 6)
        gx, gy = self._grid_x[region], self._grid_y[region]
        map_x = c[..., 0] * gx + c[..., 1] * gy + c[..., 2]
        map_y = c[..., 3] * gx + c[..., 4] * gy + c[..., 5]
        out[region] = cv2.remap(src_crop, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return region
