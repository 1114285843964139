"""One time base for the whole project: spans in integer audio samples.

Phonemes, words, sentences and subtitle cues are all `Timeline`s. Seconds are only
derived (`*_s`), and `frame_at` / `frames_span` are the single rounding rule from
samples to video frames.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Generic, Iterator, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timed(Generic[T]):
    """A value over the half-open sample span [start, end)."""

    start: int
    end: int
    value: T

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"span ends before it starts: {self.start}..{self.end}")


@dataclass(frozen=True)
class Timeline(Generic[T]):
    """Sorted, non-overlapping spans at one sample rate."""

    rate_hz: int
    items: tuple[Timed[T], ...] = ()

    def __post_init__(self) -> None:
        for a, b in zip(self.items, self.items[1:]):
            if b.start < a.end:
                raise ValueError(f"timeline spans overlap or are unsorted at sample {b.start}")

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Timed[T]]:
        return iter(self.items)

    def __getitem__(self, i: int) -> Timed[T]:
        return self.items[i]

    @property
    def end(self) -> int:
        return self.items[-1].end if self.items else 0

    def at(self, sample: int) -> Timed[T] | None:
        """The span covering `sample`, or None in a gap."""
        i = bisect.bisect_right([t.start for t in self.items], sample) - 1
        if i >= 0 and self.items[i].start <= sample < self.items[i].end:
            return self.items[i]
        return None

    def shifted(self, offset: int) -> "Timeline[T]":
        return Timeline(self.rate_hz, tuple(Timed(t.start + offset, t.end + offset, t.value) for t in self.items))

    def seconds(self, t: Timed[T]) -> tuple[float, float]:
        return t.start / self.rate_hz, t.end / self.rate_hz


def frame_at(sample: int, rate_hz: int, fps: int) -> int:
    """The video frame showing audio sample `sample` (frame i covers [i/fps, (i+1)/fps))."""
    return (sample * fps) // rate_hz


def n_frames_for(n_samples: int, rate_hz: int, fps: int) -> int:
    """Frames needed to cover `n_samples` of audio (rounded to the nearest frame)."""
    return max(1, (n_samples * fps + rate_hz // 2) // rate_hz)
