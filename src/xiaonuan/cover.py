"""The cover image: a calm frame of the first story (mouth nearly closed, eyes open, head still),
composed without its subtitle so the headline reads cleanly, written as a JPG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .fileio import COVER_MARK, publish, temp_beside
from .types import Frame

SKIP_S = 1.5  # the lower third is still sliding in during the first second or so
SMOOTH_FRAMES = 7  # calm over about a quarter second, not a single frame between syllables
JPEG_QUALITY = 88


def calm_frame(track, first_story_frames: int | None = None) -> int:
    """Index (speech clock) of the calmest frame in the first story of a MotionTrack."""
    n = track.n_frames
    end = min(n, first_story_frames or n)
    start = min(int(SKIP_S * track.fps), max(0, end - 1))
    if end - start < 1:
        return 0
    pose = np.abs(np.diff(track.head_pose_deg, axis=0, prepend=track.head_pose_deg[:1])).sum(axis=1)
    restless = track.jaw_open + 2.0 * (1.0 - track.eye_open) + 0.5 * pose + 0.3 * track.lip_round
    kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
    score = np.convolve(restless, kernel, mode="same")
    return int(start + np.argmin(score[start:end]))


def write_cover(frame: Frame, path: Path | str) -> Path:
    """Write an RGB frame as a JPG, atomically, marked as a cover (so the next render may replace it and
    nothing else: fileio.check_sidecars)."""
    path = Path(path)
    tmp = temp_beside(path, ".jpg")
    try:
        Image.fromarray(np.ascontiguousarray(frame)).save(tmp, "JPEG", quality=JPEG_QUALITY, optimize=True,
                                                        comment=COVER_MARK)
        publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
