import numpy as np

from xiaonuan.motion import plan_motion
from xiaonuan.speech import get_engine
from xiaonuan.timeline import frame_at

FPS = 25


def test_lips_close_on_bilabials_and_in_pauses():
    speech = get_engine("espeak:cmn").synthesize(["爸爸妈妈买面包。", "你好。"], [800, 400])
    track = plan_motion(speech, "zh", FPS)
    rate = speech.rate_hz
    assert track.n_frames == round(len(speech.samples) * FPS / rate)
    for p in speech.phonemes:
        if p.value.symbol in ("p", "m"):
            frames = range(frame_at(p.start, rate, FPS), frame_at(p.end, rate, FPS) + 1)
            assert max(track.lip_press[i] for i in frames) > 0.9, p
    # a pause of 0.8 s: the mouth is at rest in its middle
    a = frame_at(speech.sentences[0].end, rate, FPS) + 5
    b = frame_at(speech.sentences[1].start, rate, FPS) - 5
    assert b > a and track.jaw_open[a:b].max() < 0.02
    # lead-in silence closed, speech opens the jaw
    assert track.jaw_open[:5].max() < 0.02
    assert track.jaw_open.max() > 0.7


def test_wide_vowel_opens_more_than_spread_vowel():
    speech = get_engine("espeak:cmn").synthesize(["啊啊啊。", "一一一。"], [500, 500])
    track = plan_motion(speech, "zh", FPS)
    rate = speech.rate_hz

    def mean_open(k):
        s = speech.sentences[k]
        return track.jaw_open[frame_at(s.start, rate, FPS) + 3:frame_at(s.end, rate, FPS) - 3].mean()

    assert mean_open(0) > 2 * mean_open(1)


def test_round_vowels_round_the_lips():
    speech = get_engine("espeak:en-us").synthesize(["Who knew you would do two?"], [300])
    track = plan_motion(speech, "en", FPS)
    assert track.lip_round.max() > 0.7 and track.lip_width.min() < -0.3


def test_blinks_brows_head_are_natural_and_deterministic():
    speech = get_engine("fake:cmn").synthesize(["你好。" * 40], [300])
    a = plan_motion(speech, "zh", FPS, seed=3)
    b = plan_motion(speech, "zh", FPS, seed=3)
    c = plan_motion(speech, "zh", FPS, seed=4)
    assert np.array_equal(a.eye_open, b.eye_open) and not np.array_equal(a.eye_open, c.eye_open)
    closed = a.eye_open < 0.3
    blinks = int(np.sum(closed[1:] & ~closed[:-1]))
    per_min = blinks / a.duration_s * 60
    assert 10 <= per_min <= 22, per_min
    assert np.abs(a.head_pose_deg).max() < 4.0
    assert a.brow_raise.max() > 0.2
