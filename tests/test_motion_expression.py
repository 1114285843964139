"""Expression presets, brow raises on emphasis, blinks kept off stressed syllables, clip rest closure."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.errors import InputError
from xiaonuan.motion import plan_motion
from xiaonuan.motion.expression import EXPRESSIONS, expression_curves
from xiaonuan.motion.idle import blinks
from xiaonuan.speech import get_engine
from xiaonuan.timeline import frame_at

FPS = 25


def test_expression_presets():
    warm, warm_brow = expression_curves("warm", 50)
    serious, _ = expression_curves("serious", 50)
    neutral, neutral_brow = expression_curves("neutral", 50)
    assert warm[0] == 0 and warm[-1] == pytest.approx(EXPRESSIONS["warm"][0])   # eased in from the own face
    assert serious[-1] < 0 < warm[-1] and not neutral.any() and not neutral_brow.any()
    assert warm_brow[-1] > 0
    with pytest.raises(InputError, match="warm"):
        expression_curves("grumpy", 10)


def test_emphasis_raises_the_brows_and_blinks_avoid_it():
    text = "今天天气很好。我们去公园散步吧。"
    speech = get_engine("fake:cmn").synthesize([text], [300])
    plain = plan_motion(speech, "zh", FPS)
    emph = plan_motion(speech, "zh", FPS, emphasis=[((7, 9),)], expression="warm")
    words = [w for w in speech.words if w.value.char_start >= 7 and w.value.char_end <= 9]
    assert words
    i = frame_at(words[0].start, speech.rate_hz, FPS)
    assert emph.brow_raise[i] > plain.brow_raise[i] + 0.2
    assert emph.smile[-1] > 0.3 and not plain.smile.any()


def test_blinks_move_off_avoided_spans():
    n = 25 * 60
    free = blinks(n, FPS, np.random.default_rng(1))
    closed = np.flatnonzero(free < 0.3)
    spans = [(i / FPS - 0.1, i / FPS + 0.1) for i in closed[::3]]
    moved = blinks(n, FPS, np.random.default_rng(1), avoid_s=spans)
    for a, b in spans:
        assert moved[int(a * FPS) + 1:int(b * FPS)].min() > 0.3
    per_min = int(np.sum((moved[1:] < 0.3) & (moved[:-1] >= 0.3)))
    assert 8 <= per_min <= 25


def test_clip_weights_close_below_the_rest_opening():
    from xiaonuan.animate import _clip_weights
    from xiaonuan.motion.track import MotionTrack

    t = MotionTrack.still(3, FPS)
    t.jaw_open[1], t.jaw_open[2] = 0.13, 0.8
    rest = 0.26
    w = [_clip_weights(t.frame(i), rest_jaw=rest) for i in range(3)]
    assert w[0]["close"] == 1.0 and w[0]["jaw"] == 0.0          # silence: lips together
    assert w[1]["close"] == pytest.approx(0.5) and w[1]["jaw"] == 0.0
    assert w[2]["close"] == 0.0 and w[2]["jaw"] == pytest.approx(0.8 - rest)
