"""The web page's presenters (issue 19): thumbnails keep the face (framed on the pack's face box, not the
picture's centre) and enrolment shows a status while it runs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from xiaonuan.ui import avatars

ROOT = Path(__file__).resolve().parents[2]


def test_a_face_off_centre_in_a_wide_frame_stays_in_the_thumbnail():
    face = (1400.0, 200.0, 1600.0, 450.0)  # a 1920x1080 clip frame, the presenter standing right
    x0, y0, x1, y1 = avatars.thumbnail_box(1920, 1080, face)
    assert x1 - x0 == y1 - y0 and 0 <= x0 and x1 <= 1920 and 0 <= y0 and y1 <= 1080  # a square inside the frame
    assert x0 <= face[0] and face[2] <= x1 and y0 <= face[1] and face[3] <= y1  # the whole face is in it
    centre = avatars.thumbnail_box(1920, 1080, None)
    assert centre == (420, 0, 1500, 1080) and centre[2] < face[2]  # the old centre crop cut this face off


def test_the_default_packs_thumbnail_is_framed_on_its_face(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    folder = ROOT / "assets" / "avatar" / "default"
    face = avatars.pack_face_box(folder)
    assert face is not None
    with Image.open(folder / "portrait.png") as im:
        size = im.size
    x0, y0, x1, y1 = avatars.thumbnail_box(*size, face)
    assert x0 <= face[0] and face[2] <= x1 and y0 <= face[1] and face[3] <= y1
    thumb = avatars.avatar_thumbnail("default")
    assert thumb is not None and thumb.is_relative_to(tmp_path / "ui")
    with Image.open(thumb) as im:
        assert im.size == (avatars.THUMB_PX, avatars.THUMB_PX)
        pixels = np.asarray(im.convert("L"), np.float32)
    assert pixels.std() > 10  # a picture, not a blank square


def test_enrolment_reports_while_it_runs(monkeypatch):
    def slow(path, name, consent):
        time.sleep(0.35)
        return f"**Enrolled `{name}`**", "sheet.png"

    monkeypatch.setattr(avatars, "enrol_avatar", slow)
    steps = list(avatars.enrol_steps("clip.mp4", "sun", "孙丽, 2025-01-31", poll_s=0.05))
    waiting, last = steps[:-1], steps[-1]
    assert waiting and all(not done and "正在登记" in text and "Enrolling `sun` (clip)" in text
                           for text, _, done in waiting)
    assert last == ("**Enrolled `sun`**", "sheet.png", True)
