"""face/seam.py and loop.plan_on_pixels: a loop seam's cross-fade moves both faces onto the landmarks
between them (no double face), and the seam is checked on rendered pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from xiaonuan.avatar import loop
from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face.seam import compensated_fade, face_difference


@pytest.fixture(scope="module")
def portrait():
    return load_avatar("default")


def _shifted(image: np.ndarray, dx: int) -> np.ndarray:
    return np.ascontiguousarray(np.roll(image, dx, axis=1))


def test_compensated_fade_shows_one_face_where_a_plain_fade_shows_two(portrait):
    """Two frames whose faces are 16 px apart (the seams of issue 17 were 17-21 px): half-way through the
    fade the compensated frame is the face 8 px along; the plain fade is a double image."""
    a, lm_a = portrait.image, portrait.landmarks
    b, lm_b = _shifted(a, 16), lm_a + np.float32([16, 0])
    halfway, lm_half = _shifted(a, 8), lm_a + np.float32([8, 0])
    out = np.empty_like(a)
    lm = compensated_fade(a, b, lm_a, lm_b, 0.5, out)
    assert np.abs(lm - lm_half).max() < 1e-3
    plain = cv2.addWeighted(a, 0.5, b, 0.5, 0.0)
    ghost = face_difference(plain, halfway, lm_half)
    moved = face_difference(out, halfway, lm_half)
    assert moved < 0.25 * ghost, (moved, ghost)


def test_compensated_fade_without_motion_is_the_plain_fade(portrait):
    a = portrait.image
    b = np.ascontiguousarray(a[:, ::-1])
    out = np.empty_like(a)
    compensated_fade(a, b, portrait.landmarks, portrait.landmarks, 0.3, out)
    plain = cv2.addWeighted(a, 0.7, b, 0.3, 0.0)
    assert np.abs(out.astype(int) - plain).max() <= 1


def test_loop_plan_keeps_its_pixel_ratio():
    plan = loop.LoopPlan("loop", 3, 40, 0.01, 0.02, seam_pixel_ratio=1.234)
    assert loop.LoopPlan.from_dict(plan.to_dict()) == plan
    old = {k: v for k, v in plan.to_dict().items() if k != "seam_pixel_ratio"}     # a pack enrolled before
    assert loop.LoopPlan.from_dict(old).seam_pixel_ratio is None


def test_lab_colour_transfer_matches_mean_and_contrast_on_the_ring(portrait):
    """A sample darker, redder and flatter than the frame (a low-contrast clip's patch) is brought back to the
    frame's colour on the blend ring: mean and spread, where a mean offset leaves the contrast wrong."""
    from xiaonuan.face.samples import match_colour

    cur = portrait.image[300:420, 250:420].astype(np.float32)
    smp = np.clip((cur - cur.mean((0, 1))) * 0.75 + cur.mean((0, 1)) * np.float32([0.92, 0.85, 0.85])
                  + np.float32([12, -4, -4]), 0, 255)
    ring = np.zeros(cur.shape[:2], bool)
    ring[:12], ring[-12:], ring[:, :12], ring[:, -12:] = True, True, True, True
    matched = match_colour(smp, cur, ring)
    offset = smp + (cur[ring].mean(0) - smp[ring].mean(0))
    err_lab = np.abs(matched - cur).mean()
    err_offset = np.abs(offset - cur).mean()
    assert err_lab < 3.0 and err_lab < 0.6 * err_offset, (err_lab, err_offset)
