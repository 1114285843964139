"""enrol.py, loop.py, clip.py: synthesised clips (a face on a moving background, a face-less gap, two
faces, no face), their report messages, pass-through of face-less frames, loop plans, consent, clip length."""

from __future__ import annotations

import logging
import subprocess

import numpy as np
import pytest

import xiaonuan.avatar.enrol as enrol_mod
from xiaonuan.avatar.pack import Avatar, available_avatars, load_avatar, require_consent
from xiaonuan.errors import AvatarError
from xiaonuan.face import mesh
from xiaonuan.paths import avatars_dir
from conftest import write_video

FPS = 25
SIZE = 320            # synthesised clips are SIZE x SIZE
FACE = 240            # the default portrait, scaled to FACE x FACE, is the presenter
MIN_CLIP_S = 3.0      # the real minimum (conftest lowers enrol.MIN_CLIP_S for the short synthesised clips)


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    from PIL import Image

    with Image.open(avatars_dir() / "default" / "portrait.png") as im:
        return np.asarray(im.convert("RGB").resize((FACE, FACE), Image.LANCZOS))


def _background(i: int) -> np.ndarray:
    """Diagonal stripes that move every frame."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    v = (np.sin((x + y + 6 * i) / 9.0) * 60 + 120).astype(np.uint8)
    return np.stack([v, 255 - v, np.full_like(v, 90)], axis=2)


def _paste(bg: np.ndarray, img: np.ndarray, x: int, y: int) -> np.ndarray:
    h, w = img.shape[:2]
    bg[y:y + h, x:x + w] = img
    return bg


def _moving_face(face, n=40, gap=None):
    frames = []
    for i in range(n):
        bg = _background(i)
        if gap is None or not gap[0] <= i < gap[1]:
            dx = int(round(6 * np.sin(2 * np.pi * i / 20)))            # a gentle periodic sway
            _paste(bg, face, 40 + dx, 50)
        frames.append(bg)
    return frames


@pytest.fixture(scope="module")
def clips(tmp_path_factory, face):
    d = tmp_path_factory.mktemp("clips")
    small = face[::2, ::2]
    return {
        "moving": write_video(d / "moving.mp4", _moving_face(face)),
        "gap": write_video(d / "gap.mp4", _moving_face(face, n=40, gap=(15, 25))),
        "two": write_video(d / "two.mp4", [_paste(_paste(_background(i), small, 20, 100), small, 180, 100)
                                           for i in range(20)]),
        "none": write_video(d / "none.mp4", [_background(i) for i in range(20)]),
    }


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, clips):
    from xiaonuan.avatar.enrol import enrol, parse_consent_by

    root = tmp_path_factory.mktemp("avatars")
    consent = parse_consent_by("Test Person, 2025-01-31")
    return root, {k: enrol(clips[k], k, root=root, consent=consent) for k in ("moving", "gap")}


def _messages(result) -> str:
    return " ".join(i.message for i in result.report.issues)


def test_face_on_moving_background_enrols_a_clip_pack(enrolled):
    root, res = enrolled
    r = res["moving"]
    assert not r.report.errors and r.report.face_frames == r.report.n_frames == 40
    assert {p.name for p in r.folder.iterdir()} >= {"avatar.yaml", "source.mp4", "reference.png", "landmarks.npz"}
    assert "between the outer eye corners; at least 160 px is needed" in _messages(r)   # small synthetic face
    av = load_avatar("moving", root=root)
    assert av.is_clip and av.clip.n_frames == 40 and av.clip.landmarks.shape == (40, 478, 2)
    assert av.consented and av.consent_record.by == "Test Person" and av.consent_record.date == "2025-01-31"
    assert av.loop.mode in ("loop", "pingpong") and 0 <= av.neutral_frame < 40
    assert sorted(available_avatars(root, builtin=False)) == ["gap", "moving"]   # no temp folders left behind
    short = [i.message for i in r.report.warnings if i.code == "short"]       # 1.6 s: enrolled, with a warning
    assert short and "1.6 s" in short[0] and "at least 10 s" in short[0] and short[0] in av.quality


def test_enrolment_is_cached_and_reproducible(enrolled, clips, tmp_path):
    from xiaonuan.avatar.enrol import enrol, parse_consent_by

    root, res = enrolled
    consent = parse_consent_by("Test Person, 2025-01-31")
    again = enrol(clips["moving"], "moving", root=root, consent=consent)
    assert again.cached
    fresh = enrol(clips["moving"], "moving", root=tmp_path, consent=consent)
    for f in sorted(res["moving"].folder.iterdir()):
        assert (fresh.folder / f.name).read_bytes() == f.read_bytes(), f.name


def test_faceless_gap_is_reported_and_passed_through_untouched(enrolled):
    from xiaonuan.animate import animate
    from xiaonuan.avatar.reader import ClipReader
    from xiaonuan.motion.track import MotionTrack

    root, res = enrolled
    msg = _messages(res["gap"])
    assert "The face is lost in 10 of 40 frames (0.6–1.0 s)" in msg and "passed through untouched" in msg
    av = load_avatar("gap", root=root)
    assert av.clip.found.sum() == 30
    track = MotionTrack.still(40, FPS)
    track.jaw_open[:] = 0.8
    frames = [f.copy() for f in animate(av, track)]
    from xiaonuan.avatar.loop import calmness_cost, plan_steps
    steps = plan_steps(av.loop, 40, calmness_cost(av.clip.landmarks, av.clip.found))
    with ClipReader(av.clip.video, av.size, av.clip.fps) as reader:
        for out, st in zip(frames, steps):
            src = reader.frame(st.a)
            if not av.clip.found[st.a]:
                assert np.array_equal(out, src)                  # face-less: untouched
            else:
                assert not np.array_equal(out, src)              # lips moved


@pytest.mark.parametrize("clip, expected", [
    ("two", "More than one face is visible"),
    ("none", "No face was found in the clip"),
])
def test_unusable_clips_fail_with_a_reason_and_leave_nothing(clips, tmp_path, clip, expected):
    from xiaonuan.avatar.enrol import enrol

    with pytest.raises(AvatarError) as e:
        enrol(clips[clip], "x", root=tmp_path)
    assert expected in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_not_media_and_no_video_stream_are_clear_errors(tmp_path):
    import wave

    from xiaonuan.avatar.enrol import enrol

    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    audio = tmp_path / "voice.mov"
    with wave.open(str(tmp_path / "a.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(b"\0\0" * 1600)
    (tmp_path / "a.wav").rename(audio)
    root = tmp_path / "avatars"
    for path in (bad, audio, tmp_path / "missing.mp4"):
        with pytest.raises(AvatarError) as e:
            enrol(path, "x", root=root)
        assert path.name in str(e.value)
    assert not root.exists() or list(root.iterdir()) == []


def test_portrait_photo_enrols(tmp_path):
    from xiaonuan.avatar.enrol import enrol

    r = enrol(avatars_dir() / "default" / "portrait.png", "photo", root=tmp_path)
    av = load_avatar("photo", root=tmp_path)
    assert av.kind == "portrait" and not av.is_clip and av.landmarks.shape == (478, 2) and not r.report.errors
    assert not {"short", "too_short"} & {i.code for i in r.report.issues}    # a photo has no length
    assert not av.consented                       # enrolled without a consent record


@pytest.mark.parametrize("k", [-1, 2, 1])                # np.rot90: on its side one way, upside down, the other
def test_a_picture_on_its_side_is_turned_upright(tmp_path, face, k):
    # a phone held sideways with no rotation tag: the pack is upright, and the report says it was turned
    from PIL import Image

    from xiaonuan.avatar.enrol import enrol

    photo = tmp_path / "side.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(face, k))).save(photo)
    r = enrol(photo, "side", root=tmp_path / "avatars")
    av = load_avatar("side", root=tmp_path / "avatars")
    assert any(i.code == "rotated" for i in r.report.issues) and not r.report.errors
    assert not any(i.code == "turned" for i in r.report.issues)
    assert np.abs(av.image.astype(int) - face).mean() < 2            # the portrait as it was before it was turned


@pytest.mark.parametrize("k, turn", [(-1, "270°"), (1, "90°"), (2, "180°")])   # turned clockwise, anticlockwise, over
def test_a_clip_on_its_side_is_turned_upright(tmp_path, face, k, turn):
    from xiaonuan.avatar.enrol import enrol

    frames = [np.ascontiguousarray(np.rot90(f, k)) for f in _moving_face(face, n=12)]
    clip = write_video(tmp_path / "side.mp4", frames)
    r = enrol(clip, "sideclip", root=tmp_path / "avatars")
    av = load_avatar("sideclip", root=tmp_path / "avatars")
    assert any(i.code == "rotated" and turn in i.message for i in r.report.issues), _messages(r)
    eyes_r, eyes_l = av.landmarks[mesh.RIGHT_EYE_OUTER], av.landmarks[mesh.LEFT_EYE_OUTER]
    assert abs(eyes_l[1] - eyes_r[1]) < 0.2 * abs(eyes_l[0] - eyes_r[0])   # the eye line is level again


def test_a_still_gif_or_webp_is_a_photo_and_an_animated_gif_a_clip(tmp_path, face):
    from PIL import Image

    from xiaonuan.avatar.enrol import enrol

    still = Image.fromarray(face)
    still.save(tmp_path / "p.gif")
    still.save(tmp_path / "p.webp")
    frames = [Image.fromarray(f) for f in _moving_face(face, n=10)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=40, loop=0)
    root = tmp_path / "avatars"
    for name in ("p.gif", "p.webp", "a.gif"):
        enrol(tmp_path / name, name.replace(".", "_"), root=root)
    assert [load_avatar(n, root=root).kind for n in ("p_gif", "p_webp", "a_gif")] == ["portrait", "portrait", "clip"]


def test_quality_messages_for_dark_blurred_turned_and_open_mouth():
    from xiaonuan.avatar.enrol import Measurement, quality_issues
    from xiaonuan.face import mesh

    base = load_avatar("default").landmarks
    n = 10
    lm = np.repeat(base[None], n, axis=0).copy()
    lm[:, mesh.INNER_LIP_BOTTOM, 1] += 0.3 * mesh.eye_distance_px(base)        # mouth open
    lm[:, mesh.NOSE_TIP, 0] += 0.5 * mesh.eye_distance_px(base)                # nose far off: turned
    m = Measurement(lm.astype(np.float32), np.ones(n, bool), np.ones(n, np.int8), np.full(n, 30.0, np.float32),
                    np.full(n, 2.0, np.float32), (720, 720))
    text = " ".join(i.message for i in quality_issues(m, FPS))
    for phrase in ("too dark", "blurred", "turned too far", "mouth is open in most frames"):
        assert phrase in text


def test_consent_is_required_unless_allowed(tmp_path):
    from xiaonuan.animate import label_unconsented

    assert load_avatar("default").consented                     # a documented basis counts
    av = Avatar("anon", np.zeros((200, 300, 3), np.uint8), np.zeros((478, 2), np.float32), "", "")
    with pytest.raises(AvatarError) as e:
        require_consent(av)
    assert "consent" in str(e.value) and "--allow-unconsented" in str(e.value)
    require_consent(av, allow_unconsented=True)
    labelled = next(label_unconsented(iter([np.zeros((200, 300, 3), np.uint8)])))
    assert labelled.max() > 100                                 # the label is visible


def test_loop_plan_finds_a_seamless_loop_and_falls_back_to_pingpong():
    from xiaonuan.avatar import loop

    base = load_avatar("default").landmarks
    t = np.arange(200)
    sway = np.stack([8 * np.sin(2 * np.pi * t / 40), 3 * np.cos(2 * np.pi * t / 40)], 1)
    lm = (base[None] + sway[:, None]).astype(np.float32)
    found = np.ones(200, bool)
    plan = loop.plan_loop(lm, found)
    assert plan.mode == "loop" and plan.seam_jump <= loop.MAX_SEAM_RATIO * plan.median_motion
    steps = loop.plan_steps(plan, 1000, loop.calmness_cost(lm, found))
    assert len(steps) == 1000 and all(0 <= s.a < 200 and 0 <= s.b < 200 for s in steps)
    _, jumps = loop.seam_jumps(lm, steps)
    assert jumps and max(jumps) <= loop.MAX_SEAM_RATIO * plan.median_motion
    drift = (base[None] + np.stack([t * 0.5 + 0.01 * t ** 2, 0 * t], 1)[:, None]).astype(np.float32)
    pp = loop.plan_loop(drift, found)
    assert pp.mode == "pingpong"
    seq = [s.a for s in loop.plan_steps(pp, 500, loop.calmness_cost(drift, found))]
    assert max(abs(b - a) for a, b in zip(seq, seq[1:])) == 1            # forwards and backwards, no jumps


def test_clip_reader_seeks_give_the_same_frames(enrolled):
    from xiaonuan.avatar.reader import ClipReader

    root, res = enrolled
    av = load_avatar("moving", root=root)
    with ClipReader(av.clip.video, av.size, FPS) as seq:
        ordered = [seq.frame(i).copy() for i in range(40)]
    with ClipReader(av.clip.video, av.size, FPS) as r:
        for j in (30, 5, 4, 3, 39, 12, 11):
            assert np.array_equal(r.frame(j), ordered[j]), j


# --------------------------------------------------------------------------- clip length

def test_a_clip_too_short_to_loop_is_refused_and_leaves_nothing(tmp_path, face, monkeypatch):
    from xiaonuan.avatar.enrol import enrol

    monkeypatch.setattr(enrol_mod, "MIN_CLIP_S", MIN_CLIP_S)
    clip = write_video(tmp_path / "blink.mp4", _moving_face(face, n=3))          # 0.12 s, as the tester's cut
    with pytest.raises(AvatarError) as e:
        enrol(clip, "blink", root=tmp_path / "avatars")
    msg = str(e.value)
    assert "blink.mp4" in msg and "lasts only 0.1 s (3 frames)" in msg
    assert f"at least {MIN_CLIP_S:.0f} s" in msg and "record 10–60 s" in msg
    assert not (tmp_path / "avatars").exists() or list((tmp_path / "avatars").iterdir()) == []


def test_clip_length_thresholds(monkeypatch):
    from xiaonuan.avatar.enrol import SHORT_CLIP_S, _length_issues

    monkeypatch.setattr(enrol_mod, "MIN_CLIP_S", MIN_CLIP_S)
    assert 0 < MIN_CLIP_S < SHORT_CLIP_S <= enrol_mod.MAX_CLIP_S
    codes = {s: [(i.code, i.severity) for i in _length_issues(int(s * FPS), FPS)]
             for s in (MIN_CLIP_S - 0.04, MIN_CLIP_S, SHORT_CLIP_S - 0.04, SHORT_CLIP_S)}
    assert list(codes.values()) == [[("too_short", "error")], [("short", "warning")], [("short", "warning")], []]


# --------------------------------------------------------------------------- consent

@pytest.mark.parametrize("text, by, date", [
    ("Sun Li, 2025-01-31", "Sun Li", "2025-01-31"),
    ("Li Na 2025/3/1", "Li Na", "2025-03-01"),
    ("孙丽，2025年3月1日", "孙丽", "2025-03-01"),
    ("2025.03.01, Li Na", "Li Na", "2025-03-01"),
])
def test_consent_by_stores_the_given_date_as_iso(text, by, date):
    from xiaonuan.avatar.enrol import parse_consent_by

    record = parse_consent_by(text, today="2025-06-01")
    assert (record.by, record.date) == (by, date)


@pytest.mark.parametrize("text, expected", [
    ("just a name", "has no date"),
    ("Sun Li, yesterday", "has no date"),
    ("Sun Li, 2025-02-30", "not a real day"),
    ("Sun Li, 2026-01-01", "in the future"),
    (", 2025-01-31", "does not say who consented"),
])
def test_consent_by_without_a_real_date_or_name_is_refused(text, expected):
    from xiaonuan.avatar.enrol import parse_consent_by

    with pytest.raises(AvatarError) as e:
        parse_consent_by(text, today="2025-06-01")
    assert expected in str(e.value) and 'e.g. "Li Na, 2025-03-01"' in str(e.value)


def test_avatar_add_without_a_consent_date_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from xiaonuan.cli.main import app

    root = tmp_path / "avatars"
    result = CliRunner().invoke(app, ["avatar", "add", str(avatars_dir() / "default" / "portrait.png"), "--name", "p",
                                      "--consent-by", "just a name", "--avatars-dir", str(root)])
    assert result.exit_code == 2 and "has no date" in result.output
    assert not root.exists()


# --------------------------------------------------------------------------- rotation tag

def test_a_rotation_tag_is_applied_without_a_library_warning(face, tmp_path, caplog, monkeypatch):
    import imageio_ffmpeg

    from xiaonuan.avatar.enrol import enrol

    tall = [np.pad(f, ((32, 32), (0, 0), (0, 0)), mode="edge") for f in _moving_face(face, n=12)]   # 320x384
    plain, tagged = write_video(tmp_path / "plain.mp4", tall), tmp_path / "tagged.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-display_rotation", "90",
                    "-i", str(plain), "-c", "copy", str(tagged)], check=True)
    noise = "frame size for reading"
    # the library's logger as it comes (the filter is process-wide once any decoder of ours has run)
    library = logging.getLogger("imageio_ffmpeg")
    monkeypatch.setattr(library, "filters", [])
    monkeypatch.setattr(library, "disabled", False)
    with caplog.at_level(logging.WARNING, logger="imageio_ffmpeg"):   # its level, whatever other tests left
        reader = imageio_ffmpeg.read_frames(str(tagged))             # the library alone does log it
        next(reader)
        reader.close()
    assert any(noise in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="imageio_ffmpeg"):
        r = enrol(tagged, "tagged", root=tmp_path / "avatars")
    assert not [rec.getMessage() for rec in caplog.records if noise in rec.getMessage()]
    assert not r.report.errors and load_avatar("tagged", root=tmp_path / "avatars").is_clip
    with caplog.at_level(logging.WARNING, logger="imageio_ffmpeg"):
        library.warning("something else")                              # its other messages still pass
    assert "something else" in caplog.text


def test_a_tall_clip_is_cropped_around_the_head_at_the_source_resolution(tmp_path):
    """Issue 17: a 1080x1920 clip whose face is small is not scaled to 1280 px on its long side (the face
    losing a third of its pixels): the pack is the head region cropped from the source, at most the cap."""
    from xiaonuan.avatar.enrol import MAX_SIDE_PX, Measurement, _head_region, normalise_video
    from xiaonuan.face import mesh

    src = write_video(tmp_path / "tall.mp4", [np.full((1920, 1080, 3), 90, np.uint8)] * 3)
    base = load_avatar("default").landmarks
    c = base.mean(0)
    # measured on the 720x1280 normalised clip: a face 50 px between the eyes around (360, 400)
    lm = ((base - c) * (50 / mesh.eye_distance_px(base)) + np.float32([360, 400]))[None].repeat(4, 0)
    m = Measurement(lm.astype(np.float32), np.ones(4, bool), np.ones(4, np.int8), np.full(4, 120.0, np.float32),
                    np.full(4, 20.0, np.float32), (720, 1280))
    x, y, w, h = _head_region(m, (720, 1280), src, 0)
    oval = lm[0, list(mesh.FACE_OVAL)] * 1.5                    # source px
    assert x <= oval[:, 0].min() and x + w >= oval[:, 0].max() and y <= oval[:, 1].min() and y + h >= oval[:, 1].max()
    assert max(w, h) <= MAX_SIDE_PX and h < 1920                # the head region, kept at the source's resolution
    size, _, _ = normalise_video(src, tmp_path / "out.mp4", 0, (x, y, w, h))
    assert size == (w, h)
    whole = Measurement(lm * 0 + np.float32([360, 640]) + (lm - lm.mean(1, keepdims=True)) * 8, m.found, m.n_faces,
                        m.luma, m.sharpness, m.size)
    assert _head_region(whole, (720, 1280), src, 0) is None    # a face filling the frame: nothing to gain


def test_record_closer_only_when_it_helps_and_a_low_chin_is_warned():
    from xiaonuan.avatar.enrol import Measurement, _edge_issues, _resolution_notes, quality_issues
    from xiaonuan.face import mesh

    base = load_avatar("default").landmarks
    lm = ((base - base.mean(0)) * (100 / mesh.eye_distance_px(base)) + np.float32([360, 400]))[None].repeat(3, 0)
    m = Measurement(lm.astype(np.float32), np.ones(3, bool), np.ones(3, np.int8), np.full(3, 120.0, np.float32),
                    np.full(3, 20.0, np.float32), (720, 1280))
    issues = quality_issues(m, FPS)
    small = [i for i in issues if i.code == "face_small"]
    assert small and small[0].severity == "warning" and "record closer" in small[0].message
    assert _resolution_notes(issues, m, 1.0) == issues                       # the source had no more pixels
    kept = [i for i in _resolution_notes(issues, m, 1.8) if i.code == "face_small"]
    assert kept[0].severity == "info" and "record closer" not in kept[0].message    # it had: no such advice
    chin = float(lm[0, list(mesh.FACE_OVAL), 1].max())
    assert _edge_issues(m, (720, 1280)) == []
    low = _edge_issues(m, (720, int(chin) + 20))
    assert [i.code for i in low] == ["chin_low"] and low[0].severity == "warning"
