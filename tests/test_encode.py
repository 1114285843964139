"""Streaming encoder: real MP4s checked by probing and decoding them; failures leave nothing."""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from xiaonuan.encode import YUV_MATRIX, VideoWriter, ffmpeg_exe, probe, read_frames
from xiaonuan.errors import EncodeError

W, H, FPS, RATE_HZ = 320, 240, 25, 22050
N_FRAMES = 50  # 2 s
COMMENT = "AI生成 / AI-generated test clip"


def _frame(i: int) -> np.ndarray:
    f = np.zeros((H, W, 3), np.uint8)
    f[:, : (i * 6) % W] = (200, 40, 40)  # a bar that grows: frames differ
    return f


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _top_level_atoms(path: Path) -> list[str]:
    atoms, data = [], path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        atoms.append(kind.decode("latin-1"))
        if size < 8:
            break
        pos += size
    return atoms


@pytest.mark.parametrize("audio_s", [1.6, 2.7])  # shorter audio is padded, longer is trimmed
def test_encodes_h264_aac_with_matching_durations(tmp_path: Path, audio_s: float) -> None:
    out = tmp_path / "clip.mp4"
    with VideoWriter(out, (W, H), FPS, _tone(audio_s), RATE_HZ,
                     metadata={"comment": COMMENT, "description": "test"}) as w:
        for i in range(N_FRAMES):
            w.write(_frame(i))
    info = probe(out)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width_px, info.height_px, info.fps) == (W, H, FPS)
    assert info.video_duration_s == pytest.approx(N_FRAMES / FPS, abs=1e-3)
    assert abs(info.audio_duration_s - info.video_duration_s) <= 0.040
    assert info.metadata.get("comment") == COMMENT
    atoms = _top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat")  # faststart
    assert os.listdir(tmp_path) == ["clip.mp4"]  # no temp files left
    frames = list(read_frames(out))
    assert len(frames) == N_FRAMES and frames[0].shape == (H, W, 3)
    assert np.abs(frames[30].astype(int) - _frame(30)).mean() < 4  # colours survive (BT.601 both ways)


def test_video_only(tmp_path: Path) -> None:
    out = tmp_path / "silent.mp4"
    with VideoWriter(out, (W, H), FPS, None, RATE_HZ, metadata={"comment": COMMENT}) as w:
        for i in range(10):
            w.write(_frame(i))
    info = probe(out)
    assert [s.kind for s in info.streams] == ["video"] and info.metadata["comment"] == COMMENT
    atoms = _top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat")
    assert os.listdir(tmp_path) == ["silent.mp4"]


def test_stream_names_its_colour_matrix_and_brand_colours_survive(tmp_path: Path) -> None:
    """The writer converts to YUV itself (BT.601); the stream must say so, or players would decode it with
    another matrix and shift a brand's colours (a red 200,16,46 read as BT.709 comes back 215,33,44)."""
    colours = [(200, 16, 46), (0, 90, 200), (250, 200, 0), (20, 140, 60)]
    frame = np.zeros((H, W, 3), np.uint8)
    for k, c in enumerate(colours):
        frame[:, k * W // 4:(k + 1) * W // 4] = c
    out = tmp_path / "brand.mp4"
    with VideoWriter(out, (W, H), FPS, None, RATE_HZ) as w:
        for _ in range(5):
            w.write(frame)
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
    assert re.search(rf"yuv420p\(tv, {YUV_MATRIX}/bt709/bt709", info), info
    decoded = next(read_frames(out))  # ffmpeg's scaler takes the matrix from the stream
    for k, c in enumerate(colours):
        got = decoded[H // 2, k * W // 4 + W // 8].astype(int)
        assert np.abs(got - c).max() <= 3, (c, got)


def test_audio_given_after_the_frames(tmp_path: Path) -> None:
    """A render whose speech is made beside its frames gives the soundtrack at the end (#17)."""
    out = tmp_path / "later.mp4"
    with VideoWriter(out, (W, H), FPS, None, RATE_HZ, audio_later=True) as w:
        for i in range(N_FRAMES):
            w.write(_frame(i))
        w.set_audio(_tone(1.6))
    info = probe(out)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert abs(info.audio_duration_s - info.video_duration_s) <= 0.040
    assert os.listdir(tmp_path) == ["later.mp4"]


def test_audio_promised_and_never_given_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "nothing.mp4"
    with pytest.raises(EncodeError, match="set_audio"):
        with VideoWriter(out, (W, H), FPS, None, RATE_HZ, audio_later=True) as w:
            w.write(_frame(0))
    assert os.listdir(tmp_path) == []
    with pytest.raises(EncodeError, match="audio_later"):
        VideoWriter(out, (W, H), FPS, _tone(1.0), RATE_HZ, audio_later=True)
    with pytest.raises(EncodeError, match="set_audio"):
        with VideoWriter(out, (W, H), FPS, _tone(1.0), RATE_HZ) as w:
            w.write(_frame(0))
            w.set_audio(_tone(1.0))  # it already has its audio
    assert os.listdir(tmp_path) == []


def test_exception_in_block_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError, match="boom"):
        with VideoWriter(out, (W, H), FPS, _tone(1.0), RATE_HZ) as w:
            for i in range(5):
                w.write(_frame(i))
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_ffmpeg_dying_raises_encode_error_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "killed.mp4"
    with pytest.raises(EncodeError, match="killed"):
        with VideoWriter(out, (W, H), FPS, _tone(1.0), RATE_HZ) as w:
            w.write(_frame(0))
            os.kill(w.ffmpeg_pid, signal.SIGKILL)
            for i in range(1, 500):
                w.write(_frame(i))
    assert os.listdir(tmp_path) == []


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EncodeError, match="even"):
        VideoWriter(tmp_path / "x.mp4", (321, 240), FPS, None, RATE_HZ)
    with pytest.raises(EncodeError, match="expected"):
        with VideoWriter(tmp_path / "x.mp4", (W, H), FPS, None, RATE_HZ) as w:
            w.write(np.zeros((H, W + 2, 3), np.uint8))
    with pytest.raises(EncodeError, match="no frames"):
        with VideoWriter(tmp_path / "x.mp4", (W, H), FPS, None, RATE_HZ):
            pass
    assert os.listdir(tmp_path) == []


def test_probe_refuses_non_media(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(EncodeError, match="cannot probe"):
        probe(bad)


def test_reused_frame_buffer_and_pool(tmp_path: Path) -> None:
    """One caller buffer changed in place between writes (as Compositor.frame does), more frames than
    the writer's buffer pool: every frame comes out as it was when written, in order."""
    from xiaonuan.encode import QUEUE_FRAMES

    n = QUEUE_FRAMES * 3
    buf = np.zeros((H, W, 3), np.uint8)
    with VideoWriter(tmp_path / "pool.mp4", (W, H), FPS, None, RATE_HZ, preset="ultrafast") as w:
        for i in range(n):
            buf[...] = i * 9  # grey level i*9
            w.write(buf)
    levels = [float(f.mean()) for f in read_frames(tmp_path / "pool.mp4")]
    assert len(levels) == n
    assert np.allclose(levels, [i * 9 for i in range(n)], atol=3)


def test_lent_buffers_are_queued_without_a_copy(tmp_path: Path) -> None:
    """Frames drawn into VideoWriter.buffer() (the render's path, #7) come out as drawn, in order, past the
    pool's size; a lent buffer is never one still queued, and a frame from elsewhere is still copied."""
    from xiaonuan.encode import QUEUE_FRAMES

    n = QUEUE_FRAMES * 3
    own = np.zeros((H, W, 3), np.uint8)
    with VideoWriter(tmp_path / "lent.mp4", (W, H), FPS, None, RATE_HZ, preset="ultrafast") as w:
        queued: list[int] = []
        for i in range(n):
            if i % 5 == 4:                     # now and then a caller's own frame (copied)
                own[...] = i * 9
                w.write(own)
                continue
            buf = w.buffer()
            assert w.buffer() is buf           # the same one until it is written
            buf[...] = i * 9
            w.write(buf)
            queued.append(id(buf))
        assert len(set(queued)) <= QUEUE_FRAMES
    levels = [float(f.mean()) for f in read_frames(tmp_path / "lent.mp4")]
    assert len(levels) == n
    assert np.allclose(levels, [i * 9 for i in range(n)], atol=3)


def test_wav_is_written_block_by_block(tmp_path: Path) -> None:
    """The mux's WAV of a track longer than one block (clipped, NaN → 0) matches a one-shot conversion."""
    import wave

    from xiaonuan.encode import PCM_MAX, WAV_BLOCK_S, _write_wav

    rate = 1000
    x = np.sin(np.arange(int(2.5 * WAV_BLOCK_S * rate)) / 7.0).astype(np.float32) * 1.3
    x[5] = np.nan
    _write_wav(tmp_path / "a.wav", x, rate)
    with wave.open(str(tmp_path / "a.wav")) as f:
        got = np.frombuffer(f.readframes(f.getnframes()), "<i2")
    want = (np.clip(np.nan_to_num(x), -1, 1) * PCM_MAX).astype("<i2")
    assert np.array_equal(got, want)
