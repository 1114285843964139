"""Where a template's text layers land on the canvas, and what is wrong with where they land (issue 19).

Each text layer (headline strap, ticker, slide panel, lower third, logo, date, AI label, the background's
text shapes and a real two-line, max_chars-wide subtitle) is drawn alone, as the compositor draws it, and
its box is the drawn pixels' extent. Three checks use the boxes:

- overlaps between every pair of them (the width check alone let a larger subtitle cover the headline strap);
- every one inside the title-safe area (EBU R 95: 5 % in from each edge, templates.TITLE_SAFE_SHARE);
- on a vertical canvas, none in the zones where Douyin/TikTok draw their own captions and buttons.

The presenter is left out on purpose: straps and lower thirds are drawn over it by design. A strap's or
ticker's `bleed` colour (out to the canvas edges) is not text and is not measured.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Mapping

import numpy as np
from PIL import Image, ImageDraw

from xiaonuan.canvas.draw import _draw_ai_label, _draw_date, _draw_headline, _draw_logo, _draw_shape, \
    headline_label, render_lower_third
from xiaonuan.canvas.subtitle import render_subtitle
from xiaonuan.errors import TemplateError
from xiaonuan.fonts import font_file, load_font
from xiaonuan.template_spec import TextShape
from xiaonuan.templates import (ACTION_SAFE_SHARE, MIN_HEIGHT_PX, TITLE_SAFE_SHARE, Template, safe_margins_px,
                                subtitle_line_px)

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
# the sizes a template must lay out well at: the web page's 1080p/720p/540p menu (ui/session.py SIZES) and
# the 360p used for quick previews and tests
SUPPORTED_SHORT_SIDES_PX = (1080, 720, 540, 360)

# Vertical short-video apps draw over the bottom of the picture (account name, caption, music line) and a
# column of buttons (avatar, like, comment, share) on the right; measured on Douyin and TikTok screenshots
# of 1080x1920 videos: the caption block from ~80 % of the height down, the buttons over the right ~13 %
# from ~40 % to ~80 %. Shares of the canvas (x0, y0, x1, y1).
PLATFORM_ZONES: dict[str, tuple[float, float, float, float]] = {
    "the app's caption area (bottom 20 %)": (0.0, 0.80, 1.0, 1.0),
    "the app's button column (right side)": (0.87, 0.40, 1.0, 0.80),
}


def safe_box(width_px: int, height_px: int, share: float = TITLE_SAFE_SHARE) -> Box:
    """The safe area with `share` of each side left out (title safe by default)."""
    mx, my = safe_margins_px(width_px, height_px, share)
    return mx, my, width_px - mx, height_px - my


def platform_zones(width_px: int, height_px: int) -> dict[str, Box]:
    """The canvas boxes a vertical short-video app covers with its own captions and buttons (none for a
    landscape or square canvas)."""
    if height_px <= width_px:
        return {}
    return {what: (round(x0 * width_px), round(y0 * height_px), round(x1 * width_px), round(y1 * height_px))
            for what, (x0, y0, x1, y1) in PLATFORM_ZONES.items()}


def lower_third_room_px(template: Template) -> int:
    """How wide the lower third may be: up to the title-safe right edge (a long name is set smaller, then cut)."""
    lt = template.spec.lower_third
    assert lt is not None
    return max(1, safe_box(template.width_px, template.height_px)[2] - lt.x_px)


def layer_boxes(template: Template, values: Mapping[str, str] | None = None) -> dict[str, Box]:
    """The canvas box of every text layer, drawn with `values` (default: the template's own fields)."""
    with font_file(template.spec.font):  # measured in the font the render draws with
        return _layer_boxes(template, values)


def _layer_boxes(template: Template, values: Mapping[str, str] | None) -> dict[str, Box]:
    spec, W, H = template.spec, template.width_px, template.height_px
    values = dict(values) if values is not None else template.resolve_fields()
    fill = lambda text: template.fill(text, values)  # noqa: E731
    boxes: dict[str, Box] = {}

    def drawn(name: str, draw) -> None:
        layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        draw(layer)
        bbox = layer.getchannel("A").point(lambda a: 255 if a > 16 else 0).getbbox()
        if bbox is not None:
            boxes[name] = bbox

    if spec.headline is not None:
        hb = dataclasses.replace(spec.headline, bleed=False)
        drawn("headline", lambda im: _draw_headline(im, hb, fill(hb.text), headline_label(hb, values)))
    for name in ("ticker", "slides"):
        b = getattr(spec, name)
        if b is not None and (name != "ticker" or fill(b.text).strip()):
            boxes[name] = (b.x_px, b.y_px, min(W, b.x_px + b.width_px), min(H, b.y_px + b.height_px))
    lt = spec.lower_third
    if lt is not None and values.get("name"):
        strap = render_lower_third(lt, fill(lt.name), fill(lt.title), lower_third_room_px(template))
        boxes["lower_third"] = (lt.x_px, lt.y_px, min(W, lt.x_px + strap.shape[1]), min(H, lt.y_px + strap.shape[0]))
    if spec.logo is not None:
        drawn("logo", lambda im: _draw_logo(im, spec.logo, fill(spec.logo.text), fill(spec.logo.subtext)))
    if spec.date is not None:
        drawn("date", lambda im: _draw_date(im, spec.date, fill(spec.date.text)))
    drawn("ai_label", lambda im: _draw_ai_label(im, spec.ai_label))
    for i, shape in enumerate(spec.background.shapes):
        if isinstance(shape, TextShape):
            drawn(f"background.shapes.{i} ({shape.text!r})", lambda im, s=shape: _draw_shape(im, s, values))
    boxes["subtitles"] = subtitle_box(template)
    return boxes


def subtitle_box(template: Template) -> Box:
    """The canvas box of the largest subtitle: max_lines lines of max_chars CJK characters."""
    st, W, H = template.spec.subtitles, template.width_px, template.height_px
    rgba = render_subtitle("\n".join(["国" * st.max_chars] * st.max_lines), st, subtitle_line_px(W, st))
    ys, xs = np.nonzero(rgba[..., 3] > 16)  # the drawn pixels: outline, shadow and box, not the blur margin
    h, w = rgba.shape[:2]
    if not len(xs):  # a font that draws nothing for 国: the whole subtitle image
        ys, xs = np.array([0, h - 1]), np.array([0, w - 1])
    x = (W - w) // 2
    y = st.center_y_px - h // 2 if st.center_y_px is not None else H - st.bottom_margin_px - h
    return x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1


def overlaps(template: Template, boxes: Mapping[str, Box] | None = None) -> list[str]:
    """A problem per pair of text layers that cover each other, naming both, by how much, and the fix."""
    out = []
    for (a, p), (b, q) in itertools.combinations(sorted((boxes or layer_boxes(template)).items()), 2):
        dx, dy = min(p[2], q[2]) - max(p[0], q[0]), min(p[3], q[3]) - max(p[1], q[1])
        if dx > 0 and dy > 0:
            out.append(f"template '{template.name}' at {template.width_px}x{template.height_px}: {a} {list(p)} and "
                       f"{b} {list(q)} overlap by {dy} px rows x {dx} px; fix: move {a} or {b} {dy} px apart (or "
                       "make one smaller; a subtitle is measured as max_lines lines of max_chars characters)")
    return out


def unsafe(template: Template, boxes: Mapping[str, Box] | None = None) -> list[str]:
    """A problem per text layer outside the title-safe area, or (vertical) in an app's caption/button zone."""
    W, H = template.width_px, template.height_px
    sx0, sy0, sx1, sy1 = safe = safe_box(W, H)
    zones = platform_zones(W, H)
    out = []
    for name, (x0, y0, x1, y1) in sorted((boxes or layer_boxes(template)).items()):
        if x0 < sx0 or y0 < sy0 or x1 > sx1 or y1 > sy1:
            out.append(f"template '{template.name}' at {W}x{H}: {name} {[x0, y0, x1, y1]} is outside the title-safe "
                       f"area {list(safe)} (EBU R 95: {TITLE_SAFE_SHARE:.0%} in from each edge); fix: move it "
                       f"{max(sx0 - x0, sy0 - y0, x1 - sx1, y1 - sy1)} px in (or make it smaller)")
        for what, (zx0, zy0, zx1, zy1) in zones.items():
            if min(x1, zx1) > max(x0, zx0) and min(y1, zy1) > max(y0, zy0):
                out.append(f"template '{template.name}' at {W}x{H}: {name} {[x0, y0, x1, y1]} is under {what} "
                           f"{[zx0, zy0, zx1, zy1]}, where Douyin/TikTok draw over the video; fix: move it out "
                           "(subtitles: center_y_px higher up, or a smaller font_size_px/max_chars)")
    return out


def layout_problems(template: Template) -> list[str]:
    """Every overlap and every unsafe text layer of `template` at its own size (see overlaps, unsafe)."""
    boxes = layer_boxes(template)
    return overlaps(template, boxes) + unsafe(template, boxes)


def supported_sizes(template: Template) -> list[Template]:
    """The template at each size a render offers (the short side at SUPPORTED_SHORT_SIDES_PX, as far as the
    template's own size allows): what `templates check` and the layout tests go through."""
    short = min(template.width_px, template.height_px)
    heights = sorted({template.height_px * s // short // 2 * 2 for s in SUPPORTED_SHORT_SIDES_PX if s <= short},
                     reverse=True)
    return [template.at_height(h) for h in heights if h >= MIN_HEIGHT_PX]


def check_overlaps(template: Template) -> None:
    """TemplateError naming both layers and the fix when two text layers cover each other."""
    problems = overlaps(template)
    if problems:
        raise TemplateError("text layers overlap:\n" + "\n".join(problems))


GUIDE_COLORS = {"title": (255, 214, 0), "action": (0, 220, 255), "zone": (255, 60, 60)}


def draw_guides(frame: np.ndarray) -> np.ndarray:
    """A copy of `frame` with the title-safe (yellow) and action-safe (cyan) rectangles, labelled, and on a
    vertical canvas the apps' caption and button zones (red, shaded): what `templates preview --guides` shows."""
    H, W = frame.shape[:2]
    img = Image.fromarray(frame).convert("RGBA")
    over = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    line = max(2, H // 360)
    zones = platform_zones(W, H)
    for x0, y0, x1, y1 in zones.values():
        d.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(*GUIDE_COLORS["zone"], 70), outline=(*GUIDE_COLORS["zone"], 255),
                    width=line)
    legend = []
    for name, share in (("action", ACTION_SAFE_SHARE), ("title", TITLE_SAFE_SHARE)):
        x0, y0, x1, y1 = safe_box(W, H, share)
        d.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(*GUIDE_COLORS[name], 255), width=line)
        legend.append((f"{name} safe {1 - 2 * share:.0%}", GUIDE_COLORS[name]))
    if zones:
        legend.append(("app captions/buttons", GUIDE_COLORS["zone"]))
    # the legend in the strip above action safe, where no template draws
    size = max(10, round(min(W, H) * 0.024))
    font = load_font(size, "Bold")
    x = safe_box(W, H, ACTION_SAFE_SHARE)[0]
    y = max(1, (safe_box(W, H, ACTION_SAFE_SHARE)[1] - size) // 2)
    for text, color in legend:
        d.rectangle((x, y + size // 4, x + size // 2, y + size * 3 // 4), fill=(*color, 255))
        x += size
        d.text((x, y), text, font=font, fill=(*color, 255), anchor="lt", stroke_width=2, stroke_fill=(0, 0, 0, 255))
        x += int(font.getlength(text)) + size
    return np.asarray(Image.alpha_composite(img, over).convert("RGB"))
