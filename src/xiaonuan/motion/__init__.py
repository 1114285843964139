"""Motion planning: Speech → MotionTrack (lips from visemes, blinks, brows, head).

`plan_motion` is a short chain of named steps; each lives in its own module.
"""

from __future__ import annotations

import numpy as np

from ..speech import Speech
from ..timeline import n_frames_for
from ..visemes import visemes_from_phonemes
from .idle import blinks, brows, head_motion
from .lips import lip_curves
from .track import MotionFrame, MotionTrack

__all__ = ["MotionFrame", "MotionTrack", "plan_motion"]


def plan_motion(speech: Speech, language: str, fps: int, seed: int = 0) -> MotionTrack:
    """Per-frame face parameters for `speech` at `fps`; deterministic for a given seed."""
    n = n_frames_for(len(speech.samples), speech.rate_hz, fps)
    rng = np.random.default_rng(seed)
    if speech.exact_timing and len(speech.phonemes):
        lips = lip_curves(visemes_from_phonemes(speech.phonemes, language), n, fps)
    else:  # recorded voice-over or a voice without timing: the mouth follows the audio itself
        from .audio import audio_lip_curves

        lips = audio_lip_curves(speech.samples, speech.rate_hz, n, fps)
    starts_s = [s.start / speech.rate_hz for s in speech.sentences]
    return MotionTrack(
        fps=fps,
        jaw_open=lips["jaw_open"], lip_width=lips["lip_width"], lip_round=lips["lip_round"],
        lip_press=lips["lip_press"],
        smile=np.zeros(n, np.float32),
        eye_open=blinks(n, fps, rng),
        brow_raise=brows(n, fps, starts_s),
        head_pose_deg=head_motion(n, fps, starts_s, rng),
    )
