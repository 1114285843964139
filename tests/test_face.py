"""face/: landmarks on the default portrait, the warp's identity and locality, mouth fill, feathering."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.avatar import load_avatar
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
