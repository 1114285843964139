"""framing.py: a small face is cropped around (fixed rect, head kept), a large one is left alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from xiaonuan.avatar.pack import load_avatar
from xiaonuan.avatar.framing import face_px_on_canvas, frame_presenter
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


def _low_face(av, share: float = 0.3):
    """The default portrait moved down by `share` of its height (the top filled with its first row): a
    presenter whose chin sits low in the frame, which a plain crop puts under the headline strap."""
    h = av.size[1]
    dy = int(share * h)
    img = np.concatenate([np.repeat(av.image[:1], dy, axis=0), av.image[:h - dy]], axis=0)
    return dataclasses.replace(av, image=np.ascontiguousarray(img), landmarks=av.landmarks + np.float32([0, dy]))


def _rendered_face_box(tpl, face):
    """Compose one frame (lower third in, a subtitle up) and measure the face on it: (x0, y0, x1, y1) px."""
    from xiaonuan.canvas import Compositor
    from xiaonuan.face import mesh
    from xiaonuan.program import Program, StoryTiming
    from xiaonuan.subtitles import Cue

    prog = Program(0.0, 60.0, 0.0, (StoryTiming(0.0, 60.0, "", {}, ()),))
    comp = Compositor(tpl, presenter_size=(face.shape[1], face.shape[0]), program=prog)
    matte = None
    if tpl.spec.presenter.style == "matte":
        from xiaonuan.face.matte import still_matte

        matte = still_matte(face)
    try:
        frame = comp.frame(face, 4.0, Cue(0.0, 10.0, "本市春季花展今天上午在滨江公园开幕"), matte).copy()
    finally:
        comp.close()
    box = tpl.spec.presenter
    y0, x0 = max(box.y_px, 0), max(box.x_px, 0)
    lm = mesh.detect_landmarks(np.ascontiguousarray(frame[y0:box.y_px + box.height_px, x0:box.x_px + box.width_px]))
    assert lm is not None, f"{tpl.name}: no face found on the rendered frame (covered?)"
    lm = lm[list(mesh.FACE_OVAL)] + np.float32([x0, y0])
    return (*lm.min(0), *lm.max(0))


@pytest.mark.parametrize("name", ["news", "bulletin", "explainer", "studio", "vertical"])
@pytest.mark.parametrize("low", [False, True])
def test_rendered_face_is_clear_of_every_overlay(name, low):
    """Issue 17: the face measured on a rendered frame (face oval of the composited presenter) overlaps no
    rectangle of the template's overlays (headline strap, lower third, ticker, subtitles), also for a
    presenter whose chin sits low in the frame."""
    from xiaonuan.avatar.framing import overlay_rects, overlaps

    av = load_avatar("default")
    if low:
        av = _low_face(av)
    tpl = frame_presenter(load_template(name).at_height(720), av)
    face = _rendered_face_box(tpl, av.image)
    hit = [what for what, r in overlay_rects(tpl) if overlaps(face, r)]
    assert hit == [], f"{name}: the face {np.round(face)} is under {hit}"
