"""loopvideo.py: a background clip streamed at canvas size, looped without a seam (cross-fade), in
order without seeks, and the same frame whatever way it is reached."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from xiaonuan.encode import ffmpeg_exe
from xiaonuan.loopvideo import LoopingVideo

FPS = 25
N = 50  # frames in the clip: 2 s
STEP = 4  # brightness step per frame: a hard loop would jump by STEP * (N - 1)


@pytest.fixture(scope="module")
def ramp_clip(tmp_path_factory) -> Path:
    """A 64x36 clip whose frame k is a flat grey of 40 + STEP·k, with a white bar on the left third
    (so cover-scaling to a square crops a known amount)."""
    path = tmp_path_factory.mktemp("loop") / "ramp.mp4"
    frames = np.zeros((N, 36, 64, 3), np.uint8)
    for k in range(N):
        frames[k] = 40 + STEP * k
        frames[k, :, :8] = 255
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", "64x36", "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p",
           "-g", "10", str(path)]
    subprocess.run(cmd, input=frames.tobytes(), check=True)
    return path


def _level(frame: np.ndarray) -> float:
    return float(frame[:, frame.shape[1] // 2:].mean())  # the right half: away from the bar


def test_cover_scaled_to_the_canvas(ramp_clip: Path) -> None:
    with LoopingVideo(ramp_clip, (36, 36), FPS, fade_s=0.4) as v:
        f = v.frame(0)
        assert f.shape == (36, 36, 3) and not f.flags.writeable
        # 64x36 cover-scaled to 36x36 keeps the middle 36 columns: the 8-px bar on the left is cropped away
        assert f.max() < 200 and abs(_level(f) - 40) <= 2


def test_cross_faded_loop_has_no_seam_and_repeats(ramp_clip: Path) -> None:
    with LoopingVideo(ramp_clip, (32, 18), FPS, fade_s=0.4) as v:
        assert (v.n_frames, v.fade, v.period) == (N, 10, N - 10)
        levels = np.array([_level(v.frame(i)) for i in range(4 * v.period)])
        assert v.seeks == 0  # played in order: no decoder was ever re-positioned
    assert abs(levels[5] - (40 + STEP * 5)) <= 2  # the first pass starts on the clip itself
    steps = np.abs(np.diff(levels))
    assert steps.max() < 3 * STEP, steps.max()  # no jump anywhere (a hard loop jumps 156 levels)
    p = v.period
    assert np.abs(levels[p:2 * p] - levels[2 * p:3 * p]).max() <= 1  # every later loop is the same
    # inside the fade: the tail (clip[P + j]) blended into the head (clip[j])
    j = 4
    w = (j + 1) / (v.fade + 1)
    expect = (40 + STEP * (p + j)) * (1 - w) + (40 + STEP * j) * w
    assert abs(levels[p + j] - expect) <= 2


def test_random_access_matches_playing_in_order(ramp_clip: Path) -> None:
    with LoopingVideo(ramp_clip, (32, 18), FPS, fade_s=0.4) as v:
        in_order = [v.frame(i).copy() for i in range(130)]
    for i in (127, 3, 44, 90, 90, 45, 129):  # backwards, into a fade, repeated, far ahead
        with LoopingVideo(ramp_clip, (32, 18), FPS, fade_s=0.4) as w:
            assert np.abs(w.frame(i).astype(int) - in_order[i]).max() <= 1, i


def test_without_fade_the_clip_restarts(ramp_clip: Path) -> None:
    with LoopingVideo(ramp_clip, (32, 18), FPS, fade_s=0.0) as v:
        assert v.period == N
        assert abs(_level(v.frame(N + 3)) - _level(v.frame(3))) <= 1
