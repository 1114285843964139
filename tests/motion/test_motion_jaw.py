"""The jaw's opening (issue #16): dominance blending, the vowels' own openings, breaths before a phrase in a
person's voice-over."""

from __future__ import annotations

import numpy as np

from xiaonuan.motion.lips import BREATH_JAW, lip_curves
from xiaonuan.timeline import Timed, Timeline
from xiaonuan.visemes import Viseme, viseme_of

RATE, FPS = 1000, 100    # 1 ms samples, 10 ms frames: each frame reads one place of the curve
V = Viseme


def _jaw(spans: list[tuple[int, int, Viseme]], n_ms: int, breaths: bool = False) -> np.ndarray:
    c = lip_curves(Timeline(RATE, tuple(Timed(a, b, v) for a, b, v in spans)), n_ms // 10, FPS, breaths=breaths)
    return c["jaw_open"] * (1.0 - c["lip_press"])


def test_a_tongue_consonant_between_open_vowels_keeps_the_jaw_open_but_a_closure_shuts_it():
    # "aka": the jaw is free during k (tongue), so it stays near the vowels' opening; "aba" must close
    aka = _jaw([(0, 200, V.D), (200, 280, V.B), (280, 480, V.D)], 600)
    aba = _jaw([(0, 200, V.D), (200, 280, V.A), (280, 480, V.D)], 600)
    assert aka[24] > 0.6 and aba[24] < 0.05
    assert aka[10] > 0.75  # the vowels reach their own target


def test_rounded_and_reduced_vowels_open_less_than_open_ones():
    open_ = {v: _jaw([(0, 300, v)], 500)[15] for v in (V.D, V.C, V.E, V.R, V.F)}
    assert open_[V.D] > open_[V.C] > open_[V.R] > open_[V.F] and open_[V.C] > open_[V.E] > open_[V.F]
    assert viseme_of("@", "en") is V.R and viseme_of("ə", "zh") is V.R and viseme_of("E", "en") is V.C


def test_a_voiceover_breathes_in_before_a_phrase_and_a_synthetic_voice_does_not():
    spans = [(100, 400, V.D), (1200, 1500, V.D)]                     # a pause of 800 ms between them
    person, synthetic = _jaw(spans, 1700, breaths=True), _jaw(spans, 1700)
    assert synthetic[50:100].max() < 0.02                          # the pause is closed
    assert person[60:80].max() < 0.02                              # its first part too ...
    assert abs(person[90:104].max() - BREATH_JAW) < 0.02          # ... then the lips part before the phrase
    assert np.array_equal(person[:10], synthetic[:10])             # no breath before the first phrase
