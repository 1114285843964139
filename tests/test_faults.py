"""Fault injection inside the real pipeline: ffmpeg dies, the disk fills, two renders race."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

import xiaonuan
from xiaonuan.errors import EncodeError, RenderError
from xiaonuan.progress import Progress

SCRIPT = "测试\n\n今天天气很好，我们去公园散步吧。"


def ffmpeg_children() -> list[int]:
    """PIDs of ffmpeg processes started by this process."""
    me = os.getpid()
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2:].split()[1])
        if ppid == me and comm.startswith("ffmpeg"):
            pids.append(int(stat.parent.name))
    return pids


def test_ffmpeg_killed_mid_render_leaves_nothing(tmp_path):
    out = tmp_path / "killed.mp4"
    killed = []

    def kill_ffmpeg(p: Progress) -> None:
        if p.stage == "video" and p.done > 25 and not killed:
            for pid in ffmpeg_children():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    with pytest.raises(EncodeError, match="killed"):
        xiaonuan.render(SCRIPT, voice="fake:cmn", out=out, on_progress=kill_ffmpeg)
    assert killed
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 150 KB tmpfs (root only; CI runs as root): real ENOSPC from the real ffmpeg."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", str(mnt)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_says_so_and_leaves_nothing(tiny_disk):
    with pytest.raises(EncodeError, match="disk is full"):
        xiaonuan.render(SCRIPT * 3, voice="fake:cmn", out=tiny_disk / "full.mp4")
    assert list(tiny_disk.iterdir()) == []


def test_enospc_while_writing_the_audio_track(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted, the same path is exercised by a write that raises ENOSPC."""
    import errno

    import xiaonuan.encode as encode

    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(encode, "_write_wav", no_space)
    with pytest.raises(EncodeError, match="disk is full"):
        xiaonuan.render(SCRIPT, voice="fake:cmn", out=tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []


def test_two_renders_to_one_file_do_not_corrupt_it(tmp_path):
    """The second render to a busy output name gets a clear error; the first completes intact."""
    from xiaonuan.encode import probe

    out = tmp_path / f"same-{uuid.uuid4().hex[:6]}.mp4"
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow(p: Progress) -> None:
        if p.stage == "video" and p.done > 1:
            started.set()
            release.wait(timeout=60)

    def first() -> None:
        try:
            xiaonuan.render(SCRIPT, voice="fake:cmn", out=out, on_progress=slow)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(timeout=120)
    try:
        with pytest.raises(RenderError, match="another render is writing"):
            xiaonuan.render(SCRIPT, voice="fake:cmn", out=out)
    finally:
        release.set()
        t.join(timeout=120)
    assert not errors
    info = probe(out)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
