"""animate.py: the mouth opens with jaw_open, closes on lip_press, lids close, pixels outside the face stay."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.animate import animate
from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face import mesh
from xiaonuan.face.warp import face_crop_box
from xiaonuan.motion.track import MotionTrack

REST, OPEN, PRESSED, BLINK, POSED = range(5)


def _track() -> MotionTrack:
    n = 5
    z = [np.zeros(n, np.float32) for _ in range(6)]
    jaw, width, rnd, press, smile, brow = z
    eye = np.ones(n, np.float32)
    pose = np.zeros((n, 3), np.float32)
    jaw[OPEN] = 0.9
    jaw[PRESSED], press[PRESSED] = 0.9, 1.0
    eye[BLINK] = 0.0
    jaw[POSED], pose[POSED] = 0.5, (2.0, 1.5, 3.0)
    return MotionTrack(25, jaw, width, rnd, press, smile, eye, brow, pose)


@pytest.fixture(scope="module")
def rendered():
    av = load_avatar("default")
    frames = [f.copy() for f in animate(av, _track())]
    return av, frames, [mesh.detect_landmarks(f) for f in frames]


def _gap(lm) -> float:
    return float(np.linalg.norm(lm[mesh.INNER_LIP_TOP] - lm[mesh.INNER_LIP_BOTTOM]) / mesh.eye_distance_px(lm))


def _lids(lm) -> float:
    return float(np.linalg.norm(lm[159] - lm[145]) / np.linalg.norm(lm[33] - lm[133]))


def test_one_frame_per_motion_frame(rendered):
    av, frames, lms = rendered
    assert len(frames) == _track().n_frames
    assert all(f.shape == (av.size[1], av.size[0], 3) and f.dtype == np.uint8 for f in frames)
    assert all(lm is not None for lm in lms)


def test_jaw_open_parts_the_lips(rendered):
    _, _, lms = rendered
    assert _gap(lms[OPEN]) > _gap(lms[REST]) + 0.15


def test_rest_and_lip_press_close_the_mouth(rendered):
    _, _, lms = rendered
    assert _gap(lms[REST]) < 0.04          # the portrait's own parted lips are closed at rest
    assert _gap(lms[PRESSED]) < 0.04       # lip_press overrides jaw_open


def test_eye_open_zero_closes_the_lids(rendered):
    _, _, lms = rendered
    assert _lids(lms[BLINK]) < 0.6 * _lids(lms[REST])


def test_outside_the_face_crop_is_untouched_without_head_pose(rendered):
    av, frames, _ = rendered
    box = face_crop_box(av.landmarks, av.size)
    outside = np.ones(av.image.shape[:2], bool)
    outside[box.slices] = False
    for i in (REST, OPEN, PRESSED, BLINK):
        assert np.array_equal(frames[i][outside], av.image[outside])
    assert not np.array_equal(frames[POSED][outside], av.image[outside])   # head pose moves the whole frame


def test_pose_false_leaves_the_pose_to_pose_matrices():
    # render() asks for un-posed frames and lets the compositor apply pose_matrices (issue #7)
    import cv2

    from xiaonuan.animate import pose_matrices

    av = load_avatar("default")
    posed = [f.copy() for f in animate(av, _track())]
    still = [f.copy() for f in animate(av, _track(), pose=False)]
    moves = list(pose_matrices(av, _track()))
    assert moves[REST] is None and moves[POSED] is not None
    for f, p, m in zip(still, posed, moves):
        expected = f if m is None else cv2.warpAffine(f, m, av.size, flags=cv2.INTER_LINEAR,
                                                      borderMode=cv2.BORDER_REFLECT101)
        assert np.array_equal(expected, p)


def test_a_face_that_barely_moves_is_not_redrawn():
    from xiaonuan.animate import FACE_STILL_PX, build_rig

    av = load_avatar("default")
    rig = build_rig(av)
    per_unit = float(np.abs(rig.shapes["jaw"]).max())            # px a landmark moves per unit of jaw_open
    n = 4
    z = [np.zeros(n, np.float32) for _ in range(6)]
    jaw = z[0]
    jaw[:] = [0.3, 0.3 + 0.5 * FACE_STILL_PX / per_unit, 0.3 + 0.9 * FACE_STILL_PX / per_unit, 0.4]
    track = MotionTrack(25, jaw, *z[1:5], np.ones(n, np.float32), z[5], np.zeros((n, 3), np.float32))
    frames = [f.copy() for f in animate(av, track, pose=False)]
    assert np.array_equal(frames[0], frames[1]) and np.array_equal(frames[0], frames[2])   # < FACE_STILL_PX
    assert not np.array_equal(frames[2], frames[3])


def test_unconsented_label_is_stamped_on_a_copy():
    from xiaonuan.animate import label_unconsented

    frames = [np.full((200, 300, 3), v, np.uint8) for v in (10, 200)]
    originals = [f.copy() for f in frames]
    labelled = [f.copy() for f in label_unconsented(iter(frames))]
    assert all(np.array_equal(f, o) for f, o in zip(frames, originals))      # the inputs are left alone
    assert all(not np.array_equal(f, o) for f, o in zip(labelled, originals))
