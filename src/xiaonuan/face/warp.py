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


def _delaunay(points: np.ndarray) -> np.ndarray:
    """(T, 3) indices of the Delaunay triangles of `points` (N, 2), by OpenCV's Subdiv2D: on the warp's
    ring (face oval inside, anchors lining the crop's border) the same triangles as scipy.spatial.Delaunay,
    without importing scipy (~0.2 s of CPU a render, issue #7)."""
    pts = np.asarray(points, np.float32)
    lo, hi = np.floor(pts.min(axis=0)) - 2, np.ceil(pts.max(axis=0)) + 2
    sub = cv2.Subdiv2D((int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1])))
    sub.insert([(float(x), float(y)) for x, y in pts])
    index = {(float(x), float(y)): i for i, (x, y) in enumerate(pts)}   # corners come back as the same float32
    corners = sub.getTriangleList().reshape(-1, 3, 2)                   # the outer virtual points are left out
    return np.array([[index[(float(x), float(y))] for x, y in tri] for tri in corners], np.int64).reshape(-1, 3)


def build_warp_mesh(landmarks: Landmarks, frame_size: tuple[int, int]) -> WarpMesh:
    """Triangulate the face crop of a frame whose landmarks were measured (done once per avatar)."""
    box = face_crop_box(landmarks, frame_size)
    local = (landmarks - np.array([box.x0, box.y0], np.float32)).astype(np.float32)
    anchors = _border_anchors(box.width_px, box.height_px, ANCHOR_SPACING * mesh.eye_distance_px(landmarks))
    points = np.concatenate([local, anchors]).astype(np.float32)

    oval = np.array(mesh.FACE_OVAL)
    ring_ids = np.concatenate([oval, mesh.N_LANDMARKS + np.arange(len(anchors))])
    ring = _delaunay(points[ring_ids])
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
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        self._grid_x = np.ascontiguousarray(np.repeat(gx[..., None], 2, axis=2))   # (h, w, 2): x, x
        self._grid_y = np.ascontiguousarray(np.repeat(gy[..., None], 2, axis=2))   # (h, w, 2): y, y

    def warp(self, src_crop: Frame, target_px: np.ndarray, out: Frame,
             src_px: np.ndarray | None = None) -> tuple[slice, slice] | None:
        """Write into `out` the crop warped so that mesh points land on `target_px` (P,2 crop px).

        Only pixels of moved triangles are rewritten; the rest of `out` is left as it is (callers
        start from a copy of `src_crop`). Returns the region that was rewritten, or None.
        `src_px` (P,2) gives this frame's own source points (a recorded clip, where the face moves
        within the crop); the mesh's triangles are reused. Default: the mesh's points.
        """
        src = self.mesh.points_px if src_px is None else np.asarray(src_px, np.float32)
        tris = self.mesh.triangles
        moved = np.abs(target_px - src).max(axis=1) > MOVED_EPS_PX
        dyn = tris[moved[tris].any(axis=1)]
        if len(dyn) == 0:
            return None
        d = target_px[dyn].astype(np.float64)                   # (K,3,2) target corners
        e1, e2 = d[:, 1] - d[:, 0], d[:, 2] - d[:, 0]
        det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]         # twice the signed area
        ok = np.abs(det) > 2 * DEGENERATE_AREA_PX2
        dyn, d, e1, e2, det = dyn[ok], d[ok], e1[ok], e2[ok], det[ok]
        if len(dyn) == 0:
            return None
        h, w = self._tri_index.shape
        lo = np.floor(d.reshape(-1, 2).min(axis=0)).astype(int)
        hi = np.ceil(d.reshape(-1, 2).max(axis=0)).astype(int) + 1
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], w), min(hi[1], h)
        if x1 <= x0 or y1 <= y0:
            return None
        region = (slice(y0, y1), slice(x0, x1))
        a, b, c = _affine_tables(d, e1, e2, det, src[dyn].astype(np.float64))
        index = self._tri_index[region]
        _rasterise(index, d - np.array([x0, y0]))
        # per pixel (x_s, y_s) = a[k]·x + b[k]·y + c[k]; np.take gathers rows ~3x faster than a[index]
        src_xy = np.take(a, index, axis=0)                       # (h', w', 2)
        src_xy *= self._grid_x[region]
        by = np.take(b, index, axis=0)
        by *= self._grid_y[region]
        src_xy += by
        src_xy += np.take(c, index, axis=0)
        out[region] = cv2.remap(src_crop, src_xy, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return region


def _affine_tables(d: np.ndarray, e1: np.ndarray, e2: np.ndarray, det: np.ndarray, s: np.ndarray):
    """Per triangle, source = a·x + b·y + c maps target pixel (x, y) into the source crop: tables a, b, c
    of (K + 1, 2) float32 rows (for x_s, y_s), row 0 the identity (pixels no moved triangle covers).

    d, s: (K, 3, 2) target and source corners; e1, e2: target edges from corner 0; det: e1 × e2.
    The linear part maps e1 → f1 and e2 → f2 (source edges): L = [f1 f2]·[e1 e2]⁻¹, in closed form.
    """
    f1, f2 = s[:, 1] - s[:, 0], s[:, 2] - s[:, 0]
    inv = 1.0 / det[:, None]
    a = (f1 * e2[:, 1:2] - f2 * e1[:, 1:2]) * inv              # ∂(x_s, y_s)/∂x
    b = (f2 * e1[:, 0:1] - f1 * e2[:, 0:1]) * inv              # ∂(x_s, y_s)/∂y
    c = s[:, 0] - a * d[:, 0, 0:1] - b * d[:, 0, 1:2]
    return tuple(np.concatenate([[ident], t]).astype(np.float32)
                 for t, ident in ((a, (1, 0)), (b, (0, 1)), (c, (0, 0))))


def _rasterise(index: np.ndarray, corners_px: np.ndarray) -> None:
    """index[y, x] = k + 1 where triangle k (corners in index pixels) covers pixel (x, y), else 0.
    A pixel on an edge two triangles share gets either: the map is continuous there."""
    index.fill(0)
    fixed = np.round(corners_px * (1 << SUBPIXEL_SHIFT)).astype(np.int32)
    fill = cv2.fillConvexPoly               # ~650 calls a frame: positional arguments parse a third faster
    for k, tri in enumerate(list(fixed), start=1):
        fill(index, tri, k, cv2.LINE_8, SUBPIXEL_SHIFT)
