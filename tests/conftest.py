"""Shared fixtures: decoding what the pipeline wrote, and the optional real recordings."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"

# CI (.ci/run) runs the property tests with a fixed seed, so a green or red run can be reproduced; a developer's
# `make test` explores new random examples each time (and Hypothesis replays any failure it saved).
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True)
    _hypothesis_settings.load_profile(os.environ.get("XIAONUAN_HYPOTHESIS", "default"))
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass


def decode_audio(path: Path, rate_hz: int = 16000) -> np.ndarray:
    """The file's audio track as mono float32 at rate_hz."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate_hz),
           "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, np.float32)


def decode_frames(path: Path, indices: set[int]) -> dict[int, np.ndarray]:
    """The decoded RGB frames at the given indices."""
    from xiaonuan.encode import read_frames

    out = {}
    frames = read_frames(path)
    for i, frame in enumerate(frames):
        if i in indices:
            out[i] = frame.copy()
        if len(out) == len(indices):
            frames.close()
            break
    return out


def write_wav(path: Path, samples: np.ndarray, rate_hz: int) -> Path:
    """`samples` (float, -1..1) as a 16-bit mono WAV at `path`."""
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def write_video(path: Path, frames, fps: int = 25) -> Path:
    """RGB frames (all one size, sides multiples of 16) as an H.264 MP4 at `path`, with no audio."""
    import imageio_ffmpeg

    frames = iter(frames)
    first = np.ascontiguousarray(next(frames))
    w = imageio_ffmpeg.write_frames(str(path), (first.shape[1], first.shape[0]), fps=fps, quality=9,
                                    macro_block_size=16, ffmpeg_log_level="error")
    w.send(None)
    w.send(first)
    for f in frames:
        w.send(np.ascontiguousarray(f))
    w.close()
    return path


def talking_frames(jaw_open: np.ndarray, size_px: int = 400, face_px: int = 360, fps: int = 25) -> list[np.ndarray]:
    """A synthesised talking clip: the default portrait animated by the project's own animate() with this
    jaw_open per frame, scaled to face_px and pasted into a still size_px square."""
    import cv2

    from xiaonuan.animate import animate
    from xiaonuan.avatar.pack import load_avatar
    from xiaonuan.motion.track import MotionTrack

    track = MotionTrack.still(len(jaw_open), fps)
    track.jaw_open[:] = jaw_open
    off = (size_px - face_px) // 2
    frames = []
    for f in animate(load_avatar("default"), track):
        bg = np.full((size_px, size_px, 3), (70, 90, 120), np.uint8)
        bg[off:off + face_px, off:off + face_px] = cv2.resize(f, (face_px, face_px), interpolation=cv2.INTER_AREA)
        frames.append(bg)
    return frames


def loudness_per_frame(audio: np.ndarray, rate_hz: int, fps: int) -> np.ndarray:
    """RMS loudness in dB of each video frame's span of audio (as avsync measures it)."""
    hop = rate_hz // fps
    n = len(audio) // hop
    frames = audio[:n * hop].reshape(n, hop).astype(np.float64)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-10)


@pytest.fixture
def shared_media() -> Path:
    if not SHARED_MEDIA.is_dir():
        pytest.skip("../shared/media is absent")
    return SHARED_MEDIA


@pytest.fixture(autouse=True, scope="session")
def _speech_cache_in_tmp(tmp_path_factory):
    """Keep the speech cache out of the user's home while testing (shared by the whole session)."""
    import os

    old = os.environ.get("XIAONUAN_CACHE")
    os.environ["XIAONUAN_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("XIAONUAN_CACHE", None)
    else:
        os.environ["XIAONUAN_CACHE"] = old


@pytest.fixture(autouse=True, scope="session")
def _short_clips_allowed():
    """Synthesised clips last 0.4-2.4 s to keep the suite quick: enrolment's minimum clip length is lifted
    for them (tests of the minimum itself set enrol.MIN_CLIP_S back with monkeypatch)."""
    from xiaonuan.avatar import enrol

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(enrol, "MIN_CLIP_S", 0.0)
        yield


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A project folder of our own (XIAONUAN_HOME): the real templates and avatars, plus room for bad ones."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "templates", home / "templates")
    shutil.copytree(ROOT / "assets" / "avatar", home / "assets" / "avatar")
    monkeypatch.setenv("XIAONUAN_HOME", str(home))
    monkeypatch.delenv("XIAONUAN_AVATARS", raising=False)
    return home
