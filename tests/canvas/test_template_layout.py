"""Issue 19: every text layer of every template inside title-safe and clear of every other, at every offered
size; a vertical template's subtitles clear of the apps' own captions; the layout faults the issue names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xiaonuan.canvas import Compositor
from xiaonuan.canvas.draw import headline_label
from xiaonuan.canvas.layout import (check_overlaps, layer_boxes, layout_problems, platform_zones, safe_box,
                                    supported_sizes)
from xiaonuan.errors import TemplateError
from xiaonuan.program import Program, StoryTiming
from xiaonuan.templates import available_templates, load_template, templates_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", available_templates())
def test_every_text_layer_is_title_safe_and_clear_of_the_others_at_every_size(name):
    tpl = load_template(name)
    sizes = supported_sizes(tpl)
    short = [min(t.width_px, t.height_px) for t in sizes]
    assert short[:1] == [min(tpl.width_px, tpl.height_px)] and 360 in short  # the own size down to 360p
    for t in sizes:
        boxes = layer_boxes(t)
        assert {"subtitles", "ai_label"} <= set(boxes)
        assert layout_problems(t) == [], (name, t.width_px, t.height_px)
        x0, y0, x1, y1 = safe_box(t.width_px, t.height_px)
        assert (x0, y0) == (round(t.width_px * 0.05 + 0.4999), round(t.height_px * 0.05 + 0.4999))
        for what, b in boxes.items():  # the same, said directly: inside the 90 % area
            assert x0 <= b[0] and y0 <= b[1] and b[2] <= x1 and b[3] <= y1, (name, t.height_px, what, b)


def _copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(templates_dir() / name, copy)
    text = (copy / "template.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (copy / "template.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return copy


def test_a_subtitle_that_passes_the_width_check_but_covers_the_strap_fails_check_and_render(tmp_path):
    import xiaonuan

    # 52 px x 20 characters pass the width check (1040 of 1696 px), but two lines reach up over the headline
    copy = _copy(tmp_path, "news", "  font_size_px: 42\n  color: $text\n  outline_color",
                 "  font_size_px: 52\n  color: $text\n  outline_color")
    tpl = load_template(str(copy))  # the width check passes
    with pytest.raises(TemplateError) as e:
        check_overlaps(tpl)
    assert "headline" in str(e.value) and "subtitles" in str(e.value) and "fix:" in str(e.value)
    with pytest.raises(TemplateError, match="headline .* and subtitles"):  # a render stops before anything
        xiaonuan.render("你好。", template=str(copy), voice="fake:cmn", height_px=360, out=tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()
    assert any("overlap" in w for w in Compositor(tpl.at_height(360)).prepare())  # at any size: a warning
    proc = subprocess.run([sys.executable, "-m", "xiaonuan", "templates", "check", str(copy)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 2 and "headline" in proc.stdout and "subtitles" in proc.stdout
    assert "overlap" in proc.stdout and "fix:" in proc.stdout


def test_overlaps_are_found_between_any_two_layers_not_only_the_subtitles(tmp_path):
    # the logo moved down onto the news ticker's row: two layers the width check never looked at
    copy = _copy(tmp_path, "news", "logo:\n  x_px: 96\n  y_px: 54\n", "logo:\n  x_px: 96\n  y_px: 900\n")
    problems = layout_problems(load_template(str(copy)))
    assert any("logo" in p and "ticker" in p and "overlap" in p for p in problems), problems


def test_a_layer_outside_title_safe_is_named_with_the_fix(tmp_path):
    copy = _copy(tmp_path, "news", "logo:\n  x_px: 96\n", "logo:\n  x_px: 40\n")
    (problem,) = layout_problems(load_template(str(copy)))
    assert "logo" in problem and "title-safe" in problem and "move it 56 px in" in problem


def test_the_explainer_watermark_is_not_cut_by_its_lower_third():
    boxes = layer_boxes(load_template("explainer"))
    mark = next(b for k, b in boxes.items() if "EXPLAINED" in k)
    lt = boxes["lower_third"]
    assert min(mark[3], lt[3]) <= max(mark[1], lt[1]) or min(mark[2], lt[2]) <= max(mark[0], lt[0])


def test_the_explainer_panel_shows_the_lead_sentence_of_a_story_without_bullets():
    tpl = load_template("explainer").at_height(540)
    sp = tpl.spec.slides
    face = np.full((360, 360, 3), 128, np.uint8)
    frames = {}
    for lead in ("", "本市春季花展今天上午在滨江公园开幕，共有一百多个品种。"):
        prog = Program(0.0, 10.0, 0.0, (StoryTiming(0.0, 10.0, "花展开幕", {}, (), lead),))
        comp = Compositor(tpl, presenter_size=(360, 360), program=prog)
        frames[lead] = comp.frame(face, 2.0).copy()
        comp.close()
    # the panel below its title: plain before (the empty card), dark text now
    y0, y1 = sp.y_px + sp.height_px // 3, sp.y_px + sp.height_px - sp.padding_px
    region = lambda f: f[y0:y1, sp.x_px + sp.padding_px:sp.x_px + sp.width_px - sp.padding_px]  # noqa: E731
    dark = lambda f: int((region(f).max(axis=2) < 100).sum())  # noqa: E731
    assert dark(frames[""]) == 0
    assert dark(frames["本市春季花展今天上午在滨江公园开幕，共有一百多个品种。"]) > 500


def test_the_bulletin_shows_the_date_once_and_no_story_count_for_one_story():
    spec = load_template("bulletin").spec
    texts = [getattr(s, "text", "") for s in spec.background.shapes]
    texts += [getattr(getattr(spec, k), "text", "") for k in ("date", "logo", "ticker") if getattr(spec, k)]
    assert sum("{date}" in t for t in texts) == 1
    one = {"story_no": "1", "story_count": "1"}
    assert headline_label(spec.headline, one) == "本期周报"
    assert headline_label(spec.headline, {"story_no": "2", "story_count": "3"}) == "第2条 / 共3条"


@pytest.mark.parametrize("height", [1920, 1280, 960])
def test_vertical_subtitles_are_drawn_clear_of_the_apps_captions_and_buttons(height):
    from xiaonuan.subtitles import Cue

    tpl = load_template("vertical").at_height(height)
    zones = platform_zones(tpl.width_px, tpl.height_px)
    assert len(zones) == 2
    comp = Compositor(tpl, presenter_size=(360, 360))
    face = np.zeros((360, 360, 3), np.uint8)
    bare = comp.frame(face, 30.0).copy()
    text = "本市春季花展今天上\n午在滨江公园开幕了"  # two full lines of max_chars
    for cue in (Cue(0.0, 99.0, text), Cue(0.0, 99.0, text, (), "The flower show opened in the park today")):
        shown = comp.frame(face, 30.0, cue).copy()
        ys, xs = np.nonzero(np.abs(shown.astype(int) - bare).max(axis=2) > 24)  # the subtitle as rendered
        box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        for what, z in zones.items():
            assert min(box[2], z[2]) <= max(box[0], z[0]) or min(box[3], z[3]) <= max(box[1], z[1]), (what, box, z)
    comp.close()


def test_guides_draw_title_safe_action_safe_and_the_vertical_app_zones():
    from xiaonuan.canvas.layout import GUIDE_COLORS, draw_guides

    for W, H in ((1920, 1080), (1080, 1920)):
        g = draw_guides(np.zeros((H, W, 3), np.uint8)).astype(int)
        tx0, ty0, tx1, ty1 = safe_box(W, H)
        ax0, ay0, _, _ = safe_box(W, H, 0.035)
        assert tuple(g[H // 3, tx0]) == GUIDE_COLORS["title"] and tuple(g[H // 3, tx1 - 1]) == GUIDE_COLORS["title"]
        assert tuple(g[H // 3, ax0]) == GUIDE_COLORS["action"]
        red = g[int(H * 0.9), W // 2]  # the middle of the bottom band: shaded red on a vertical canvas only
        assert (red[0] > 60 and red[1] < 30) == (H > W), (W, H, red)
