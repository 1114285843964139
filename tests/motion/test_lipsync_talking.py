"""Talking clips as avatars (issue #3): a clip whose presenter talks enrols, its own mouth motion is replaced
by the track's (not added to), and the sample-based mouth reuses its open-mouth frames.

The talking clip is synthesised with the project's own animate(): the default portrait opening and
closing its mouth, pasted into a still frame."""

from __future__ import annotations


import numpy as np
import pytest

from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face import mesh
from xiaonuan.motion.track import MotionTrack
from conftest import talking_frames, write_video

FPS = 25
SIZE = 400             # the synthesised clip is SIZE x SIZE ...
FACE = 360             # ... with the default portrait scaled to FACE x FACE in it
N_SRC = 60
OPEN, CLOSED = 0.12, 0.05     # inner-lip gap per eye distance: clearly open / clearly closed


def _source_jaw() -> np.ndarray:
    """The synthesised presenter's own speech: 12 calm closed frames, then open/close every 4-8 frames."""
    t = np.arange(N_SRC)
    jaw = 0.45 * (1 - np.cos(2 * np.pi * (t - 12) / 12)) * (t >= 12)
    return jaw.astype(np.float32)


def _gap(lm) -> float:
    return float(np.linalg.norm(lm[mesh.INNER_LIP_TOP] - lm[mesh.INNER_LIP_BOTTOM]) / mesh.eye_distance_px(lm))


def _measured_gaps(frames) -> np.ndarray:
    """The inner-lip gap MediaPipe sees in each frame (one face mesh for all: no per-frame start-up)."""
    import mediapipe as mp

    out = []
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as fm:
        for f in frames:
            res = fm.process(np.ascontiguousarray(f))
            h, w = f.shape[:2]
            lm = np.array([[p.x * w, p.y * h] for p in res.multi_face_landmarks[0].landmark], np.float32)
            out.append(_gap(lm))
    return np.array(out)


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    """(avatars root, enrolment result): the synthesised talking clip, enrolled as 'talker'."""
    from xiaonuan.avatar.enrol import enrol, parse_consent_by

    d = tmp_path_factory.mktemp("talking")
    frames = talking_frames(_source_jaw(), SIZE, FACE, FPS)
    clip = write_video(d / "talker.mp4", frames)
    root = d / "avatars"
    return root, enrol(clip, "talker", root=root, consent=parse_consent_by("Test Person, 2025-01-31"))


def _steps_and_track(av):
    """The source frames the render will show, and a track in anti-phase with their own mouth."""
    from xiaonuan.avatar.loop import calmness_cost, plan_steps

    n = 40
    steps = plan_steps(av.loop, n, calmness_cost(av.clip.landmarks, av.clip.found))
    src_gap = np.array([_gap(av.clip.raw[s.a]) for s in steps])
    track = MotionTrack.still(n, FPS)
    track.jaw_open[:] = np.where(src_gap < np.median(src_gap), 0.8, 0.0)
    return steps, src_gap, track


def test_talking_clip_enrols_with_mouth_samples(talking):
    import yaml

    root, r = talking
    assert not r.report.errors
    assert any("talks" in i.message for i in r.report.notes)
    assert not any("mouth is open in most frames" in i.message for i in r.report.warnings)
    manifest = yaml.safe_load((r.folder / "avatar.yaml").read_text())
    assert manifest["mouth"]["moves"] is True and manifest["mouth"]["gap_p95"] > OPEN
    av = load_avatar("talker", root=root)
    assert av.clip.talking
    bank = av.clip.mouth_bank()
    gaps = np.array([_gap(lm) for lm in bank.landmarks])
    assert bank.n_samples >= 4 and gaps.max() > 1.5 * OPEN and gaps.min() < CLOSED   # closed to wide open
    assert bank.patches.shape[0] == bank.n_samples and bank.patches.dtype == np.uint8


def test_render_follows_the_track_not_the_clips_own_mouth(talking, tmp_path):
    from conftest import decode_frames

    from xiaonuan.animate import animate
    from xiaonuan.encode import VideoWriter

    root, _ = talking
    av = load_avatar("talker", root=root)
    _, src_gap, track = _steps_and_track(av)
    assert np.corrcoef(src_gap, track.jaw_open)[0, 1] < -0.5          # the source says the opposite
    out = tmp_path / "render.mp4"
    with VideoWriter(out, av.size, FPS, None, 16000) as w:
        for f in animate(av, track):
            w.write(f)
    frames = decode_frames(out, set(range(track.n_frames)))
    gap = _measured_gaps(frames[i] for i in range(track.n_frames))
    is_open = track.jaw_open > 0.5
    assert np.median(gap[is_open]) > OPEN + 0.02, gap[is_open]
    assert np.percentile(gap[~is_open], 90) < CLOSED, gap[~is_open]
    assert np.corrcoef(gap, track.jaw_open)[0, 1] > 0.8


def test_sample_mouth_reuses_open_source_frames_where_the_track_opens(talking):
    from xiaonuan.animate import mouth_sample_frames

    root, _ = talking
    av = load_avatar("talker", root=root)
    _, _, track = _steps_and_track(av)
    chosen = mouth_sample_frames(av, track)
    own_gap = np.array([_gap(av.clip.raw[j]) for j in chosen])
    is_open = track.jaw_open > 0.5
    assert (own_gap[is_open] > OPEN).all(), own_gap[is_open]       # open samples, not a drawn cavity
    assert (own_gap[~is_open] < CLOSED).all(), own_gap[~is_open]
    assert mouth_sample_frames(load_avatar("default"), track) is None


def test_idle_clip_keeps_its_own_mouth_as_rest(talking, tmp_path):
    """A clip whose mouth does not move is not 'talking': no samples, the lips are moved relative to it."""
    import cv2

    from xiaonuan.avatar.enrol import enrol

    still = np.full((SIZE, SIZE, 3), (70, 90, 120), np.uint8)
    off = (SIZE - FACE) // 2
    still[off:off + FACE, off:off + FACE] = cv2.resize(load_avatar("default").image, (FACE, FACE),
                                                       interpolation=cv2.INTER_AREA)
    clip = write_video(tmp_path / "idle.mp4", [still] * 20)
    r = enrol(clip, "idle", root=tmp_path / "avatars")
    av = load_avatar("idle", root=tmp_path / "avatars")
    assert not av.clip.talking and not (r.folder / "mouths.npz").exists() and not r.report.notes


@pytest.fixture(scope="module")
def presenter_man(tmp_path_factory):
    """The first 4 s of ../shared/media/presenter_man.mp4 (a real man talking), enrolled."""
    import subprocess

    import imageio_ffmpeg

    from conftest import SHARED_MEDIA
    from xiaonuan.avatar.enrol import enrol

    src = SHARED_MEDIA / "presenter_man.mp4"
    if not src.is_file():
        pytest.skip("../shared/media/presenter_man.mp4 is absent")
    d = tmp_path_factory.mktemp("man")
    cut = d / "man4s.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-t", "4", "-an",
                    "-vf", "scale=360:640", "-c:v", "libx264", "-crf", "16", str(cut)], check=True)
    enrol(cut, "man", root=d / "avatars")
    return load_avatar("man", root=d / "avatars")


def test_presenter_man_talks_and_its_mouth_is_replaced(presenter_man):
    from xiaonuan.animate import animate

    av = presenter_man
    assert av.clip.talking and av.clip.mouth_bank().n_samples >= 8
    steps, src_gap, _ = _steps_and_track(av)
    track = MotionTrack.still(len(steps), FPS)                     # a closed mouth all along
    frames = [f.copy() for i, f in enumerate(animate(av, track)) if src_gap[i] > OPEN]   # his own mouth open there
    assert len(frames) >= 5
    gaps = _measured_gaps(frames)
    assert np.median(gaps) < CLOSED, (gaps, src_gap[src_gap > OPEN])


def test_a_pack_enrolled_before_mouth_samples_gets_them_on_first_use(talking, tmp_path):
    import shutil

    import yaml

    root, r = talking
    old = tmp_path / "talker"
    shutil.copytree(r.folder, old)
    manifest = yaml.safe_load((old / "avatar.yaml").read_text())
    del manifest["mouth"]
    (old / "avatar.yaml").write_text(yaml.safe_dump(manifest))
    (old / "mouths.npz").unlink()
    av = load_avatar("talker", root=tmp_path)
    assert av.clip.talking                                  # from its landmarks
    bank = av.clip.mouth_bank()
    assert (old / "mouths.npz").is_file()
    assert np.array_equal(bank.frames, load_avatar("talker", root=root).clip.mouth_bank().frames)
