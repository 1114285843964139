import numpy as np

from xiaonuan.motion.audio import audio_lip_curves

RATE, FPS = 16000, 25


def _tone(seconds, freqs, amp=0.3):
    t = np.arange(int(seconds * RATE)) / RATE
    return amp * sum(np.sin(2 * np.pi * f * t) / (k + 1) for k, f in enumerate(freqs))


def test_loudness_opens_the_jaw_and_silence_closes_it():
    silence = np.zeros(int(0.6 * RATE))
    audio = np.concatenate([silence, _tone(0.8, [150, 300, 450]), silence, _tone(0.8, [150, 300], 0.05), silence])
    n = int(len(audio) / RATE * FPS)
    c = audio_lip_curves(audio.astype(np.float32), RATE, n, FPS)
    assert set(c) == {"jaw_open", "lip_width", "lip_round", "lip_press"} and all(len(v) == n for v in c.values())
    loud, soft = c["jaw_open"][20:33].mean(), c["jaw_open"][57:70].mean()
    assert loud > 0.5 and loud > soft > 0.05
    assert c["jaw_open"][:12].max() < 0.02 and c["jaw_open"][-10:].max() < 0.05


def test_a_dark_vowel_rounds_the_lips_and_a_bright_one_spreads_them():
    silence = np.zeros(int(0.5 * RATE))
    dark = _tone(0.8, [200, 400, 600])                 # centroid well below 1 kHz: o/u
    rng = np.random.default_rng(0)
    bright = _tone(0.8, [3000, 3500, 4000]) + 0.05 * rng.standard_normal(int(0.8 * RATE))  # i/s
    audio = np.concatenate([silence, dark, silence, bright, silence]).astype(np.float32)
    c = audio_lip_curves(audio, RATE, int(len(audio) / RATE * FPS), FPS)
    assert c["lip_round"][15:30].mean() > 0.5 and c["lip_round"][50:65].mean() < 0.1
    assert c["lip_width"][50:65].mean() > c["lip_width"][15:30].mean() + 0.3


def test_a_short_dip_inside_speech_presses_the_lips():
    gap = np.zeros(int(0.06 * RATE))
    audio = np.concatenate([np.zeros(8000), _tone(0.4, [150, 300]), gap, _tone(0.4, [150, 300]),
                            np.zeros(8000)]).astype(np.float32)
    c = audio_lip_curves(audio, RATE, int(len(audio) / RATE * FPS), FPS)
    assert c["lip_press"][20:24].max() == 1.0 and c["lip_press"][:10].max() == 0.0


def test_plan_motion_uses_the_audio_when_there_are_no_phonemes():
    from xiaonuan.motion import plan_motion
    from xiaonuan.speech import Speech
    from xiaonuan.timeline import Timed, Timeline

    audio = np.concatenate([np.zeros(8000), _tone(1.0, [150, 300]), np.zeros(8000)]).astype(np.float32)
    speech = Speech(audio, RATE, Timeline(RATE, ()), Timeline(RATE, ()), Timeline(RATE, (Timed(8000, 24000, 0),)),
                    "recorded:x", exact_timing=False)
    track = plan_motion(speech, "zh", FPS)
    assert track.jaw_open[15:35].mean() > 0.4 and track.jaw_open[:10].max() < 0.02
