"""Expression presets, brow raises on emphasis, blinks kept off stressed syllables, clip rest closure."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.errors import InputError
from xiaonuan.motion import plan_motion
from xiaonuan.motion.expression import EXPRESSIONS, expression_curves
from xiaonuan.motion.idle import blinks
from xiaonuan.script import SENTENCE_PAUSE_MS
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


def test_expression_changes_in_the_pause_between_sentences():
    """Sentence 1 neutral, sentence 2 warm: no smile in the first, the warm smile through the second,
    and a smooth, monotonic change that lies inside the pause between them."""
    speech = get_engine("fake:cmn").synthesize(["今天天气很好。", "我们去公园散步吧。"], [SENTENCE_PAUSE_MS, 650])
    track = plan_motion(speech, "zh", FPS, sentence_expressions=["neutral", "warm"])
    (a0, a1), (b0, b1) = [(frame_at(s.start, speech.rate_hz, FPS), frame_at(s.end, speech.rate_hz, FPS))
                          for s in speech.sentences]
    warm_smile, warm_brow = EXPRESSIONS["warm"]
    assert np.abs(track.smile[a0:a1 + 1]).max() < 1e-3
    assert track.smile[b0:b1 + 1] == pytest.approx(warm_smile, abs=1e-3)
    change = track.smile[a1:b0 + 1]
    steps = np.diff(change)
    assert (steps >= -1e-6).all() and steps.max() < 0.3 * warm_smile      # several frames, never a jump
    assert np.count_nonzero(steps > 1e-3) >= 5
    brow_shift = np.median(track.brow_raise[b0:b1]) - np.median(track.brow_raise[a0:a1])
    assert brow_shift == pytest.approx(warm_brow, abs=0.05)


def test_sentence_expressions_default_and_short_pauses():
    """"" falls back to the video's preset; a change before a 40 ms pause is still eased, not snapped."""
    speech = get_engine("fake:en-us").synthesize(["Good morning.", "Here is the news.", "Thank you."], [40, 400, 650])
    track = plan_motion(speech, "en", FPS, expression="serious", sentence_expressions=["", "warm", ""])
    mid = [frame_at((s.start + s.end) // 2, speech.rate_hz, FPS) for s in speech.sentences]
    assert [round(float(track.smile[i]), 3) for i in mid] == [EXPRESSIONS[n][0] for n in ("serious", "warm", "serious")]
    assert np.abs(np.diff(track.smile)).max() < 0.5 * (EXPRESSIONS["warm"][0] - EXPRESSIONS["serious"][0])
    with pytest.raises(InputError, match="grumpy"):
        plan_motion(speech, "en", FPS, sentence_expressions=["grumpy"])


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


def test_rendered_warm_sentence_lifts_the_mouth_corners(tmp_path):
    """End to end: `[expression warm]` before sentence 2 of a script. Measured with MediaPipe in the decoded
    video, the mouth corners sit higher (against the lip midline) in the pause after the warm sentence than
    in the pause after the neutral one: both are closed-mouth frames, so only the expression differs."""
    import xiaonuan
    from conftest import decode_audio, decode_frames, loudness_per_frame
    from xiaonuan.face.mesh import MOUTH_CORNER_LEFT, MOUTH_CORNER_RIGHT, detect_landmarks, eye_distance_px

    script = "# 表情\n\n今天天气很好。[pause 1.5s][expression warm]我们去公园散步吧。[pause 1.5s]大家好。"
    result = xiaonuan.render(script, voice="fake:cmn", out=tmp_path / "e.mp4")
    db = loudness_per_frame(decode_audio(result.mp4), 16000, FPS)
    quiet = np.flatnonzero(db < db.max() - 50)
    pauses = [r for r in np.split(quiet, np.flatnonzero(np.diff(quiet) > 1) + 1) if len(r) >= 1.2 * FPS]
    assert len(pauses) == 2, [(r[0], r[-1]) for r in pauses]
    # the first pause before the change (it eases in the pause's last 0.5 s), the second one whole
    neutral, warm = pauses[0][3:len(pauses[0]) // 2], pauses[1][3:-3]
    frames = decode_frames(result.mp4, {int(i) for i in (*neutral, *warm)})

    def corner_lift(i: int) -> float:
        lm = detect_landmarks(frames[int(i)])
        assert lm is not None, f"no face in frame {i}"
        midline_y = (lm[0, 1] + lm[17, 1]) / 2  # middle of the upper and lower lip
        return float(midline_y - (lm[MOUTH_CORNER_RIGHT, 1] + lm[MOUTH_CORNER_LEFT, 1]) / 2) / eye_distance_px(lm)

    lift_neutral = np.median([corner_lift(i) for i in neutral])
    lift_warm = np.median([corner_lift(i) for i in warm])
    # warm = smile 0.45: corners up by ≈ 0.45 × animate.SMILE_UP = 0.022 eye distances; MediaPipe reads ≈ 0.015
    assert lift_warm - lift_neutral > 0.008, (lift_neutral, lift_warm)
