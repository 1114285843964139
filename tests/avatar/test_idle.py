"""motion/idle.py breathing, and a still portrait that looks alive in a pause without drifting."""

from __future__ import annotations

import numpy as np

from xiaonuan.motion.idle import BREATH_PERIOD_S, blinks, breathing, head_motion
from xiaonuan.motion.track import MotionTrack

FPS = 25


def test_breathing_range_period_and_determinism():
    n = 120 * FPS
    b = breathing(n, FPS, np.random.default_rng(3))
    assert b.dtype == np.float32 and b.shape == (n,)
    assert b.min() >= 0.0 and b.max() <= 1.0 and b.max() > 0.5
    assert np.abs(np.diff(b)).max() < 0.05                       # eased: never a jump
    inhales = np.flatnonzero((b[1:] > 0.05) & (b[:-1] <= 0.05))  # one upward crossing per breath
    period_s = np.diff(inhales).mean() / FPS
    assert BREATH_PERIOD_S[0] <= period_s <= BREATH_PERIOD_S[1]   # 0.2–0.3 Hz
    assert np.diff(inhales).std() > 0                              # irregular
    assert np.array_equal(b, breathing(n, FPS, np.random.default_rng(3)))
    assert not np.array_equal(b, breathing(n, FPS, np.random.default_rng(4)))


def test_track_breath_defaults_to_zero():
    t = MotionTrack.still(4, FPS)
    assert t.breath.shape == (4,) and not t.breath.any() and t.frame(2).breath == 0.0


def test_a_still_portrait_stays_alive_in_a_pause():
    from xiaonuan.animate import animate, pose_matrices
    from xiaonuan.avatar.pack import load_avatar

    n = 3 * FPS
    rng = np.random.default_rng(1)
    z = np.zeros(n, np.float32)
    track = MotionTrack(FPS, z, z, z, z, z, blinks(n, FPS, rng), z, head_motion(n, FPS, [], rng),
                        breath=breathing(n, FPS, rng))                # a pause: mouth closed, idle only
    av = load_avatar("default")
    frames = [f.astype(np.int16) for f in animate(av, track)]
    steps = np.array([np.abs(b - a).mean() for a, b in zip(frames, frames[1:])])
    assert (steps > 0.05).mean() > 0.9            # it keeps moving (a still would be exactly 0) ...
    assert steps.max() < 3.0                      # ... in small steps (measured ≈ 0.1–0.45)
    assert max(np.abs(f - frames[0]).mean() for f in frames) < 12   # measured ≈ 7.5
    h = av.size[1]
    for m in pose_matrices(av, track):            # the whole frame never moves more than ~1.5 % of its size
        if m is not None:
            corners = np.array([[0, 0, 1], [av.size[0], 0, 1], [0, h, 1], [av.size[0], h, 1]], np.float32)
            moved = corners @ m.T - corners[:, :2]
            assert np.abs(moved).max() < 0.015 * h
