"""face/: landmarks on the default portrait, the warp's identity and locality, mouth fill, feathering."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face import mesh
from xiaonuan.face.blend import feather_mask
from xiaonuan.face.mouth import fill_mouth, mouth_style
from xiaonuan.face.warp import PiecewiseAffineWarper, build_warp_mesh


@pytest.fixture(scope="module")
def avatar():
    return load_avatar("default")


def test_landmarks_found_on_default_portrait(avatar):
    lm = mesh.detect_landmarks(avatar.image)
    assert lm is not None and lm.shape == (mesh.N_LANDMARKS, 2) and lm.dtype == np.float32
    h, w = avatar.image.shape[:2]
    assert (lm >= 0).all() and (lm[:, 0] < w).all() and (lm[:, 1] < h).all()
    assert mesh.eye_distance_px(lm) > 100                     # a 720 px head-and-shoulders portrait
    assert np.abs(lm - avatar.landmarks).max() < 3.0          # the cached landmarks match a fresh measurement


def test_no_face_gives_none():
    assert mesh.detect_landmarks(np.full((256, 256, 3), 128, np.uint8)) is None


def test_mesh_triangles_cover_face(avatar):
    tri = mesh.mesh_triangles(avatar.landmarks)
    assert 840 <= len(tri) <= 860 and tri.max() < mesh.N_MESH_POINTS


def test_warp_is_identity_without_motion_and_local_with_it(avatar):
    wm = build_warp_mesh(avatar.landmarks, avatar.size)
    src = np.ascontiguousarray(avatar.image[wm.box.slices])
    warper = PiecewiseAffineWarper(wm)
    out = src.copy()
    assert warper.warp(src, wm.points_px.copy(), out) is None and np.array_equal(out, src)
    target = wm.points_px.copy()
    target[list(mesh.LIPS_INNER_LOWER[1:-1])] += [0.0, 12.0]   # drop the lower lip
    region = warper.warp(src, target, out)
    assert region is not None
    changed = np.argwhere((out != src).any(axis=2))
    lip = wm.points_px[list(mesh.LIPS_OUTER)]
    assert changed[:, 0].min() > lip[:, 1].min() - 60 and changed[:, 1].min() > 0   # only around the mouth
    assert np.array_equal(out[0], src[0]) and np.array_equal(out[:, 0], src[:, 0])   # border untouched


def test_mouth_fill_is_dark_inside_the_lips(avatar):
    crop = np.full((120, 200, 3), 200, np.uint8)
    xs = np.linspace(40, 160, 11)
    arch = np.sin(np.linspace(0, np.pi, 11))
    upper = np.stack([xs, 50 - 2 * arch], 1).astype(np.float32)
    lower = np.stack([xs, 50 + 30 * arch], 1).astype(np.float32)
    style = mouth_style(avatar.image, avatar.landmarks)
    assert fill_mouth(crop, upper, lower, 140.0, style) is not None
    inner = crop[66, 100].astype(int)
    assert inner.mean() < 140 and inner[0] > inner[1] + 20     # dark red cavity / tongue in the middle
    assert crop[53, 100].mean() > 150          # upper teeth right under the upper lip
    assert (crop[5] == 200).all()              # nothing drawn away from the mouth


def test_feather_mask_ramps_from_border():
    m = feather_mask(100, 80)
    assert m.shape == (80, 100, 1) and m[0, 50, 0] == 0 and m[40, 0, 0] == 0 and m[40, 50, 0] == 256


def _reference_warp(src: np.ndarray, wm, target: np.ndarray, region) -> np.ndarray:
    """The warp by definition: every pixel of `region` takes the source position given by the barycentric
    coordinates of the target triangle around it, sampled bilinearly by cv2.remap. Where triangles
    overlap (the mouth and eye strips under the mesh's own) the later one wins, as in the warper."""
    ys, xs = region
    gy, gx = np.mgrid[ys, xs].astype(np.float64)
    map_xy = np.stack([gx, gy], axis=2)
    for tri in wm.triangles:
        (ax, ay), (bx, by), (cx, cy) = target[tri].astype(np.float64)
        det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
        if abs(det) < 1e-9:
            continue
        u = ((gx - ax) * (cy - ay) - (cx - ax) * (gy - ay)) / det       # weight of b
        v = ((bx - ax) * (gy - ay) - (gx - ax) * (by - ay)) / det       # weight of c
        inside = (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9)
        s = wm.points_px[tri].astype(np.float64)
        map_xy[inside] = (s[0] + u[inside, None] * (s[1] - s[0]) + v[inside, None] * (s[2] - s[0]))
    return cv2.remap(src, map_xy.astype(np.float32), None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def test_warp_matches_the_piecewise_affine_definition(avatar):
    # issue #7 rewrote the per-pixel maths (closed-form affines, row gathers); the result must not move
    from xiaonuan.animate import build_rig

    rig = build_rig(avatar)
    wm = rig.warp_mesh
    src = np.ascontiguousarray(avatar.image[wm.box.slices])
    lm = rig.base + 0.8 * rig.shapes["jaw"] + 0.6 * rig.shapes["blink"] + 0.5 * rig.shapes["round"]
    target = np.concatenate([lm - [wm.box.x0, wm.box.y0], wm.points_px[mesh.N_LANDMARKS:]]).astype(np.float32)
    out = src.copy()
    region = PiecewiseAffineWarper(wm).warp(src, target, out)
    diff = np.abs(out[region].astype(int) - _reference_warp(src, wm, target, region)).max(axis=2)
    # off the triangles' edges the two agree (to rounding); on an edge the rasteriser may give a pixel
    # to the neighbour, whose map extrapolated one pixel can differ (the stretched mouth strips)
    edges = np.zeros(src.shape[:2], np.uint8)
    for tri in wm.triangles:
        cv2.polylines(edges, [np.round(target[tri] * 16).astype(np.int32)], True, 1, 1, cv2.LINE_8, 4)
    on_edge = cv2.dilate(edges, np.ones((3, 3), np.uint8))[region] > 0
    assert diff[~on_edge].max() <= 1 and (diff > 1).mean() < 0.01


def test_ring_triangulation_matches_scipy_delaunay(avatar):
    # face.warp triangulates with OpenCV so that scipy is not imported at render time (issue #7)
    from scipy.spatial import Delaunay

    from xiaonuan.face.warp import _delaunay

    rng = np.random.default_rng(7)
    for scale in (1.0, 0.685, 0.5):
        wm = build_warp_mesh(avatar.landmarks * scale, (round(720 * scale), round(720 * scale)))
        ring = wm.points_px[np.concatenate([np.array(mesh.FACE_OVAL), mesh.N_LANDMARKS + np.arange(wm.n_anchors)])]
        oval = len(mesh.FACE_OVAL)         # the anchors stay on the crop's border, as they always are
        for pts in (ring, np.concatenate([ring[:oval] + rng.normal(0, 1.5, (oval, 2)), ring[oval:]]).astype(np.float32)):
            ours = sorted(tuple(sorted(t)) for t in _delaunay(pts).tolist())
            theirs = sorted(tuple(sorted(t)) for t in Delaunay(pts.astype(np.float64)).simplices.tolist())
            assert ours == theirs


def test_mesh_edges_without_importing_mediapipe():
    # the tessellation table is read on its own: importing mediapipe cost ~0.6 s of CPU per render (#7)
    import subprocess
    import sys

    code = ("import sys; from xiaonuan.face import mesh; e = mesh.mesh_edges(); "
            "assert 'mediapipe' not in sys.modules; "
            "from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION as T; "
            "assert e.tolist() == sorted(sorted(x) for x in {tuple(sorted(x)) for x in T}); print(len(e))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 1000


@pytest.mark.parametrize("region", [None, (slice(0, 80), slice(0, 100)), (slice(5, 70), slice(30, 60)),
                                    (slice(0, 4), slice(10, 90)), (slice(20, 30), slice(95, 100))])
@pytest.mark.parametrize("feather_px", [12, 0, 60])
def test_blend_crop_equals_the_weighted_formula(region, feather_px):
    # blend_crop copies where the mask is at full weight and mixes only the strips near the border (#7)
    from xiaonuan.face.blend import blend_crop
    from xiaonuan.face.warp import CropBox

    rng = np.random.default_rng(3)
    crop, base = (rng.integers(0, 256, (80, 100, 3), dtype=np.uint8) for _ in range(2))
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    box = CropBox(30, 20, 130, 100)
    mask = feather_mask(100, 80, feather_px)
    expected = frame.copy()
    window = expected[box.slices]
    window[...] = base
    r = region or (slice(0, 80), slice(0, 100))
    mixed = (crop[r].astype(np.uint32) * mask[r] + base[r].astype(np.uint32) * (256 - mask[r]) + 128) >> 8
    window[r] = mixed.astype(np.uint8)
    blend_crop(frame, crop, base, box, mask, region)
    assert np.array_equal(frame, expected)


def test_mediapipe_prints_nothing_on_stderr():
    import subprocess
    import sys

    code = ("import cv2; from xiaonuan.face.mesh import detect_landmarks; from xiaonuan.paths import builtin_avatars_dir;"
            "img = cv2.imread(str(builtin_avatars_dir() / 'default' / 'portrait.png'))[:, :, ::-1];"
            "assert detect_landmarks(img[:, 100:600].copy()) is not None")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # TFLite's "Created … XNNPACK delegate" and glog's "W0000 … Feedback manager …", on every enrolment
    assert "XNNPACK" not in run.stderr and "W0000" not in run.stderr and "NORM_RECT" not in run.stderr, run.stderr


def test_drawn_interior_is_narrow_at_the_corners(avatar):
    """Issue 17: no wide dark grin — towards the mouth corners the drawn interior fades back to the lips'
    own pixels, so the opening is lens-shaped whatever the target polygon's shape."""
    crop = np.full((120, 200, 3), 200, np.uint8)
    xs = np.linspace(40, 160, 11)
    upper = np.stack([xs, np.full(11, 40.0)], 1).astype(np.float32)     # a boxy, wide-open target
    lower = np.stack([xs, np.full(11, 75.0)], 1).astype(np.float32)
    upper[0, 1] = lower[0, 1] = upper[-1, 1] = lower[-1, 1] = 57.5
    fill_mouth(crop, upper, lower, 140.0, mouth_style(avatar.image, avatar.landmarks))
    assert crop[60, 100].mean() < 150                     # dark in the middle
    assert crop[68, 46].mean() > 150                      # near the corner: lip colour, not the cavity


def test_teeth_colour_comes_from_the_presenters_samples():
    from xiaonuan.face.mouth import teeth_from_samples

    lm = np.zeros((1, mesh.N_LANDMARKS, 2), np.float32)
    xs = np.linspace(10, 70, 11)
    lm[0, list(mesh.LIPS_INNER_UPPER)] = np.stack([xs, np.full(11, 20.0)], 1)
    lm[0, list(mesh.LIPS_INNER_LOWER)] = np.stack([xs, np.full(11, 40.0)], 1)
    patch = np.full((1, 60, 80, 3), (60, 20, 20), np.uint8)
    patch[0, 20:28, 20:60] = (210, 200, 170)                          # yellowish teeth under the upper lip
    teeth = teeth_from_samples(patch, lm, 100.0)
    assert teeth is not None and np.allclose(teeth, (210, 200, 170), atol=2)
    assert teeth_from_samples(patch, np.zeros_like(lm), 100.0) is None  # closed lips: no teeth to read
