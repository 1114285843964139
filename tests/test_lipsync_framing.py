"""framing.py: a small face is cropped around (fixed rect, head kept), a large one is left alone."""

from __future__ import annotations

import dataclasses

import numpy as np

from xiaonuan.avatar import load_avatar
from xiaonuan.framing import face_px_on_canvas, frame_presenter
from xiaonuan.templates import load_template


def _small_face(av):
    """The default portrait shrunk to half size inside the same frame: a wide shot."""
    lm = av.landmarks.copy()
    c = np.array(av.size, np.float32) / 2
    return dataclasses.replace(av, landmarks=(lm - c) * 0.5 + c)


def test_small_face_is_zoomed_to_face_px_and_the_head_fits():
    tpl = load_template("news")
    av = _small_face(load_avatar("default"))
    assert face_px_on_canvas(tpl, av) < 100
    framed = frame_presenter(tpl, av)
    crop = framed.spec.presenter.crop
    assert face_px_on_canvas(framed, av) >= tpl.spec.presenter.face_px - 1
    w, h = av.size
    lo, hi = av.landmarks.min(0), av.landmarks.max(0)
    assert crop[0] * w <= lo[0] and crop[2] * w >= hi[0] and crop[1] * h <= lo[1] and crop[3] * h >= hi[1]
    box = tpl.spec.presenter   # same aspect as the box, so `cover` crops nothing more
    aspect = (crop[2] - crop[0]) * w / ((crop[3] - crop[1]) * h)
    assert abs(aspect - box.width_px / box.height_px) < 0.01


def test_large_face_or_face_px_zero_keeps_the_template():
    tpl = load_template("vertical")
    av = load_avatar("default")
    assert frame_presenter(tpl, av) is tpl
    off = dataclasses.replace(tpl, spec=dataclasses.replace(
        tpl.spec, presenter=dataclasses.replace(tpl.spec.presenter, face_px=0)))
    assert frame_presenter(off, _small_face(av)) is off
