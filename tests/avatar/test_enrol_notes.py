"""Enrolment says what will go wrong before a render does (issue 17): a drawn face, the chin at the frame's
edge, a frown kept through the clip, and no notes that contradict the pack. Inputs are built here: the
default portrait, posterised into a drawing or moved down in its frame, and landmark tracks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import yaml

from xiaonuan.avatar.enrol import Measurement, enrol, quality_issues
from xiaonuan.avatar.notes import FROWN_DROP_EYE, MAX_FLAT_SHARE, corner_drop_eye, flat_share
from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face import mesh
from xiaonuan.paths import avatars_dir

FPS = 25


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    img = cv2.imread(str(avatars_dir() / "default" / "portrait.png"))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _drawing(img: np.ndarray) -> np.ndarray:
    """The portrait as a flat-shaded drawing: smoothed to flat areas, then a few levels per channel."""
    out = img.copy()
    for _ in range(4):
        out = cv2.bilateralFilter(out, 9, 40, 7)
    return (out // 48 * 48 + 24).astype(np.uint8)


def _codes(result) -> list[str]:
    return [i.code for i in result.report.issues]


def test_a_drawn_face_is_warned_a_photo_is_not(portrait, tmp_path):
    lm = load_avatar("default").landmarks
    assert flat_share(portrait, lm) < 0.05 < MAX_FLAT_SHARE < flat_share(_drawing(portrait), lm)
    cv2.imwrite(str(tmp_path / "drawn.png"), cv2.cvtColor(_drawing(portrait), cv2.COLOR_RGB2BGR))
    drawn = enrol(tmp_path / "drawn.png", "drawn", root=tmp_path / "av")
    assert "drawn_face" in _codes(drawn)
    text = next(i.message for i in drawn.report.issues if i.code == "drawn_face")
    assert "looks drawn" in text and "real person" in text
    manifest = yaml.safe_load((drawn.folder / "avatar.yaml").read_text(encoding="utf-8"))
    assert any("looks drawn" in q for q in manifest["quality"])          # the pack keeps the warning
    photo = enrol(avatars_dir() / "default" / "portrait.png", "photo", root=tmp_path / "av")
    assert "drawn_face" not in _codes(photo)


def test_a_photo_with_the_chin_at_the_bottom_edge_is_warned(portrait, tmp_path):
    lm = load_avatar("default").landmarks
    h = portrait.shape[0]
    room = h - float(lm[list(mesh.FACE_OVAL), 1].max())
    shift = int(room - 0.25 * mesh.eye_distance_px(lm))                # the face moved down: 0.25 eye distances left
    low = np.zeros_like(portrait)
    low[shift:] = portrait[:h - shift]
    cv2.imwrite(str(tmp_path / "low.png"), cv2.cvtColor(low, cv2.COLOR_RGB2BGR))
    assert "chin_low" in _codes(enrol(tmp_path / "low.png", "low", root=tmp_path / "av"))


def _track(n: int, gaps, corner_down_eye: float = 0.0) -> Measurement:
    """n frames of the default portrait's landmarks with the given inner-lip gaps (eye distances) and the
    mouth corners moved down by corner_down_eye."""
    base = load_avatar("default").landmarks.astype(np.float32)
    eye = mesh.eye_distance_px(base)
    lm = np.repeat(base[None], n, axis=0)
    lm[:, mesh.INNER_LIP_BOTTOM, 1] += np.asarray(gaps, np.float32) * eye
    for c in (mesh.MOUTH_CORNER_RIGHT, mesh.MOUTH_CORNER_LEFT):
        lm[:, c, 1] += corner_down_eye * eye
    return Measurement(lm, np.ones(n, bool), np.ones(n, np.int8), np.full(n, 120.0, np.float32),
                       np.full(n, 30.0, np.float32), (720, 720))


def test_a_frown_kept_through_the_clip_is_warned_a_passing_one_is_not():
    base = load_avatar("default").landmarks
    own = float(corner_drop_eye(base))                                  # the portrait smiles: corners above
    frown = FROWN_DROP_EYE - own + 0.03
    assert corner_drop_eye(_track(1, [0.0], frown).landmarks)[0] > FROWN_DROP_EYE
    assert "frown" in [i.code for i in quality_issues(_track(40, np.zeros(40), frown), FPS)]
    assert "frown" in [i.code for i in quality_issues(_track(1, [0.0], frown), 1)]     # a photo too
    passing = _track(40, np.zeros(40), frown)
    passing.landmarks[:20] = _track(20, np.zeros(20)).landmarks                       # half the clip only
    assert "frown" not in [i.code for i in quality_issues(passing, FPS)]
    assert "frown" not in [i.code for i in quality_issues(_track(40, np.zeros(40)), FPS)]


def test_a_mostly_open_talking_clip_says_it_talks_as_its_pack_records():
    from xiaonuan.avatar.pack import MOUTH_MOVES_EYE
    from xiaonuan.face.samples import mouth_moves

    t = np.arange(60)
    talking_open = _track(60, 0.14 + 0.1 * np.sin(t / 2.0) ** 2)        # open in every frame, moving
    assert mouth_moves(talking_open.landmarks, talking_open.found, MOUTH_MOVES_EYE)   # pack: moves: true
    issues = quality_issues(talking_open, FPS)
    by_code = {i.code: i for i in issues}
    assert by_code["mouth_open"].severity == "warning" and by_code["mouth_moves"].severity == "info"
    assert "talks" in by_code["mouth_moves"].message and "fine" not in by_code["mouth_moves"].message
    still_open = _track(60, np.full(60, 0.2))                           # open but never moving: no samples
    assert not mouth_moves(still_open.landmarks, still_open.found, MOUTH_MOVES_EYE)
    assert "mouth_moves" not in [i.code for i in quality_issues(still_open, FPS)]
