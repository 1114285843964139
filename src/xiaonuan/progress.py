"""Progress reports from long work, passed to a callback the caller supplies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

STAGES = ("script", "speech", "motion", "video", "done")


@dataclass(frozen=True)
class Progress:
    """`done` of `total` units of `stage`; `fraction` is overall progress 0..1."""

    stage: str
    done: int
    total: int
    fraction: float
    message: str = ""


ProgressSink = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    """The default sink: report nowhere."""
