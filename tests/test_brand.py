"""Brand kits (issue 19): one brand.yaml (palette, logo, font) recolours every template; without one the
templates look exactly as their hex colours did; the file is checked at the edge with its line numbers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xiaonuan.brand import load_brand
from xiaonuan.canvas import Compositor
from xiaonuan.errors import TemplateError
from xiaonuan.fonts import CJK_SAMPLE, font_file, load_font, missing_cjk
from xiaonuan.template_spec import PALETTE_NAMES
from xiaonuan.templates import available_templates, load_template, templates_dir

ROOT = Path(__file__).resolve().parents[1]
GREEN = (0, 166, 81)
CJK = CJK_SAMPLE + "国小暖新闻快讯周报讲堂演播室主播要闻播报本期本市春季花展上午在滨江公园开幕AI生成"


def _font(path: Path, chars: str) -> Path:
    """A tiny TrueType font the test builds: every character of `chars` is a filled square (its own look,
    unmistakable on a frame), nothing else is mapped."""
    fb_mod = pytest.importorskip("fontTools.fontBuilder")
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    empty = TTGlyphPen(None).glyph()  # .notdef: draws nothing
    pen = TTGlyphPen(None)
    pen.moveTo((100, -50)), pen.lineTo((100, 750)), pen.lineTo((900, 750)), pen.lineTo((900, -50)), pen.closePath()
    square = pen.glyph()
    fb = fb_mod.FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "square"])
    fb.setupCharacterMap({ord(c): "square" for c in set(chars)})
    fb.setupGlyf({".notdef": empty, "square": square})
    fb.setupHorizontalMetrics({".notdef": (500, 0), "square": (1000, 100)})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Xiaonuan Test Squares", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return path


@pytest.fixture()
def brand_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "brand"
    folder.mkdir()
    _font(folder / "squares.ttf", CJK)
    Image.new("RGBA", (120, 120), (*GREEN, 255)).save(folder / "logo.png")
    (folder / "brand.yaml").write_text(
        "# the test brand\npalette:\n  primary: '#00a651'\n  accent: '#00a651'\nlogo: logo.png\nfont: squares.ttf\n",
        encoding="utf-8")
    return folder


def test_every_template_names_the_brand_palette():
    for name in available_templates():
        assert set(PALETTE_NAMES) <= set(load_template(name).spec.palette), name


def test_a_brand_file_is_read_with_its_palette_logo_and_font(brand_dir):
    b = load_brand(brand_dir / "brand.yaml")
    assert b.palette == {"primary": (*GREEN, 255), "accent": (*GREEN, 255)}
    assert b.logo == (brand_dir / "logo.png").resolve() and b.font == (brand_dir / "squares.ttf").resolve()
    assert b.warnings == ()  # the font has the Chinese glyphs


def test_a_brand_font_without_chinese_is_warned_about(brand_dir):
    _font(brand_dir / "latin.ttf", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert missing_cjk(brand_dir / "latin.ttf") == CJK_SAMPLE
    (brand_dir / "brand.yaml").write_text("font: latin.ttf\n", encoding="utf-8")
    (warning,) = load_brand(brand_dir / "brand.yaml").warnings
    assert "latin.ttf" in warning and "Chinese" in warning and "fix:" in warning


@pytest.mark.parametrize("text,message", [
    ("palette:\n  primary: '#00a651'\n  brand_red: '#ff0000'\n", r"palette.brand_red.*line 3.*not a palette name"),
    ("palette:\n  primary: '#00a65'\n", r"palette.primary.*line 2.*'#rrggbb'"),
    ("palette:\n  primary: #00a651\n", r"palette.primary.*line 2.*quotes"),  # unquoted: YAML reads a comment
    ("logo: nowhere.png\n", r"logo.*line 1.*does not exist"),
    ("logo: ../../etc/passwd\n", r"logo.*leaves the"),
    ("font: broken.ttf\n", r"font.*line 1.*cannot be opened as a font"),
    ("font: logo.png\n", r"font.*not a .ttf"),
    ("colours: {primary: '#00a651'}\n", r"colours.*line 1.*unknown key"),
    ("- primary\n", r"top level must be a mapping"),
])
def test_a_bad_brand_file_names_the_line_and_the_fix(brand_dir, text, message):
    (brand_dir / "broken.ttf").write_bytes(b"not a font at all" * 10)
    (brand_dir / "brand.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as e:
        load_brand(brand_dir / "brand.yaml")
    assert re.search(message, str(e.value), re.S), str(e.value)
    assert "fix" in str(e.value)


def _inlined(tmp_path: Path, name: str) -> Path:
    """A copy of template `name` with every $palette colour written out as the hex it stands for, no palette."""
    copy = tmp_path / f"{name}-hex"
    shutil.copytree(templates_dir() / name, copy)
    text = (copy / "template.yaml").read_text(encoding="utf-8")
    palette = load_template(name).spec.palette
    text = re.sub(r"\npalette:\n(?:  .*\n)+", "\n", text)
    hexed = lambda m: '"#%02x%02x%02x%s"' % (*palette[m.group(1)][:3], m.group(2) or "%02x" % palette[m.group(1)][3])  # noqa: E731
    text = re.sub(r"(?<=: )\$([a-z_]+)(?:/([0-9a-f]{2}))?", hexed, text)  # a value, not the header comment
    assert ": $" not in text
    (copy / "template.yaml").write_text(text, encoding="utf-8")
    return copy


@pytest.mark.parametrize("name", available_templates())
def test_without_a_brand_a_template_draws_exactly_what_its_hex_colours_drew(tmp_path, name):
    from xiaonuan.program import Program, StoryTiming

    prog = Program(1.0, 10.0, 1.0, (StoryTiming(1.0, 11.0, "花展开幕", {}, (), "花展今天开幕。"),))
    frames = []
    for tpl in (load_template(name).at_height(360), load_template(str(_inlined(tmp_path, name))).at_height(360)):
        comp = Compositor(tpl, presenter_size=(64, 64), program=prog)
        face = np.full((64, 64, 3), 90, np.uint8)
        frames.append([comp.frame(face, t, "本市春季花展").copy() for t in (0.5, 3.0, 11.5)])  # intro, story, outro
        comp.close()
    for a, b in zip(*frames):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name", available_templates())
def test_a_brand_recolours_every_template_and_sets_its_logo_and_font(brand_dir, name):
    brand = load_brand(brand_dir / "brand.yaml")
    plain, branded = load_template(name).at_height(360), load_template(name, brand=brand).at_height(360)
    assert branded.spec.palette["primary"] == (*GREEN, 255) and branded.spec.font == brand.font
    assert branded.spec.palette["dark"] == plain.spec.palette["dark"]  # what the brand leaves out stays
    if plain.spec.logo is not None:
        assert branded.spec.logo.image == brand.logo
    counts = []
    for tpl in (plain, branded):
        comp = Compositor(tpl, presenter_size=(64, 64))
        frame = comp.frame(np.zeros((64, 64, 3), np.uint8), 0.0)
        counts.append(int((np.abs(frame.astype(int) - GREEN).max(axis=2) <= 2).sum()))
        comp.close()
    assert counts[0] == 0 and counts[1] > 150, counts  # the brand's green, where the template's primary was


def test_the_brand_font_draws_the_text(brand_dir):
    font_path = load_brand(brand_dir / "brand.yaml").font
    with font_file(font_path):
        assert load_font(40, "Bold").getname()[0] == "Xiaonuan Test Squares"
    assert load_font(40, "Bold").getname()[0] != "Xiaonuan Test Squares"  # only inside the block
    tpl = load_template("news", brand=load_brand(brand_dir / "brand.yaml")).at_height(360)
    comp = Compositor(tpl, presenter_size=(64, 64))
    face = np.zeros((64, 64, 3), np.uint8)
    canvas = comp.frame(face, 0.0, "中文字体").copy()
    bare = comp.frame(face, 0.0).copy()
    comp.close()
    ys, xs = np.nonzero(np.abs(canvas.astype(int) - bare).max(axis=2) > 40)
    box = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    # four filled squares: most of the subtitle's box is solid white (a CJK face leaves it mostly open)
    assert (box.min(axis=2) > 230).mean() > 0.5


def test_cli_render_preview_and_rundown_take_a_brand(brand_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = tmp_path / "p.png"
    proc = subprocess.run([sys.executable, "-m", "xiaonuan", "templates", "preview", "vertical", "--brand",
                           str(brand_dir / "brand.yaml"), "-o", str(out)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert (np.abs(img - GREEN).max(axis=2) <= 6).sum() > 500
    proc = subprocess.run([sys.executable, "-m", "xiaonuan", "render", "--help"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert "--brand" in proc.stdout

    from xiaonuan.batch import input_hash, load_rundown

    rd = tmp_path / "rundown.yaml"
    shutil.copy(brand_dir / "brand.yaml", tmp_path / "brand.yaml")
    for f in ("logo.png", "squares.ttf"):
        shutil.copy(brand_dir / f, tmp_path / f)
    rd.write_text("defaults: {brand: brand.yaml}\nitems:\n  - {name: a, text: 你好。}\n  - {name: b, text: 好。, brand: ''}\n",
                  encoding="utf-8")
    a, b = load_rundown(rd).items
    assert a.brand == str((tmp_path / "brand.yaml").resolve()) and b.brand is None
    before = input_hash(a, "v")
    Image.new("RGBA", (120, 120), (255, 0, 0, 255)).save(tmp_path / "logo.png")  # a new logo re-renders
    assert input_hash(a, "v") != before
    (up,) = load_rundown(rd, allow_files=False).items[:1]
    assert up.error and "brand" in up.error


def test_palette_mistakes_in_a_template_name_their_line(tmp_path):
    copy = tmp_path / "promo"
    shutil.copytree(templates_dir() / "news", copy)
    text = (copy / "template.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    bad = text.replace('  primary: "#d71920"', '  primary: "#d7192"', 1)
    (copy / "template.yaml").write_text(bad, encoding="utf-8")
    line = lines.index('  primary: "#d71920"') + 1
    with pytest.raises(TemplateError, match=rf"palette.primary \(line {line}\)"):
        load_template(str(copy))
    typo = text.replace("  label_color: $primary", "  label_color: $primay", 1)
    (copy / "template.yaml").write_text(typo, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"headline.label_color \(line \d+\): no colour 'primay'.*\$primary"):
        load_template(str(copy))


@pytest.mark.parametrize("name", available_templates())
def test_a_brand_logo_and_font_keep_every_template_title_safe_and_clear(brand_dir, name):
    from xiaonuan.canvas.layout import layout_problems, supported_sizes

    brand = load_brand(brand_dir / "brand.yaml")  # a square logo as tall as the logo layer, wide square glyphs
    for tpl in supported_sizes(load_template(name, brand=brand)):
        assert layout_problems(tpl) == [], (name, tpl.height_px)
