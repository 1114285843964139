"""Motion planning: Speech → MotionTrack (lips from visemes, blinks, brows, head, expression).

`plan_motion` is a short chain of named steps; each lives in its own module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..speech import Speech
from ..timeline import n_frames_for
from ..visemes import visemes_from_phonemes
from .expression import EXPRESSIONS, expression_curves
from .idle import blinks, breathing, brows, head_motion
from .lips import lip_curves
from .track import MotionFrame, MotionTrack

__all__ = ["EXPRESSIONS", "MotionFrame", "MotionTrack", "plan_motion"]


def plan_motion(speech: Speech, language: str, fps: int, seed: int = 0, *, expression: str = "neutral",
                sentence_expressions: Sequence[str] = (),
                emphasis: Sequence[Sequence[tuple[int, int]]] = ()) -> MotionTrack:
    """Per-frame face parameters for `speech` at `fps`; deterministic for a given seed.

    `expression`: neutral, warm or serious (motion/expression.py); `sentence_expressions[k]` overrides it
    for sentence k ("" or missing: `expression`), eased in the pause before it. `emphasis[k]`: the
    [start, end) character spans of sentence k marked **…**; their words get a brow raise and no blink.
    """
    n = n_frames_for(len(speech.samples), speech.rate_hz, fps)
    rng = np.random.default_rng(seed)
    if len(speech.phonemes):  # exact, or force-aligned to a voice-over (speech.timing says which)
        lips = lip_curves(visemes_from_phonemes(speech.phonemes, language), n, fps,
                          breaths=speech.timing == "aligned")  # a person's voice-over: breaths before phrases
    else:  # estimated timing (no trustworthy phonemes): the mouth follows the audio itself
        # lazy: a backend's module loads on first use (registry)
        from .audio import audio_lip_curves

        lips = audio_lip_curves(speech.samples, speech.rate_hz, n, fps)
    starts_s = [s.start / speech.rate_hz for s in speech.sentences]
    stressed = _stressed_spans_s(speech, emphasis)
    smile, brow_bias = expression_curves(expression, n, fps,
                                         sentences=_sentence_expressions(speech, sentence_expressions))
    return MotionTrack(
        fps=fps,
        jaw_open=lips["jaw_open"], lip_width=lips["lip_width"], lip_round=lips["lip_round"],
        lip_press=lips["lip_press"],
        smile=smile,
        eye_open=blinks(n, fps, rng, avoid_s=stressed),
        brow_raise=np.clip(brows(n, fps, starts_s, emphasis_s=_emphasis_spans_s(speech, emphasis)) + brow_bias,
                           -1, 1).astype(np.float32),
        head_pose_deg=head_motion(n, fps, starts_s, rng),
        breath=breathing(n, fps, rng),       # drawn last: the other curves keep their seeds
    )


def _sentence_expressions(speech: Speech, names: Sequence[str]) -> list[tuple[float, float, str]]:
    """(start_s, end_s, preset) of each spoken sentence; "" where `names` gives none (the default)."""
    rate = speech.rate_hz
    return [(s.start / rate, s.end / rate, names[s.value] if s.value < len(names) else "") for s in speech.sentences]


def _emphasis_spans_s(speech: Speech, emphasis: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[float, float]]:
    """(start_s, end_s) of the spoken words that fall inside a sentence's **emphasis** spans."""
    out = []
    for w in speech.words:
        k = w.value.sentence_index
        spans = emphasis[k] if k < len(emphasis) else ()
        if any(a < w.value.char_end and w.value.char_start < b for a, b in spans):
            out.append((w.start / speech.rate_hz, w.end / speech.rate_hz))
    return out


def _stressed_spans_s(speech: Speech, emphasis: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[float, float]]:
    """Where a blink would look wrong: phonemes with eSpeak's primary stress mark, and emphasised words."""
    rate = speech.rate_hz
    spans = [(p.start / rate, p.end / rate) for p in speech.phonemes if p.value.symbol.startswith("'")]
    return spans + _emphasis_spans_s(speech, emphasis)
