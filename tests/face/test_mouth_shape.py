"""The open mouth's shape (issue 17): inner-lip height over mouth width within 0.7-1.4x of the presenter's own,
measured on the rendered MP4's pixels, and the render's own cheap check that warns when it is not.

The talking clip is synthesised with the project's own animate(): the default portrait opening and closing
its mouth, pasted into a still frame (as in test_lipsync_talking.py), and enrolled."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

import xiaonuan
from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face import mesh
from xiaonuan.face.mouth_ratio import (RATIO_RANGE, TYPICAL_OPEN_RATIO, MouthShapeLog, check_ratio,
                                       gap_and_width, open_ratio, track_open_ratio, video_open_ratio,
                                       widen_on_open, width_per_gap)
from conftest import talking_frames, write_video

N_SRC = 75
SCRIPT = "# 口型\n\n爸爸妈妈看大海。大家好，今天天气很好，我们去公园吧。那里有很多大熊猫的图片，大家都说非常漂亮。"


def _mouth(gap: float, width: float) -> np.ndarray:
    """478 landmarks with the eyes 100 px apart and the given inner-lip gap and outer mouth width (eye distances)."""
    lm = np.zeros((mesh.N_LANDMARKS, 2), np.float32)
    lm[mesh.RIGHT_EYE_OUTER], lm[mesh.LEFT_EYE_OUTER] = (0, 0), (100, 0)
    lm[mesh.INNER_LIP_TOP], lm[mesh.INNER_LIP_BOTTOM] = (50, 100), (50, 100 + 100 * gap)
    lm[mesh.MOUTH_CORNER_RIGHT], lm[mesh.MOUTH_CORNER_LEFT] = (50 - 50 * width, 105), (50 + 50 * width, 105)
    return lm


def test_ratio_is_the_median_over_open_frames_only():
    closed = [_mouth(0.02, 0.6)] * 30                       # a parted rest mouth is not an open mouth
    opened = [_mouth(0.12, 0.6), _mouth(0.15, 0.6), _mouth(0.18, 0.6)] * 5
    ratio, n = track_open_ratio(np.stack(closed + opened))
    assert n == 15 and ratio == pytest.approx(0.25, abs=1e-6)
    assert track_open_ratio(np.stack(closed))[0] is None     # never open: no ratio of its own
    assert open_ratio(np.full(5, 0.2), np.full(5, 0.6))[0] is None    # too few open frames to say


def test_check_uses_own_ratio_else_a_real_talkers():
    assert check_ratio(0.3, 0.2) == (pytest.approx(1.5), False)
    assert check_ratio(0.25, 0.2)[1] and not check_ratio(0.13, 0.2)[1]
    assert check_ratio(TYPICAL_OPEN_RATIO * 1.2, None) == (pytest.approx(1.2), True)
    assert check_ratio(None, 0.2) == (None, True)            # a render that never opens its mouth


def test_warning_says_what_and_what_to_do():
    log = MouthShapeLog(own_ratio=0.2)
    for g in np.linspace(0.12, 0.2, 60):
        log.add(_mouth(float(g), 0.6))                      # ratios 0.2-0.33: median 0.27, 1.33x
    assert log.warnings("anna") == []
    log = MouthShapeLog(own_ratio=0.1)                      # forced out of range: 2.7x the presenter's own ...
    for g in np.linspace(0.12, 0.2, 40):
        log.add(_mouth(float(g), 0.6))
    assert log.warnings("anna") == []                       # ... but under 2 s of open mouth is not judged
    for g in np.linspace(0.12, 0.2, 20):
        log.add(_mouth(float(g), 0.6))
    (text,) = log.warnings("anna")
    assert "'anna'" in text and "taller and rounder" in text and "2.67×" in text and "re-enrol" in text


def test_width_follows_the_opening_as_a_real_mouth_does():
    gaps = np.linspace(0.0, 0.25, 60)
    track = np.stack([_mouth(float(g), 0.55 + 0.4 * g) for g in gaps])
    assert width_per_gap(track) == pytest.approx(0.4, abs=1e-3)
    assert width_per_gap() == width_per_gap(track[:5]) == 0.5          # nothing to measure: a real talker's
    base = _mouth(0.0, 0.6)
    jaw = np.zeros_like(base)
    jaw[mesh.INNER_LIP_BOTTOM, 1] = 20.0                     # opens 0.2 eye distances, corners still
    width = np.zeros_like(base)
    width[mesh.MOUTH_CORNER_RIGHT, 0], width[mesh.MOUTH_CORNER_LEFT, 0] = -5.0, 5.0
    g, w = gap_and_width(base + widen_on_open(base, jaw, width, 0.5))
    assert g == pytest.approx(0.2) and w == pytest.approx(0.6 + 0.5 * 0.2)


@pytest.fixture(scope="module")
def talker(tmp_path_factory):
    """Avatars root holding 'talker' (the synthesised talking clip, enrolled) and 'talker_off', the same
    pack with its own open ratio written down as half what it is (so a right render is out of range)."""
    from xiaonuan.avatar.enrol import enrol, parse_consent_by

    d = tmp_path_factory.mktemp("mouthshape")
    t = np.arange(N_SRC)
    frames = talking_frames((0.45 * (1 - np.cos(2 * np.pi * (t - 12) / 12)) * (t >= 12)).astype(np.float32))
    root = d / "avatars"
    enrol(write_video(d / "talker.mp4", frames), "talker", root=root,
          consent=parse_consent_by("Test Person, 2025-01-31"))
    shutil.copytree(root / "talker", root / "talker_off")
    man = yaml.safe_load((root / "talker_off" / "avatar.yaml").read_text(encoding="utf-8"))
    man["name"] = "talker_off"
    man["mouth"]["open_ratio"] = 0.5 * man["mouth"]["open_ratio"]
    (root / "talker_off" / "avatar.yaml").write_text(yaml.safe_dump(man, allow_unicode=True), encoding="utf-8")
    return root


def _render(root, name, tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_AVATARS", str(root))
    return xiaonuan.render(SCRIPT, avatar=name, template="vertical", height_px=640, out=tmp_path / f"{name}.mp4")


def test_rendered_open_mouth_is_the_presenters_own_shape(talker, tmp_path, monkeypatch):
    own = load_avatar("talker", talker).open_ratio
    assert own is not None and 0.1 < own < 0.5                          # stored at enrolment
    result = _render(talker, "talker", tmp_path, monkeypatch)
    ratio, n_open = video_open_ratio(result.mp4)                         # MediaPipe on the MP4's pixels
    assert n_open >= 10
    assert RATIO_RANGE[0] <= ratio / own <= RATIO_RANGE[1], (ratio, own)
    assert not [w for w in result.warnings if "open mouth" in w]


def test_render_warns_when_the_mouth_is_out_of_range(talker, tmp_path, monkeypatch):
    result = _render(talker, "talker_off", tmp_path, monkeypatch)
    (text,) = [w for w in result.warnings if "open mouth" in w]
    assert "'talker_off'" in text and "taller and rounder" in text
