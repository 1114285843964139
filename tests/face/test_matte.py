"""matte.py: the person is opaque, the background transparent, the matte steady; a matte template
shows its own background where the avatar's background was."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face.matte import Matter, stamp_box, still_matte, with_matte


@pytest.fixture(scope="module")
def portrait():
    av = load_avatar("default")
    return av, still_matte(av.image)


def test_face_is_opaque_and_background_corners_transparent(portrait):
    av, alpha = portrait
    assert alpha.shape == av.image.shape[:2] and alpha.dtype == np.uint8
    x, y = np.nanmean(av.landmarks, axis=0).astype(int)          # the face's centre
    assert alpha[y - 10:y + 10, x - 10:x + 10].min() >= 250
    h, w = alpha.shape
    for cy, cx in ((int(h * 0.05), int(w * 0.05)), (int(h * 0.05), int(w * 0.95))):
        assert alpha[cy - 5:cy + 5, cx - 5:cx + 5].max() <= 5


def test_matte_is_steady_frame_to_frame(portrait):
    av, alpha = portrait
    rng = np.random.default_rng(0)
    frames = [np.clip(av.image.astype(np.int16) + rng.integers(-2, 3, av.image.shape), 0, 255).astype(np.uint8)
              for _ in range(6)]                           # sensor noise: must not flicker
    with Matter() as m:
        mattes = [m.next(f).astype(np.int16) for f in frames]
    steps = [np.abs(b - a).mean() for a, b in zip(mattes, mattes[1:])]
    assert max(steps) < 0.05, steps                        # grey levels per pixel
    assert np.abs(mattes[-1] - alpha).mean() < 1.0
    # a still portrait reuses its matte: exactly zero change between frames
    pairs = [a.copy() for _, a in with_matte([av.image] * 3, still=av.image, transforms=[None, None, None])]
    assert all(np.array_equal(pairs[0], p) for p in pairs[1:])


def test_matte_moves_with_the_portrait(portrait):
    av, alpha = portrait
    m = np.array([[1.0, 0.0, 6.0], [0.0, 1.0, -4.0]], np.float32)    # 6 px right, 4 px up
    _, moved = next(with_matte([av.image], still=av.image, transforms=[m]))
    assert np.array_equal(moved[20:-20, 20:-20], alpha[24:-16, 14:-26])


def test_no_person_gives_an_empty_matte():
    h, w = 480, 640
    yy, xx = np.mgrid[0:h, 0:w]
    frame = np.stack([(xx * 255 // w), (yy * 255 // h), np.full((h, w), 90)], axis=2).astype(np.uint8)
    frame[100:220, 380:560] = (30, 120, 200)               # a box and a disc: furniture, not people
    frame[(yy - 330) ** 2 + (xx - 160) ** 2 < 70 ** 2] = (220, 200, 40)
    alpha = still_matte(frame)
    assert (alpha > 128).mean() < 0.02


def test_stamped_label_stays_opaque(portrait):
    from xiaonuan.animate import label_unconsented

    av, _ = portrait
    box = stamp_box(label_unconsented, av.size)
    assert box is not None and box[0].start < av.size[1] * 0.2       # a band near the top
    _, a = next(with_matte([av.image], still=av.image, opaque=box))
    assert a[box].min() == 255


@pytest.fixture(scope="module")
def bulletin_frame(tmp_path_factory):
    """A decoded frame of a short bulletin render (matte presenter), its template, and the template's
    static frame without a presenter."""
    import xiaonuan
    from conftest import decode_frames
    from xiaonuan.canvas import Compositor
    from xiaonuan.templates import load_template

    out = tmp_path_factory.mktemp("bulletin") / "m.mp4"
    r = xiaonuan.render("测试\n\n你好。", template="bulletin", voice="fake:cmn", out=out)
    tpl = load_template("bulletin")
    i = round(tpl.intro_s * tpl.fps) + round(tpl.spec.transition.duration_s * tpl.fps)  # after the wipe
    return decode_frames(r.mp4, {i})[i].astype(int), tpl, Compositor(tpl).base.astype(int)


def test_matte_template_shows_its_own_background(bulletin_frame):
    frame, tpl, base = bulletin_frame                    # base: the template without a presenter
    box = tpl.spec.presenter
    ys, xs = slice(box.y_px + 10, box.y_px + 40), slice(box.x_px + 10, box.x_px + 40)   # top-left of the box
    avatar_bg = load_avatar("default").image[10:40, 10:40].reshape(-1, 3).mean(0)
    assert np.abs(frame[ys, xs] - base[ys, xs]).mean() < 6                 # the template's background …
    assert np.abs(frame[ys, xs].reshape(-1, 3).mean(0) - avatar_bg).max() > 40   # … not the photo's grey
    cy, cx = box.y_px + box.height_px // 3, box.x_px + box.width_px // 2
    assert np.abs(frame[cy - 5:cy + 5, cx - 5:cx + 5] - base[cy - 5:cy + 5, cx - 5:cx + 5]).mean() > 20  # the person


def test_matte_fades_out_at_the_box_sides(bulletin_frame):
    """The cut-out person has no hard vertical edge where the presenter box ends: the template's
    background at the box's outermost columns, the person fully there edge_fade_px inside."""
    frame, tpl, base = bulletin_frame
    box = tpl.spec.presenter
    fade = box.edge_fade_px
    assert fade > 0
    diff = np.abs(frame - base).max(axis=2)
    rows = np.arange(box.y_px + box.height_px // 2, tpl.spec.headline.y_px)   # above the headline strap
    x0 = box.x_px
    inside = diff[rows, x0 + fade:x0 + fade + 24].mean(axis=1)
    person = rows[inside > 80]                           # rows where the person (the suit) reaches the side
    assert len(person) >= 40, len(person)
    edge = diff[person, x0:x0 + 3].mean()
    half = diff[person, x0 + fade // 2 - 2:x0 + fade // 2 + 2].mean()
    full = diff[person, x0 + fade:x0 + fade + 24].mean()
    assert edge < 8, edge                                # the background shows at the box edge
    assert edge + 15 < half < full - 15, (edge, half, full)   # a gradual fade, not a step


def test_edge_fade_on_a_fully_opaque_matte():
    import dataclasses

    from xiaonuan.canvas import Compositor, edge_fade
    from xiaonuan.templates import load_template

    ramp = edge_fade(200, 100, 40)
    assert ramp[0].max() == 255 and ramp[:, 0].max() <= 3 and ramp[-1].max() <= 3   # sides and bottom, not top
    assert ramp[:60, 40:160].min() == 255 and np.all(np.diff(ramp[50, :100].astype(int)) >= 0)
    assert edge_fade(200, 100, 0) is None
    tpl = load_template("bulletin")
    box = tpl.spec.presenter
    face = np.full((720, 720, 3), (0, 220, 60), np.uint8)
    opaque = np.full((720, 720), 255, np.uint8)
    for fade, edge_is_person in ((box.edge_fade_px, False), (0, True)):
        t = dataclasses.replace(tpl, spec=dataclasses.replace(tpl.spec, presenter=dataclasses.replace(
            box, edge_fade_px=fade)))
        out = Compositor(t).frame(face, 10.0, None, opaque).astype(int)
        y = box.y_px + box.height_px // 2
        is_person = np.abs(out[y, box.x_px] - (0, 220, 60)).max() <= 2
        assert is_person == edge_is_person, fade
        assert np.abs(out[y, box.x_px + box.width_px // 2] - (0, 220, 60)).max() <= 2
