"""The running order of a video on its own clock: intro card, stories, outro card.

`plan_program()` turns a parsed Script plus the spoken span of each sentence into a `Program`
whose times are *program* seconds (speech time shifted by the intro card). The compositor
reads it to switch headlines and lower thirds per story, show slide items as they are spoken
and draw the cards and transitions; render.py uses it for the frame count and the audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .script import Script
from .timeline import n_frames_for


@dataclass(frozen=True)
class SlideCue:
    """One slide item, shown from `start_s` (program time) until its story ends."""

    kind: str  # "bullet" | "image"
    start_s: float
    text: str = ""
    image: Path | None = None


@dataclass(frozen=True)
class StoryTiming:
    """A story on the program clock, with its headline, field overrides and slide cues."""

    start_s: float
    end_s: float
    headline: str
    fields: Mapping[str, str] = field(default_factory=dict)
    slides: tuple[SlideCue, ...] = ()
    lead: str = ""  # the story's first sentence: a slide panel shows it when the story has no slide items


@dataclass(frozen=True)
class Program:
    """Intro, speech and outro lengths (seconds) and the stories; `speech_offset_s` == intro_s."""

    intro_s: float
    speech_s: float
    outro_s: float
    stories: tuple[StoryTiming, ...]

    @property
    def speech_offset_s(self) -> float:
        return self.intro_s

    @property
    def total_s(self) -> float:
        return self.intro_s + self.speech_s + self.outro_s

    def frame_counts(self, fps: int, speech_frames: int) -> tuple[int, int, int]:
        """(intro, speech, outro) frame counts; the speech count is the motion track's."""
        return whole_frames(self.intro_s, fps), speech_frames, whole_frames(self.outro_s, fps)

    def story_at(self, t_s: float) -> int:
        """Index of the story on screen at program time t_s (the first before it starts)."""
        k = 0
        for i, s in enumerate(self.stories):
            if t_s >= s.start_s:
                k = i
        return k


def whole_frames(duration_s: float, fps: int) -> int:
    """Frames in `duration_s` at `fps`: the one rounding rule for the intro and outro cards (render snaps the
    template's lengths with it; Program.frame_counts, and so the compositor, count with it)."""
    return round(duration_s * fps)


def single_story(speech_s: float, headline: str = "", intro_s: float = 0.0, outro_s: float = 0.0) -> Program:
    """A program of one story covering all of the speech (what a plain Compositor assumes)."""
    return Program(intro_s, speech_s, outro_s, (StoryTiming(intro_s, intro_s + speech_s, headline),))


def plan_program(script: Script, sentence_spans_s: Sequence[tuple[float, float]], speech_s: float,
                 intro_s: float = 0.0, outro_s: float = 0.0) -> Program:
    """Stories of `script` timed by the spoken sentence spans (speech seconds, one per sentence).

    A story starts when its first sentence starts (the first story at 0) and ends where the
    next one starts; slide items start with the sentence that brings them.
    """
    if len(sentence_spans_s) != len(script.sentences):
        raise ValueError(f"{len(sentence_spans_s)} sentence spans for {len(script.sentences)} sentences")
    stories = script.stories or ()
    starts = [0.0 if i == 0 else sentence_spans_s[s.first_sentence][0] for i, s in enumerate(stories)]
    out = []
    for i, st in enumerate(stories):
        end = starts[i + 1] if i + 1 < len(stories) else speech_s
        cues = tuple(SlideCue(it.kind, intro_s + sentence_spans_s[it.sentence][0], it.text, it.image)
                     for it in st.slides)
        out.append(StoryTiming(intro_s + starts[i], intro_s + end, st.headline, dict(st.fields), cues,
                               script.sentences[st.first_sentence].text))
    if not out:
        return single_story(speech_s, script.title, intro_s, outro_s)
    return Program(intro_s, speech_s, outro_s, tuple(out))


def speech_frames(n_samples: int, rate_hz: int, fps: int) -> int:
    return n_frames_for(n_samples, rate_hz, fps)
