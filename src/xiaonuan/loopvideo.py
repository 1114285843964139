"""A template's looping background clip, streamed: frame(i) → the clip at output frame i, forever.

ffmpeg decodes the clip already cover-scaled and cropped to the canvas (and resampled to the
template's fps when the clip has another rate), so each frame reaches Python once, at canvas size.
The loop is seamless for any clip: its last `fade` frames are cross-faded into its first ones.
With P = n - fade frames per loop, output frame j of a loop (j < P) is

    clip[j]                                          for j ≥ fade, or on the very first pass
    clip[P + j] · (1 - w) + clip[j] · w,  w = (j + 1) / (fade + 1)   for j < fade afterwards

so the frame after clip[P - 1] is (almost) clip[P], its own successor. Played in order this needs
no seek: the decoder that reached clip[P] goes on to the tail while a second one starts at the head
and takes over. Memory is two decoders and one output frame, whatever the clip's length; a jump
(a preview, a test) re-opens the decoders with a seek.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from xiaonuan.errors import EncodeError, TemplateError
from xiaonuan.types import Frame
from xiaonuan.encode import probe, quiet_frame_size_note, read_frames

SKIP_AHEAD_FRAMES = 50  # a forward jump up to this far is decoded through rather than seeked
MIN_LOOP_FRAMES = 4  # frames left between two cross-fades, at least


class _Decoder:
    """One ffmpeg decoder positioned at clip frame `next_index`."""

    def __init__(self, gen: Iterator[Frame], start: int) -> None:
        self.gen, self.next_index = gen, start

    def read(self) -> Frame | None:
        frame = next(self.gen, None)
        self.next_index += 1
        return frame

    def close(self) -> None:
        self.gen.close()


class LoopingVideo:
    """frame(i) → RGB frame (H, W, 3) uint8 of the looped clip at output frame i (a read-only view,
    valid until the next call). `close()` stops the decoders (also done by the context manager)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int, fade_s: float) -> None:
        self.path, self.size, self.fps = Path(path), size, fps
        quiet_frame_size_note()  # ffmpeg scales the clip to the canvas on purpose
        try:
            info = probe(self.path)
        except EncodeError:
            info = None
        video = next((s for s in info.streams if s.kind == "video"), None) if info is not None else None
        duration_s = info.video_duration_s if video is not None else None
        if video is None or not duration_s:
            raise TemplateError(f"background video {self.path}: no video stream ffmpeg can read; "
                                "fix: give an MP4/WebM/MOV clip")
        self.clip_fps = video.fps or fps
        # frames at the output rate: exact at the clip's own rate (the duration counts its packets);
        # resampled, one is left out so ffmpeg's rounding never runs the decoder dry
        same_rate = abs(self.clip_fps - fps) < 1e-3
        self.n_frames = max(2, round(duration_s * fps) if same_rate else math.floor(duration_s * fps) - 1)
        self.fade = min(max(0, round(fade_s * fps)), max(0, (self.n_frames - MIN_LOOP_FRAMES) // 2))
        self.period = self.n_frames - self.fade  # output frames per loop
        w, h = size
        resample = "" if same_rate else f"fps={fps},"
        self._filters = (f"{resample}scale={w}:{h}:force_original_aspect_ratio=increase:flags=bilinear,"
                         f"crop={w}:{h},setsar=1")
        self._main: _Decoder | None = None  # the clip in order
        self._head: _Decoder | None = None  # the clip's start, during a cross-fade
        self._index = -1  # output frame held in _out
        self._out = np.zeros((h, w, 3), np.uint8)
        self._last: Frame = self._out
        self.seeks = 0  # decoders opened other than where the loop continues (for tests/bench)

    def __enter__(self) -> "LoopingVideo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for d in (self._main, self._head):
            if d is not None:
                d.close()
        self._main = self._head = None

    def frame(self, i: int) -> Frame:
        """The looped clip at output frame i ≥ 0 (program frame number)."""
        i = max(0, int(i))
        if i != self._index:
            if not (self._index < i <= self._index + SKIP_AHEAD_FRAMES):
                self._index = i - 1  # a jump: _step opens the decoders where frame i needs them
            while self._index < i:
                self._index += 1
                self._last = self._step(self._index)
        view = self._last.view()
        view.flags.writeable = False
        return view

    def _step(self, i: int) -> Frame:
        loop, j = divmod(i, self.period)
        if loop == 0 or j >= self.fade:
            if self._head is not None:  # a jump out of a cross-fade
                self._head.close()
                self._head = None
            self._main = self._at(self._main, j)
            return self._read(self._main)
        self._main = self._at(self._main, self.period + j)  # the tail of the previous loop …
        self._head = self._at(self._head, j)  # … fading into the head of this one
        tail, head = self._read(self._main), self._read(self._head)
        w = (j + 1) / (self.fade + 1)
        cv2.addWeighted(tail, 1.0 - w, head, w, 0.0, dst=self._out)
        if j == self.fade - 1:  # the head decoder goes on as the clip in order
            self._main.close()
            self._main, self._head = self._head, None
        return self._out

    def _at(self, dec: _Decoder | None, clip_index: int) -> _Decoder:
        """A decoder whose next frame is clip frame `clip_index` (this one, or a new one seeked there)."""
        if dec is not None and dec.next_index == clip_index:
            return dec
        if dec is not None:
            dec.close()
        if clip_index != 0:
            self.seeks += 1

        start = round(clip_index * self.clip_fps / self.fps)
        return _Decoder(read_frames(self.path, self.size, start=start, fps=self.clip_fps,
                                    filters=self._filters), clip_index)

    def _read(self, dec: _Decoder) -> Frame:
        frame = dec.read()
        if frame is None:  # the clip is shorter than its header said: hold the last frame
            return self._last
        return frame
