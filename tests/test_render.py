"""End to end: a script becomes an MP4; decode what was written and check it."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

import xiaonuan
from conftest import decode_audio, decode_frames, loudness_per_frame
from xiaonuan.errors import AvatarError, InputError, ScriptError, TemplateError, VoiceError

SCRIPT = "# 测试新闻\n\n爸爸妈妈看大海。[pause 1.2s]我们吃饭吧。"
FPS = 25


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "news.mp4"
    progress = []
    result = xiaonuan.render(SCRIPT, out=out, on_progress=progress.append)
    return result, progress


def test_streams_size_fps_and_durations(rendered):
    from xiaonuan.encode import probe

    result, _ = rendered
    info = probe(result.mp4)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (1920, 1080) and info.fps == pytest.approx(FPS)
    assert info.video_duration_s == pytest.approx(result.n_frames / FPS, abs=0.001)
    assert abs(info.audio_duration_s - info.video_duration_s) <= 0.04
    assert result.duration_s == pytest.approx(info.video_duration_s, abs=0.04)
    # faststart: the index (moov) comes before the media data (mdat)
    head = result.mp4.read_bytes()[:200_000]
    assert 0 <= head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head
    assert "AI-generated" in info.metadata.get("comment", "")


def test_only_the_outputs_are_left(rendered):
    result, _ = rendered
    assert sorted(p.name for p in result.mp4.parent.iterdir()) == ["news.jpg", "news.mp4", "news.srt", "news.vtt"]


def test_progress_reaches_the_end_in_order(rendered):
    _, progress = rendered
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"speech", "motion", "video", "done"} <= {p.stage for p in progress}


def test_srt_holds_the_spoken_text_in_time(rendered):
    result, _ = rendered
    srt = result.srt.read_text(encoding="utf-8")
    blocks = [b.splitlines() for b in srt.strip().split("\n\n")]
    assert len(blocks) >= 2
    times = []
    for b in blocks:
        m = re.match(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)", b[1])
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        times.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000))
    assert all(a < b for a, b in times) and all(b1 <= a2 for (_, b1), (a2, _) in zip(times, times[1:]))
    assert times[-1][1] <= result.duration_s
    text = "".join("".join(b[2:]) for b in blocks)
    for ch in "爸妈看大海我们吃饭":
        assert ch in text


def test_mouth_opens_on_loud_speech_and_closes_in_the_pause(rendered):
    """Find the face in decoded frames: the inner-lip gap is wide at the loudest frames, shut in the pause."""
    from xiaonuan.face.mesh import detect_landmarks

    result, _ = rendered
    rate = 16000
    db = loudness_per_frame(decode_audio(result.mp4, rate), rate, FPS)
    # the ten loudest frames, judged by their median: a loud frame may be a plosive's burst, at the instant the
    # lips part (p, b), and so closed; three frames averaged failed on one such frame
    loud = [int(i) for i in np.argsort(db)[-10:]]
    quiet = np.flatnonzero(db < db.max() - 50)
    runs = np.split(quiet, np.flatnonzero(np.diff(quiet) > 1) + 1)
    pause = max(runs, key=len)            # the 1.2 s pause between the sentences
    assert len(pause) >= 0.9 * FPS
    silent = [int(pause[len(pause) // 2 + k]) for k in range(-4, 5)]
    frames = decode_frames(result.mp4, set(loud + silent))

    def gap(i):
        lm = detect_landmarks(frames[i])
        assert lm is not None, f"no face in frame {i}"
        eye = np.linalg.norm(lm[33] - lm[263])
        return np.linalg.norm(lm[13] - lm[14]) / eye

    loud_gap = float(np.median([gap(i) for i in loud]))
    # MediaPipe's reading of a closed mouth at this size wobbles between 0.00 and 0.045 from
    # frame to frame (the pixels do not change): use the median
    silent_gap = float(np.median([gap(i) for i in silent]))
    assert silent_gap < 0.05, silent_gap
    assert loud_gap > max(3 * silent_gap, silent_gap + 0.06), (loud_gap, silent_gap)


@pytest.mark.parametrize("kwargs,error", [
    ({"script": "  \n"}, ScriptError),
    ({"voice": "espeak:nope"}, VoiceError),
    ({"template": "nope"}, TemplateError),
    ({"avatar": "nope"}, AvatarError),
])
def test_bad_input_raises_before_writing(tmp_path, kwargs, error):
    args = {"script": "你好。", "out": tmp_path / "x.mp4", **kwargs}
    with pytest.raises(error):
        xiaonuan.render(args.pop("script"), **args)
    assert list(tmp_path.iterdir()) == []


def test_public_api_is_explicit():
    assert sorted(xiaonuan.__all__) == xiaonuan.__all__
    assert set(xiaonuan.__all__) == {"RenderRequest", "RenderResult", "XiaonuanError", "__version__", "render"}


def test_a_render_request_is_one_frozen_value_and_a_preview_is_a_replace_of_it(tmp_path):
    import dataclasses

    req = xiaonuan.RenderRequest("你好。", out=str(tmp_path / "x.mp4"), fields={"name": "李明"})
    assert req.out == tmp_path / "x.mp4" and dict(req.fields) == {"name": "李明"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.seed = 3
    with pytest.raises(TypeError):
        req.fields["name"] = "王芳"  # read-only: a front-end cannot change a request it handed on
    preview = dataclasses.replace(req, height_px=360, preset="ultrafast")
    assert (preview.script, preview.fields, preview.height_px) == (req.script, req.fields, 360)
    with pytest.raises(TypeError, match="not both"):  # keywords beside a request would be silently lost
        xiaonuan.render(req, seed=1)
    with pytest.raises(AvatarError):  # the request goes through the same checks as the keywords
        xiaonuan.render(dataclasses.replace(req, avatar="nope"))
    assert list(tmp_path.iterdir()) == []


def test_warnings_for_what_the_voice_will_not_do():
    from xiaonuan.script import parse_script

    warn = importlib.import_module("xiaonuan.render")._voice_warnings
    english = parse_script("Interview with 李明 about the new policy in Beijing and the economy today.")
    assert "cannot read Chinese characters (李明)" in " ".join(warn(english, "espeak:en-us", "en"))
    assert warn(english, "espeak:cmn", "zh") == []
    paused = parse_script("大家好。[pause 3s]今天天气很好。")
    assert "do not lengthen a voice-over" in " ".join(warn(paused, "recorded:/tmp/v.wav", ""))
    assert warn(paused, "espeak:cmn", "zh") == []
    assert warn(parse_script("大家好。\n\n今天天气很好。"), "recorded:/tmp/v.wav", "") == []


def test_a_path_given_as_text_is_refused_not_read_aloud(tmp_path):
    script = tmp_path / "story.md"
    script.write_text("今天天气很好。", encoding="utf-8")
    with pytest.raises(InputError, match=r"is the path of a file: pass Path"):
        xiaonuan.render(str(script), out=tmp_path / "x.mp4")         # it said "tmp story dot md"
    assert not (tmp_path / "x.mp4").exists()
