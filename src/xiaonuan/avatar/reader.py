"""Streaming random-ish access to the frames of an avatar pack's normalised video.

A loop plan reads the clip mostly in order, jumps back at loop seams, and (ping-pong) plays it
backwards. ClipReader keeps one ffmpeg decoder open and reads forwards; a backward or far jump
re-opens the decoder with an input seek (-ss, frame-exact for the packs' constant-rate H.264 with a
keyframe every second). Going backwards it decodes a chunk of CHUNK_FRAMES frames ending at the
wanted one and serves the following backward requests from that chunk, so memory stays bounded by
CACHE_FRAMES decoded frames whatever the clip's length.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from xiaonuan.errors import AvatarError
from xiaonuan.types import Frame
from xiaonuan.encode import read_frames

CHUNK_FRAMES = 12        # frames decoded ahead of a backward jump
SKIP_AHEAD_FRAMES = 50   # a forward jump up to this far is decoded through rather than seeked
CACHE_FRAMES = 2 * CHUNK_FRAMES


class ClipReader:
    """frame(j) → the j-th RGB frame (read-only view; valid until CACHE_FRAMES other frames are read)."""

    def __init__(self, video: Path, size: tuple[int, int], fps: int) -> None:
        self.video, self.size, self.fps = Path(video), size, fps
        self._gen = None
        self._pos = 0                          # index of the frame the decoder yields next
        self._cache: OrderedDict[int, Frame] = OrderedDict()
        self.seeks = 0                         # how many times the decoder was re-opened (for tests/bench)

    def frame(self, j: int) -> Frame:
        hit = self._cache.get(j)
        if hit is not None:
            self._cache.move_to_end(j)
            return hit
        if self._gen is None or j < self._pos or j > self._pos + SKIP_AHEAD_FRAMES:
            start = max(0, j - CHUNK_FRAMES + 1) if (self._gen is not None and j < self._pos) else j
            self._open(start)
        while self._pos <= j:
            try:
                raw = next(self._gen)
            except StopIteration:
                raise self._damaged(f"its video ends at frame {self._pos - 1}, before frame {j}") from None
            except (RuntimeError, OSError, ValueError) as e:  # imageio-ffmpeg on a file cut short or changed
                raise self._damaged(" ".join(str(e).split())[:200]) from None
            self._put(self._pos, raw)
            self._pos += 1
        return self._cache[j]

    def _damaged(self, why: str) -> AvatarError:
        """The pack is named (its folder), not its internal file: that is what the user enrolled and can fix."""
        name = self.video.parent.name
        return AvatarError(f"avatar pack {name!r} is damaged ({why}; the pack's video was cut short or changed "
                           f"after enrolment): copy the pack folder {str(self.video.parent)!r} back from a backup, "
                           f"or enrol the original clip again: xiaonuan avatar add CLIP --name {name} --replace")

    def _put(self, k: int, frame: Frame) -> None:
        self._cache[k] = np.array(frame)       # own copy: the decoder reuses its buffer
        while len(self._cache) > CACHE_FRAMES:
            self._cache.popitem(last=False)

    def _open(self, start: int) -> None:
        self.close()
        self._gen = read_frames(self.video, self.size, start=start, fps=self.fps)
        self._pos = start
        self.seeks += 1

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None

    def __enter__(self) -> "ClipReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
