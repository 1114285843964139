"""Smaller renders (issue #7): templates scaled to a height, render(height_px=…), the UI's Preview
options, and the template preview still."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from xiaonuan.errors import InputError
from xiaonuan.templates import MIN_HEIGHT_PX, available_templates, load_template


@pytest.mark.parametrize("name", available_templates())
@pytest.mark.parametrize("height", [720, 360, MIN_HEIGHT_PX])
def test_templates_scale_to_a_height(name: str, height: int) -> None:
    tpl = load_template(name)
    if height > tpl.height_px:
        pytest.skip("taller than the template")
    small = tpl.at_height(height)
    f = height / tpl.height_px
    assert small.height_px == height and small.width_px % 2 == 0
    assert abs(small.width_px - tpl.width_px * f) <= 1
    for box in (small.spec.presenter, small.spec.ticker, small.spec.slides):  # still inside the canvas
        if box is not None:
            assert box.x_px + box.width_px <= small.width_px and box.y_px + box.height_px <= small.height_px
    p, q = tpl.spec.presenter, small.spec.presenter
    assert abs(q.x_px - p.x_px * f) <= 1 and abs(q.width_px - p.width_px * f) <= 1
    assert q.crop == p.crop and q.fit == p.fit  # fractions and choices are not pixels
    assert small.spec.subtitles.max_chars == tpl.spec.subtitles.max_chars  # same line breaks
    assert small.spec.subtitles.font_size_px == max(6, round(tpl.spec.subtitles.font_size_px * f))
    assert small.fps == tpl.fps and small.spec.variables == tpl.spec.variables
    if tpl.spec.logo is not None:
        assert small.spec.logo.image == tpl.spec.logo.image  # assets keep their (confined) paths


def test_news_at_720_is_1280x720_with_everything_scaled() -> None:
    tpl = load_template("news")
    small = tpl.scaled(2 / 3)
    assert (small.width_px, small.height_px) == (1280, 720)
    assert small.spec.headline.font_size_px == 32 and small.spec.ticker.speed_px_s == pytest.approx(130 * 2 / 3)
    assert small.spec.presenter.shadow.offset_px == (0, 9)
    shapes = dict(zip(range(99), small.spec.background.shapes))
    poly = next(s for s in shapes.values() if s.kind == "polygon")
    assert poly.points[0] == (413, 0)  # 620 * 2/3
    assert tpl.at_height(1080) is tpl


@pytest.mark.parametrize("height", [719, 200, 1440, 0])
def test_impossible_heights_are_refused(height: int) -> None:
    with pytest.raises(InputError, match="even height"):
        load_template("news").at_height(height)


def test_compositor_runs_at_the_smaller_size() -> None:
    from xiaonuan.avatar.pack import load_avatar
    from xiaonuan.canvas import Compositor

    av = load_avatar("default")
    full = Compositor(load_template("news"), presenter_size=av.size).frame(av.image, 2.0, "你好").copy()
    small = Compositor(load_template("news").at_height(360), presenter_size=av.size).frame(av.image, 2.0, "你好")
    assert small.shape == (360, 640, 3)
    # the same picture, smaller: compare with the full frame shrunk to 640x360
    import cv2

    shrunk = cv2.resize(full, (640, 360), interpolation=cv2.INTER_AREA)
    assert np.abs(shrunk.astype(int) - small.astype(int)).mean() < 12


def test_render_at_360p_with_the_preview_options(tmp_path: Path) -> None:
    import xiaonuan
    from xiaonuan.encode import probe
    from xiaonuan.ui.app import PREVIEW_PRESET, first_sentence_script, render_options

    opts = render_options("preview", "news")
    assert opts == {"height_px": 360, "preset": PREVIEW_PRESET} and render_options("render", "news") == {}
    seen = []
    script = first_sentence_script("# 标题\n\n你好。再见。")
    result = xiaonuan.render(script, voice="fake:cmn", out=tmp_path / "p.mp4", on_progress=seen.append, **opts)
    info = probe(result.mp4)
    assert (info.width_px, info.height_px) == (640, 360)
    assert abs(info.video_duration_s - result.duration_s) < 0.05
    assert {"script", "speech", "motion", "face", "compose", "encode"} <= set(result.stage_s)
    assert all(v >= 0 for v in result.stage_s.values())
    assert any(p.stage == "video" for p in seen)


def test_render_refuses_a_bad_height_before_writing(tmp_path: Path) -> None:
    import xiaonuan

    with pytest.raises(InputError):
        xiaonuan.render("你好。", voice="fake:cmn", out=tmp_path / "x.mp4", height_px=333)
    assert not list(tmp_path.iterdir())


def test_vertical_preview_keeps_its_short_side() -> None:
    from xiaonuan.ui.app import PREVIEW_SHORT_SIDE_PX, render_options

    if "vertical" not in available_templates():
        pytest.skip("no vertical template")
    tpl = load_template("vertical").at_height(render_options("preview", "vertical")["height_px"])
    assert min(tpl.width_px, tpl.height_px) == pytest.approx(PREVIEW_SHORT_SIDE_PX, abs=2)


def test_scaled_template_is_a_new_frozen_value() -> None:
    tpl = load_template("news")
    small = tpl.scaled(0.5)
    assert tpl.width_px == 1920 and small.width_px == 960
    with pytest.raises(dataclasses.FrozenInstanceError):
        small.name = "x"  # type: ignore[misc]
