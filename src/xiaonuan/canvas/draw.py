"""Drawing primitives, run once per template or story (never per frame): shapes with soft edges, the
background, text fitted to a width, the static straps (presenter panel, headline, logo, date, AI label,
lower third). They return PIL images or RGBA arrays; canvas/blend.py blends them per frame.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from xiaonuan.fonts import load_font
from xiaonuan.subtitles import _tokenize
from xiaonuan.template_spec import AiLabel, Background, BoxShape, DateStyle, GlobeShape, GridShape, HeadlineBar, Logo, LowerThird, PolygonShape, PresenterBox, TextShape
from xiaonuan.types import RGBA

MIN_FIT_FONT_PX = 16  # text that does not fit is shrunk down to this size, then ellipsised
ELLIPSIS = "…"
BLUR_MARGIN = 3  # a Gaussian blur spreads about this many radii; shape layers get that margin


def _rgba(color: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return tuple(int(c) for c in color)  # type: ignore[return-value]


def _composite_shape(canvas: Image.Image, bbox: tuple[int, int, int, int], blur_px: int,
                     draw: Callable[[ImageDraw.ImageDraw, int, int], None]) -> None:
    """Draw a shape on its own small layer (bbox grown for the blur), blur it, composite it."""
    margin = blur_px * BLUR_MARGIN
    x0, y0 = max(bbox[0] - margin, 0), max(bbox[1] - margin, 0)
    x1, y1 = min(bbox[2] + margin, canvas.width), min(bbox[3] + margin, canvas.height)
    if x1 <= x0 or y1 <= y0:
        return
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    draw(ImageDraw.Draw(layer), -x0, -y0)
    if blur_px:
        layer = layer.filter(ImageFilter.GaussianBlur(blur_px))
    canvas.alpha_composite(layer, dest=(x0, y0))


def _draw_shape(canvas: Image.Image, shape: object, values: Mapping[str, str]) -> None:
    if isinstance(shape, TextShape):
        text, font = shape.text.format_map(values), load_font(shape.font_size_px, shape.weight)
        l, t, r, b = font.getbbox(text, anchor=shape.anchor)
        # its own layer: drawing straight onto the RGBA canvas would overwrite alpha, not blend
        _composite_shape(canvas, (shape.x_px + l, shape.y_px + t, shape.x_px + r + 1, shape.y_px + b + 1), 0,
                         lambda d, ox, oy: d.text((shape.x_px + ox, shape.y_px + oy), text, font=font,
                                                  fill=_rgba(shape.color), anchor=shape.anchor))
    elif isinstance(shape, BoxShape):
        box = (shape.x_px, shape.y_px, shape.x_px + shape.width_px, shape.y_px + shape.height_px)

        def draw(d: ImageDraw.ImageDraw, ox: int, oy: int) -> None:
            xy = (box[0] + ox, box[1] + oy, box[2] + ox - 1, box[3] + oy - 1)
            fill = None if shape.outline_px else _rgba(shape.color)
            outline = _rgba(shape.color) if shape.outline_px else None
            if shape.kind == "ellipse":
                d.ellipse(xy, fill=fill, outline=outline, width=shape.outline_px or 1)
            else:
                d.rounded_rectangle(xy, radius=shape.radius_px, fill=fill, outline=outline,
                                    width=shape.outline_px or 1)
        _composite_shape(canvas, box, shape.blur_px, draw)
    elif isinstance(shape, PolygonShape):
        xs, ys = [p[0] for p in shape.points], [p[1] for p in shape.points]
        _composite_shape(canvas, (min(xs), min(ys), max(xs) + 1, max(ys) + 1), shape.blur_px,
                         lambda d, ox, oy: d.polygon([(x + ox, y + oy) for x, y in shape.points],
                                                     fill=_rgba(shape.color)))
    elif isinstance(shape, GlobeShape):
        cx, cy, r = shape.x_px, shape.y_px, shape.radius_px

        def draw_globe(d: ImageDraw.ImageDraw, ox: int, oy: int) -> None:
            col, w = _rgba(shape.color), shape.outline_px
            for k in range(shape.meridians):
                half = r * abs(np.cos(np.pi * k / shape.meridians))
                d.ellipse((cx - half + ox, cy - r + oy, cx + half + ox, cy + r + oy), outline=col, width=w)
            for k in range(1, shape.parallels + 1):
                y = -r + 2 * r * k / (shape.parallels + 1)
                half = (r * r - y * y) ** 0.5
                d.line((cx - half + ox, cy + y + oy, cx + half + ox, cy + y + oy), fill=col, width=w)
        _composite_shape(canvas, (cx - r - 2, cy - r - 2, cx + r + 3, cy + r + 3), shape.blur_px, draw_globe)
    elif isinstance(shape, GridShape):
        def draw_grid(d: ImageDraw.ImageDraw, ox: int, oy: int) -> None:
            col = _rgba(shape.color)
            x0, y0 = shape.x_px + ox, shape.y_px + oy
            for x in range(0, shape.width_px + 1, shape.spacing_px):
                d.line((x0 + x, y0, x0 + x, y0 + shape.height_px), fill=col, width=shape.line_px)
            for y in range(0, shape.height_px + 1, shape.spacing_px):
                d.line((x0, y0 + y, x0 + shape.width_px, y0 + y), fill=col, width=shape.line_px)
        _composite_shape(canvas, (shape.x_px, shape.y_px, shape.x_px + shape.width_px + 1,
                                  shape.y_px + shape.height_px + 1), 0, draw_grid)


def render_background(bg: Background, width_px: int, height_px: int,
                      values: Mapping[str, str] | None = None) -> Image.Image:
    """Gradient, optional image (cover-scaled), then the decorative shapes, as an RGBA image. With a
    background video the gradient is only a tint (alpha 1 - video_opacity): the clip shows through
    where nothing else is drawn (see Backdrop)."""
    top = np.array(bg.top_color, np.float32)
    bottom = np.array(bg.bottom_color or bg.top_color, np.float32)
    ys = np.linspace(0.0, 1.0, height_px, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width_px, dtype=np.float32)[None, :]
    if bg.gradient == "horizontal":
        t = np.broadcast_to(xs, (height_px, width_px))
    elif bg.gradient == "diagonal":
        t = (ys + xs) / 2
    elif bg.gradient == "radial":
        t = np.clip(np.hypot((xs - 0.5) * width_px, (ys - 0.45) * height_px) / (0.75 * max(width_px, height_px)), 0, 1)
    else:
        t = np.broadcast_to(ys, (height_px, width_px))
    t = t[..., None]
    if bg.video is not None:
        top[3] *= 1.0 - bg.video_opacity
        bottom[3] *= 1.0 - bg.video_opacity
    canvas = Image.fromarray(np.ascontiguousarray((top * (1 - t) + bottom * t + 0.5).astype(np.uint8)), "RGBA")
    if bg.image is not None:
        img = _cover(Image.open(bg.image).convert("RGBA"), width_px, height_px)
        if bg.image_opacity < 1:
            img.putalpha(img.getchannel("A").point(lambda a: int(a * bg.image_opacity)))
        canvas.alpha_composite(img)
    for shape in bg.shapes:
        _draw_shape(canvas, shape, values or {})
    return canvas


def _cover(img: Image.Image, width_px: int, height_px: int) -> Image.Image:
    scale = max(width_px / img.width, height_px / img.height)
    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    img = img.resize((w, h), Image.LANCZOS)
    x, y = (w - width_px) // 2, (h - height_px) // 2
    return img.crop((x, y, x + width_px, y + height_px))


def fit_font(text: str, size_px: int, weight: str, max_width_px: int) -> tuple[ImageFont.FreeTypeFont, str]:
    """The largest font ≤ size_px (down to MIN_FIT_FONT_PX) that fits `text` in max_width_px;
    if even that is too wide, the text is cut and ends with '…'."""
    size = size_px
    while True:
        font = load_font(size, weight)
        if font.getlength(text) <= max_width_px or size <= MIN_FIT_FONT_PX:
            break
        size = max(MIN_FIT_FONT_PX, int(size * 0.92))
    while text and font.getlength(text) > max_width_px:
        text = text[:-2] + ELLIPSIS if len(text) > 1 else ""
    return font, text


def _draw_presenter_panel(below: Image.Image, box: PresenterBox) -> None:
    x0, y0, x1, y1 = box.x_px, box.y_px, box.x_px + box.width_px, box.y_px + box.height_px
    bw = box.border.width_px if box.border else 0
    circle = box.style == "circle"

    def shape(d: ImageDraw.ImageDraw, xy: tuple, radius: int, fill: tuple) -> None:
        if circle:
            d.ellipse(xy, fill=fill)
        else:
            d.rounded_rectangle(xy, radius=radius, fill=fill)

    if box.shadow:
        s = box.shadow
        sx, sy = s.offset_px
        _composite_shape(below, (x0 - bw + sx, y0 - bw + sy, x1 + bw + sx, y1 + bw + sy), s.blur_px,
                         lambda d, ox, oy: shape(
                             d, (x0 - bw + sx + ox, y0 - bw + sy + oy, x1 + bw + sx + ox - 1, y1 + bw + sy + oy - 1),
                             box.corner_radius_px + bw, _rgba(s.color)))
    layer = Image.new("RGBA", below.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    if box.border:
        shape(d, (x0 - bw, y0 - bw, x1 + bw - 1, y1 + bw - 1), box.corner_radius_px + bw, _rgba(box.border.color))
    shape(d, (x0, y0, x1 - 1, y1 - 1), box.corner_radius_px, _rgba(box.fill_color))
    below.alpha_composite(layer)


def headline_label(hb: HeadlineBar, values: Mapping[str, str]) -> str:
    """The strap's label for these values: `single_label` when the video has one story (and the template
    gives one), else `label`; placeholders filled in."""
    single = hb.single_label is not None and values.get("story_count", "1") == "1"
    return (hb.single_label if single else hb.label).format_map(values)  # type: ignore[union-attr]


def _draw_headline(layer: Image.Image, hb: HeadlineBar, text: str, label: str) -> None:
    d = ImageDraw.Draw(layer)
    x0, y0, x1, y1 = hb.x_px, hb.y_px, hb.x_px + hb.width_px, hb.y_px + hb.height_px
    cy = (y0 + y1) // 2
    if hb.bleed:  # the colours run on to the canvas sides; the text stays in the box
        left = hb.label_color if hb.label_width_px else hb.bar_color
        if x0 > 0:
            d.rectangle((0, y0, x0 - 1, y1 - 1), fill=_rgba(left))
        d.rectangle((x1, y0, layer.width - 1, y1 - 1), fill=_rgba(hb.bar_color))
        if hb.accent_color is not None and hb.accent_px:
            d.rectangle((0, y0, layer.width - 1, y0 + hb.accent_px - 1), fill=_rgba(hb.accent_color))
    d.rectangle((x0, y0, x1 - 1, y1 - 1), fill=_rgba(hb.bar_color))
    text_x = x0
    if hb.label_width_px:
        lx1 = x0 + hb.label_width_px
        d.rectangle((x0, y0, lx1 - 1, y1 - 1), fill=_rgba(hb.label_color))
        if label:
            font, label = fit_font(label, hb.label_font_size_px, hb.weight, hb.label_width_px - 16)
            d.text(((x0 + lx1) // 2, cy), label, font=font, fill=_rgba(hb.label_text_color), anchor="mm")
        text_x = lx1
    if hb.accent_color is not None and hb.accent_px:
        d.rectangle((x0, y0, x1 - 1, y0 + hb.accent_px - 1), fill=_rgba(hb.accent_color))
    pad = hb.height_px // 3
    font, text = fit_font(text, hb.font_size_px, hb.weight, x1 - text_x - 2 * pad)
    d.text((text_x + pad, cy + hb.accent_px // 2), text, font=font, fill=_rgba(hb.text_color), anchor="lm")


def _draw_logo(layer: Image.Image, logo: Logo, text: str, subtext: str) -> None:
    parts: list[Image.Image] = []
    h = logo.height_px
    if logo.image is not None:
        img = Image.open(logo.image).convert("RGBA")
        parts.append(img.resize((max(1, round(img.width * h / img.height)), h), Image.LANCZOS))
    if text or subtext:
        font = load_font(logo.font_size_px, "Black")
        sub_font = load_font(logo.subtext_font_size_px, "Bold")
        tw = int(max(font.getlength(text) if text else 0, sub_font.getlength(subtext) if subtext else 0))
        block = Image.new("RGBA", (tw + 2 * logo.padding_px, h), (0, 0, 0, 0))
        d = ImageDraw.Draw(block)
        if logo.bg_color is not None:
            d.rectangle((0, 0, block.width - 1, h - 1), fill=_rgba(logo.bg_color))
        cx = block.width // 2
        if text and subtext:
            d.text((cx, int(h * 0.40)), text, font=font, fill=_rgba(logo.text_color), anchor="mm")
            d.text((cx, int(h * 0.80)), subtext, font=sub_font, fill=_rgba(logo.text_color), anchor="mm")
        else:
            d.text((cx, h // 2), text or subtext, font=font if text else sub_font,
                   fill=_rgba(logo.text_color), anchor="mm")
        parts.append(block)
    x = logo.x_px
    for part in parts:
        if logo.opacity < 1:
            part.putalpha(part.getchannel("A").point(lambda a: int(a * logo.opacity)))
        layer.alpha_composite(part, dest=(x, logo.y_px))
        x += part.width


def _draw_date(layer: Image.Image, ds: DateStyle, text: str) -> None:
    d = ImageDraw.Draw(layer)
    d.text((ds.x_px, ds.y_px), text, font=load_font(ds.font_size_px, ds.weight), fill=_rgba(ds.color),
           anchor="rt" if ds.anchor == "right" else "lt")


def _draw_ai_label(layer: Image.Image, ai: AiLabel) -> None:
    font = load_font(ai.font_size_px, "Medium")
    left, top, right, bottom = font.getbbox(ai.text, anchor="lt")
    w, h = right + 2 * ai.padding_px, bottom + 2 * ai.padding_px
    mx, my = ai.margin_px
    x = mx if ai.position.endswith("left") else layer.width - mx - w
    y = my if ai.position.startswith("top") else layer.height - my - h
    d = ImageDraw.Draw(layer)
    if ai.bg_color is not None:
        d.rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=h // 4, fill=_rgba(ai.bg_color))
    d.text((x + ai.padding_px, y + ai.padding_px), ai.text, font=font, fill=_rgba(ai.color), anchor="lt")


def render_lower_third(lt: LowerThird, name: str, title: str, max_width_px: int | None = None) -> RGBA:
    """The name/title strap as an RGBA array (top-left at the template's x_px, y_px). With `max_width_px` (the
    room to the canvas's right edge) a long name or title is set smaller, then cut with '…', as the headline
    is: it ran off the edge of the frame."""
    pad = lt.padding_px
    room = (max_width_px - lt.accent_px - 2 * pad) if max_width_px else 10**6
    name_font, name = fit_font(name, lt.name_font_size_px, "Bold", room)
    title_font, title = fit_font(title, lt.title_font_size_px, "Medium", room)
    name_h = int(lt.name_font_size_px * 1.5)
    title_h = int(lt.title_font_size_px * 1.6) if title else 0
    w = int(max(lt.min_width_px, name_font.getlength(name) + 2 * pad, title_font.getlength(title) + 2 * pad))
    w = min(w, max_width_px - lt.accent_px) if max_width_px else w
    w += lt.accent_px
    img = Image.new("RGBA", (w, name_h + title_h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    x = lt.accent_px
    d.rectangle((x, 0, w - 1, name_h - 1), fill=_rgba(lt.name_bg_color))
    d.text((x + pad, name_h // 2), name, font=name_font, fill=_rgba(lt.name_color), anchor="lm")
    if title:
        d.rectangle((x, name_h, w - 1, name_h + title_h - 1), fill=_rgba(lt.title_bg_color))
        d.text((x + pad, name_h + title_h // 2), title, font=title_font, fill=_rgba(lt.title_color), anchor="lm")
    if lt.accent_color is not None and lt.accent_px:
        d.rectangle((0, 0, lt.accent_px - 1, img.height - 1), fill=_rgba(lt.accent_color))
    return np.asarray(img)


def ai_label_box(ai: AiLabel, width_px: int, height_px: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the AI label on a canvas of that size."""
    font = load_font(ai.font_size_px, "Medium")
    left, top, right, bottom = font.getbbox(ai.text, anchor="lt")
    w, h = right + 2 * ai.padding_px, bottom + 2 * ai.padding_px
    mx, my = ai.margin_px
    x = mx if ai.position.endswith("left") else width_px - mx - w
    y = my if ai.position.startswith("top") else height_px - my - h
    return x, y, x + w, y + h


def wrap_text(text: str, font, max_width_px: int, max_lines: int) -> list[str]:
    """Lines of `text` no wider than max_width_px, broken between CJK characters or Latin words; the
    last line ends with '…' when text is left over."""
    lines: list[str] = []
    cur = ""
    for tok in _tokenize(text):
        piece = text[tok.start:tok.end]
        if cur and font.getlength(cur + piece) > max_width_px and not tok.is_space:
            lines.append(cur.rstrip())
            cur = piece.lstrip()
        else:
            cur += piece
    if cur.strip():
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + ELLIPSIS) > max_width_px:
            last = last[:-1]
        lines[-1] = last + ELLIPSIS
    return lines
