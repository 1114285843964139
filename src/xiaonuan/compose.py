"""Per-frame composition: presenter frames + a template's layers → canvas frames.

Everything that does not move (background, presenter panel, headline, logo, date, AI label) is
drawn ONCE at init. Per frame the compositor copies that base, pastes the resized presenter,
re-blends the static pieces that sit above the presenter, and blends the lower third and the
subtitle, each only over its own rows, in integer numpy with premultiplied alpha.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import itertools
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from xiaonuan.errors import TemplateError
from xiaonuan.fonts import load_font
from xiaonuan.templates import (
    AiLabel,
    Background,
    BoxShape,
    DateStyle,
    GlobeShape,
    GridShape,
    HeadlineBar,
    Logo,
    LowerThird,
    PolygonShape,
    PresenterBox,
    SubtitleStyle,
    Template,
    TextShape,
    subtitle_line_px,
)
from xiaonuan.layers import draw_slide_panel, draw_ticker_static, layout_slide_items, make_card, make_ticker, make_wipe_band
from xiaonuan.types import RGBA, Frame

if TYPE_CHECKING:
    from xiaonuan.loopvideo import LoopingVideo
    from xiaonuan.program import Program

SUBTITLE_CACHE_SIZE = 64  # distinct subtitle texts kept rendered
MIN_FIT_FONT_PX = 16  # text that does not fit is shrunk down to this size, then ellipsised
ELLIPSIS = "…"
SHADOW_BLUR_PX = 2  # softening of the subtitle drop shadow
BLUR_MARGIN = 3  # a Gaussian blur spreads about this many radii; shape layers get that margin


# ---------------------------------------------------------------- easing (progress 0..1 → 0..1)

def ease_out_cubic(p: float) -> float:
    """Fast start, gentle landing: things arriving."""
    p = min(max(p, 0.0), 1.0)
    return 1.0 - (1.0 - p) ** 3


def ease_in_cubic(p: float) -> float:
    """Gentle start, fast end: things leaving."""
    p = min(max(p, 0.0), 1.0)
    return p ** 3


# ---------------------------------------------------------------- premultiplied overlays

@dataclass(frozen=True, eq=False)
class _Run:
    """A horizontal band of an overlay that has any coverage: rows y0:y1, cols x0:x1 (overlay coords)."""

    y0: int
    y1: int
    x0: int
    x1: int
    premul: np.ndarray  # (h, w, 3) uint16: rgb * alpha + 128 (the 128 rounds the /255)
    inv: np.ndarray  # (h, w, 3) uint16: 255 - alpha
    alpha: np.ndarray  # (h, w, 1) uint16: alpha (for fades)
    rgb: np.ndarray  # (h, w, 3) uint16: straight colour (for fades)


@dataclass(frozen=True, eq=False)
class Overlay:
    """An RGBA image prepared for fast 'over' blending; fully transparent rows are skipped."""

    width_px: int
    height_px: int
    runs: tuple[_Run, ...]

    @classmethod
    def from_rgba(cls, rgba: RGBA) -> "Overlay":
        a = rgba[..., 3]
        rows = np.flatnonzero(a.any(axis=1))
        runs = []
        if rows.size:
            # split into bands of consecutive covered rows
            breaks = np.flatnonzero(np.diff(rows) > 1)
            starts = np.concatenate(([rows[0]], rows[breaks + 1]))
            ends = np.concatenate((rows[breaks] + 1, [rows[-1] + 1]))
            for y0, y1 in zip(starts.tolist(), ends.tolist()):
                cols = np.flatnonzero(a[y0:y1].any(axis=0))
                x0, x1 = int(cols[0]), int(cols[-1]) + 1
                band = rgba[y0:y1, x0:x1].astype(np.uint16)
                alpha = band[..., 3:4]
                runs.append(_Run(y0, y1, x0, x1,
                                 premul=np.ascontiguousarray(band[..., :3] * alpha + 128),
                                 inv=np.ascontiguousarray(np.repeat(255 - alpha, 3, axis=2)),
                                 alpha=np.ascontiguousarray(alpha),
                                 rgb=np.ascontiguousarray(band[..., :3])))
        return cls(rgba.shape[1], rgba.shape[0], tuple(runs))

    def blend_into(self, dst: Frame, x_px: int, y_px: int, opacity: float = 1.0) -> None:
        """Blend over `dst` (RGB, in place) with the overlay's top-left at (x_px, y_px); clipped."""
        H, W = dst.shape[:2]
        q = int(round(min(max(opacity, 0.0), 1.0) * 256))
        if q == 0:
            return
        for r in self.runs:
            dy0, dy1 = y_px + r.y0, y_px + r.y1
            dx0, dx1 = x_px + r.x0, x_px + r.x1
            cy0, cy1, cx0, cx1 = max(dy0, 0), min(dy1, H), max(dx0, 0), min(dx1, W)
            if cy0 >= cy1 or cx0 >= cx1:
                continue
            sy, sx = slice(cy0 - dy0, cy1 - dy0), slice(cx0 - dx0, cx1 - dx0)
            region = dst[cy0:cy1, cx0:cx1]
            if q >= 256:
                premul, inv = r.premul[sy, sx], r.inv[sy, sx]
            else:  # fading: alpha scaled by q/256, colour premultiplied by that same alpha so
                # rgb*a + dst*(255-a) stays ≤ 255*255 and the uint16 sum cannot overflow
                a = (r.alpha[sy, sx] * q) >> 8
                premul = r.rgb[sy, sx] * a + 128
                inv = 255 - a
            acc = region * inv  # uint8 * uint16 → uint16; max 255*255 + 65025 fits
            acc += premul
            acc += acc >> 8
            acc >>= 8  # ≈ round(acc / 255)
            region[...] = acc


# ---------------------------------------------------------------- drawing helpers (init only)

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


def _draw_headline(layer: Image.Image, hb: HeadlineBar, text: str, label: str) -> None:
    d = ImageDraw.Draw(layer)
    x0, y0, x1, y1 = hb.x_px, hb.y_px, hb.x_px + hb.width_px, hb.y_px + hb.height_px
    cy = (y0 + y1) // 2
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


def render_subtitle(text: str, style: SubtitleStyle, max_width_px: int,
                    emphasis: tuple[tuple[int, int], ...] = (), translation: str = "") -> RGBA:
    """Subtitle lines centred, with outline and drop shadow, as a tight RGBA array. `emphasis` spans
    (offsets into `text`, '\n' included) are drawn in the emphasis colour; `translation` is smaller text under
    it (bilingual), wrapped between words onto two even lines when too wide, shrunk only if two do not fit."""
    lines = [ln for ln in text.split("\n") if ln.strip()][: style.max_lines] or [" "]
    offsets, pos = [], 0
    for ln in text.split("\n"):
        offsets.append(pos)
        pos += len(ln) + 1
    line_offsets = [offsets[i] for i, ln in enumerate(text.split("\n")) if ln.strip()][: style.max_lines] or [0]
    font = load_font(style.font_size_px, style.weight)
    tr_font = load_font(style.translation_font_size_px, "Medium")
    widest = max(font.getlength(ln) for ln in lines)
    if widest > max_width_px:  # a long unbreakable word: shrink rather than spill off screen
        font = load_font(max(MIN_FIT_FONT_PX, int(style.font_size_px * max_width_px / widest)), style.weight)
        widest = max(font.getlength(ln) for ln in lines)

    def wrap_translation(words: list[str], f: ImageFont.FreeTypeFont) -> list[str]:
        """The words on one line, or on two cut where the wider of the two is narrowest."""
        if len(words) < 2 or f.getlength(" ".join(words)) <= max_width_px:
            return [" ".join(words)]
        k = min(range(1, len(words)), key=lambda k: max(f.getlength(" ".join(words[:k])),
                                                        f.getlength(" ".join(words[k:]))))
        return [" ".join(words[:k]), " ".join(words[k:])]

    tr_lines: list[str] = []
    if translation.strip():
        words, size = translation.split(), style.translation_font_size_px
        while True:
            tr_font = load_font(size, "Medium")
            tr_lines = wrap_translation(words, tr_font)
            if max(tr_font.getlength(ln) for ln in tr_lines) <= max_width_px or size <= MIN_FIT_FONT_PX:
                break
            size = max(MIN_FIT_FONT_PX, int(size * 0.92))
        if max(tr_font.getlength(ln) for ln in tr_lines) > max_width_px:  # last resort: fill two lines, then '…'
            from xiaonuan.layers import wrap_text

            tr_lines = [fit_font(ln, size, "Medium", max_width_px)[1]
                        for ln in wrap_text(" ".join(words), tr_font, max_width_px, 2)]
        widest = max([widest] + [tr_font.getlength(ln) for ln in tr_lines])
    line_h = int(font.size * style.line_spacing)
    tr_h = int(tr_font.size * style.line_spacing)
    sx, sy = style.shadow_offset_px if style.shadow_color is not None else (0, 0)
    margin = style.outline_px + SHADOW_BLUR_PX * BLUR_MARGIN + max(abs(sx), abs(sy))
    box_pad = font.size // 3 if style.box_color is not None else 0
    w = int(widest) + 2 * (margin + box_pad)
    h = line_h * len(lines) + tr_h * len(tr_lines) + 2 * (margin + box_pad)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    if style.box_color is not None:
        ImageDraw.Draw(img).rounded_rectangle((margin, margin, w - margin - 1, h - margin - 1),
                                              radius=box_pad, fill=_rgba(style.box_color))
    emph = {i for a, b in emphasis for i in range(a, b)} if style.emphasis_color is not None else set()

    def draw_lines(d: ImageDraw.ImageDraw, dx: int, dy: int, fill: tuple, stroke: tuple | None,
                   accent: tuple | None) -> None:
        for i, ln in enumerate(lines):
            cy = margin + box_pad + line_h * i + line_h // 2 + dy
            x = w // 2 + dx - font.getlength(ln) / 2
            sw = style.outline_px if stroke else 0
            if accent is None or not emph:
                d.text((w // 2 + dx, cy), ln, font=font, fill=fill, anchor="mm", stroke_width=sw, stroke_fill=stroke)
                continue
            for run, is_emph in _runs(ln, line_offsets[i], emph):
                d.text((x, cy), run, font=font, fill=accent if is_emph else fill, anchor="lm",
                       stroke_width=sw, stroke_fill=stroke)
                x += font.getlength(run)
        for j, tr in enumerate(tr_lines):
            cy = margin + box_pad + line_h * len(lines) + tr_h * j + tr_h // 2 + dy
            d.text((w // 2 + dx, cy), tr, font=tr_font,
                   fill=fill if accent is None else _rgba(style.translation_color), anchor="mm",
                   stroke_width=max(1, style.outline_px - 1) if stroke else 0, stroke_fill=stroke)

    if style.shadow_color is not None:
        shadow = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        draw_lines(ImageDraw.Draw(shadow), sx, sy, _rgba(style.shadow_color), _rgba(style.shadow_color), None)
        img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(SHADOW_BLUR_PX)))
    text_layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw_lines(ImageDraw.Draw(text_layer), 0, 0, _rgba(style.color),
               _rgba(style.outline_color) if style.outline_px else None,
               _rgba(style.emphasis_color) if style.emphasis_color is not None else _rgba(style.color))
    img.alpha_composite(text_layer)
    return np.asarray(img)


def _runs(line: str, offset: int, emph: set[int]) -> list[tuple[str, bool]]:
    """`line` cut into runs of emphasised / plain characters (offset: the line's start in the cue text)."""
    runs: list[tuple[str, bool]] = []
    for k, ch in enumerate(line):
        e = (offset + k) in emph
        if runs and runs[-1][1] == e:
            runs[-1] = (runs[-1][0] + ch, e)
        else:
            runs.append((ch, e))
    return runs


def ai_label_box(ai: AiLabel, width_px: int, height_px: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the AI label on a canvas of that size."""
    font = load_font(ai.font_size_px, "Medium")
    left, top, right, bottom = font.getbbox(ai.text, anchor="lt")
    w, h = right + 2 * ai.padding_px, bottom + 2 * ai.padding_px
    mx, my = ai.margin_px
    x = mx if ai.position.endswith("left") else width_px - mx - w
    y = my if ai.position.startswith("top") else height_px - my - h
    return x, y, x + w, y + h


# ---------------------------------------------------------------- the compositor

@dataclass(frozen=True)
class _Placement:
    """How one presenter frame maps into the box: source crop, resized size, offset in the canvas."""

    src_y: slice
    src_x: slice
    width_px: int
    height_px: int
    x_px: int
    y_px: int


def _placement(box: PresenterBox, src_w: int, src_h: int) -> _Placement:
    if box.fit == "stretch":
        return _Placement(slice(0, src_h), slice(0, src_w), box.width_px, box.height_px, box.x_px, box.y_px)
    if box.fit == "cover":
        scale = max(box.width_px / src_w, box.height_px / src_h)
        cw, ch = min(src_w, round(box.width_px / scale)), min(src_h, round(box.height_px / scale))
        cx = (src_w - cw) // 2
        cy = max(0, (src_h - ch) // 4)  # keep more headroom than footroom: crop mostly from the bottom
        return _Placement(slice(cy, cy + ch), slice(cx, cx + cw), box.width_px, box.height_px, box.x_px, box.y_px)
    scale = min(box.width_px / src_w, box.height_px / src_h)  # contain
    w, h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    return _Placement(slice(0, src_h), slice(0, src_w), w, h,
                      box.x_px + (box.width_px - w) // 2, box.y_px + (box.height_px - h) // 2)


def edge_fade(width_px: int, height_px: int, fade_px: int) -> np.ndarray | None:
    """(height, width) uint8 alpha ramp: 0 at the left, right and bottom edges, rising smoothly
    (smoothstep) to 255 at fade_px inside them; the top is left alone (the head). None for fade_px 0."""
    if fade_px <= 0:
        return None

    def ramp(n: int) -> np.ndarray:
        d = np.minimum(np.arange(n, dtype=np.float32) + 0.5, n - np.arange(n, dtype=np.float32) - 0.5)
        t = np.clip(d / fade_px, 0.0, 1.0)
        return t * t * (3 - 2 * t)

    x = ramp(width_px)[None, :]
    y = np.clip((height_px - np.arange(height_px, dtype=np.float32) - 0.5) / fade_px, 0.0, 1.0)[:, None]
    y = y * y * (3 - 2 * y)
    return np.ascontiguousarray(np.round(x * y * 255).astype(np.uint8))


@dataclass(frozen=True, eq=False)
class Backdrop:
    """What a scene shows under its moving layers: a static frame drawn once, or, with a background
    video, the clip's current frame with the static layers (pre-rendered once, premultiplied) over it."""

    base: Frame | None  # (H, W, 3) uint8, the static frame; None with a video
    video: "LoopingVideo | None" = None
    premul: np.ndarray | None = None  # (H, W, 3) uint8: the static layers' rgb * alpha / 255
    inv: np.ndarray | None = None  # (H, W, 3) uint8: 255 - their alpha

    @classmethod
    def from_rgba(cls, rgba: RGBA, video: "LoopingVideo | None") -> "Backdrop":
        if video is None:
            return cls(np.ascontiguousarray(rgba[..., :3]))
        a = rgba[..., 3:4].astype(np.uint16)
        premul = ((rgba[..., :3] * a + 127) // 255).astype(np.uint8)
        return cls(None, video, premul, np.ascontiguousarray(np.repeat(255 - rgba[..., 3:4], 3, axis=2)))

    def draw(self, canvas: Frame, frame_index: int) -> None:
        """Write the backdrop of program frame `frame_index` into `canvas` (the frame's one full copy)."""
        if self.video is None:
            np.copyto(canvas, self.base)
            return
        cv2.multiply(self.video.frame(frame_index), self.inv, dst=canvas, scale=1 / 255)  # SIMD, ≈1 ms at 1080p
        cv2.add(canvas, self.premul, dst=canvas)


@dataclass(frozen=True, eq=False)
class _StoryLayers:
    """What one story looks like when nothing moves: the backdrop, what goes over the presenter
    inside its box, the lower third and the slide items."""

    backdrop: Backdrop
    box_overlay: Overlay
    lower: Overlay | None
    items: tuple[tuple[float, str, int, int, Overlay], ...]  # (start_s, kind, x, y, overlay)


class Compositor:
    """Composes presenter frames onto a template's canvas (see module docstring).

    `program` (optional) gives the running order: intro card, stories (each with its own headline,
    lower third and slide items), outro card; without one the whole video is one story. `t_s` is
    program time. `frame()` returns the SAME preallocated buffer every call: use or copy it before
    the next call (VideoWriter.write copies it), and do not modify it.
    """

    def __init__(self, template: Template, fields: Mapping[str, str | None] | None = None,
                 presenter_size: tuple[int, int] = (720, 720), program: "Program | None" = None) -> None:
        from xiaonuan.program import single_story

        spec = template.spec
        self.template = template
        self.fps = template.fps
        self.width_px, self.height_px = W, H = template.width_px, template.height_px
        self.values = values = template.resolve_fields(fields)
        self.program = program or single_story(1e9, values["headline"])
        box = spec.presenter
        if box.x_px + box.width_px > W or box.y_px + box.height_px > H:
            raise TemplateError(f"template '{template.name}': presenter box {box.width_px}x{box.height_px} at "
                                f"({box.x_px}, {box.y_px}) does not fit the {W}x{H} canvas; fix its position or size")
        self._box = box
        self._below = render_background(spec.background, W, H, values)
        if box.style != "matte":
            _draw_presenter_panel(self._below, box)
        # static layers shared by every story: logo, date, ticker band
        self._common = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        if spec.logo is not None:
            _draw_logo(self._common, spec.logo, template.fill(spec.logo.text, values),
                       template.fill(spec.logo.subtext, values))
        if spec.date is not None:
            _draw_date(self._common, spec.date, template.fill(spec.date.text, values))
        self._ticker = None
        if spec.ticker is not None:
            text = template.fill(spec.ticker.text, values)
            if text.strip():
                draw_ticker_static(self._common, spec.ticker, template.fill(spec.ticker.label, values))
                self._ticker = make_ticker(spec.ticker, text)
        ai = spec.ai_label
        label = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        _draw_ai_label(label, ai)
        x0, y0, x1, y1 = ai_label_box(ai, W, H)
        self._label_xy = (max(x0, 0), max(y0, 0))
        self._label = Overlay.from_rgba(np.asarray(label)[self._label_xy[1]:y1, self._label_xy[0]:x1])
        self._mask = self._box_mask()
        self._stories: dict[int, _StoryLayers] = {}
        self._cards: dict[str, object] = {}
        self._videos: dict[object, "LoopingVideo"] = {}  # background clip → its looping reader
        self._wipe = None
        if spec.transition is not None and spec.transition.kind == "wipe":
            band, self._wipe_slant = make_wipe_band(spec.transition, H)
            self._wipe = Overlay.from_rgba(band)
        self._lower = spec.lower_third
        self._sub_style = spec.subtitles
        self._sub_cache: OrderedDict[tuple, Overlay] = OrderedDict()
        self._canvas: Frame = np.empty((H, W, 3), np.uint8)
        self._alt: Frame = np.empty((H, W, 3), np.uint8)
        self._presenter_size = (0, 0)
        self.kept: Frame | None = None
        self.warnings: list[str] = []  # what the template could not show (the render reports them)
        self.set_presenter_size(presenter_size)
        self._story(0)

    # ------------------------------------------------------------ static, per story (drawn once)

    def _box_mask(self) -> np.ndarray:
        """Presenter visibility inside its box (L, 0..255): rounded rect, circle or soft oval."""
        box = self._box
        bw, bh = box.width_px, box.height_px
        mask = Image.new("L", (bw, bh), 0)
        d = ImageDraw.Draw(mask)
        if box.style == "circle":
            d.ellipse((0, 0, bw - 1, bh - 1), fill=255)
        elif box.style == "matte":  # no matte from the avatar: a feathered oval cut-out
            d.ellipse((bw * 0.1, bh * 0.04, bw * 0.9, bh * 1.45), fill=255)
            mask = mask.filter(ImageFilter.GaussianBlur(max(bw, bh) // 14))
        else:
            d.rounded_rectangle((0, 0, bw - 1, bh - 1), radius=box.corner_radius_px, fill=255)
        return np.asarray(mask)

    def _story_values(self, k: int) -> dict[str, str]:
        st = self.program.stories[k] if k < len(self.program.stories) else None
        v = dict(self.values)
        if st is not None:
            v.update({key: val for key, val in st.fields.items() if val})
            if st.headline:
                v["headline"] = st.headline
        v["story_no"], v["story_count"] = str(k + 1), str(max(1, len(self.program.stories)))
        return v

    def _story(self, k: int) -> _StoryLayers:
        layers = self._stories.get(k)
        if layers is not None:
            return layers
        spec, tpl, W, H = self.template.spec, self.template, self.width_px, self.height_px
        values = self._story_values(k)
        above = self._common.copy()
        items: list[tuple[float, str, int, int, Overlay]] = []
        if spec.slides is not None:
            panel = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            items_y = draw_slide_panel(panel, spec.slides, values["headline"])
            panel.alpha_composite(above)
            above = panel
            cues = self.program.stories[k].slides if k < len(self.program.stories) else ()
            placed = layout_slide_items(spec.slides, items_y, cues)
            for it in placed:
                items.append((it.start_s, it.kind, it.x_px, it.y_px, Overlay.from_rgba(it.rgba)))
            wanted = sum(1 for c in cues if c.kind == "bullet" or c.image is not None)
            if len(placed) < wanted:  # the panel is full: say so rather than leave them out unseen
                self.warnings.append(f"story {k + 1} ({values['headline']!r}): {wanted - len(placed)} of its {wanted} "
                                     "slide items do not fit the slide panel and are not shown; split the story, "
                                     "or use fewer bullets and pictures")
        if spec.headline is not None:
            _draw_headline(above, spec.headline, tpl.fill(spec.headline.text, values),
                           tpl.fill(spec.headline.label, values))
        below = self._below
        video = self._video(spec.background)
        backdrop = Backdrop.from_rgba(np.asarray(Image.alpha_composite(below, above)), video)
        box = self._box
        bx, by, bw, bh = box.x_px, box.y_px, box.width_px, box.height_px
        box_over = below.crop((bx, by, bx + bw, by + bh))
        if box.style == "matte" or video is not None:  # a video shows in the corners: see _paste_presenter
            box_over.putalpha(0)
        else:
            box_over.putalpha(Image.fromarray(255 - self._mask))
        box_over.alpha_composite(above.crop((bx, by, bx + bw, by + bh)))
        lower = None
        if spec.lower_third is not None and values["name"]:
            lt = spec.lower_third  # the strap ends a padding short of the canvas's right edge
            lower = Overlay.from_rgba(render_lower_third(lt, tpl.fill(lt.name, values), tpl.fill(lt.title, values),
                                                         self.width_px - lt.x_px - lt.padding_px))
        layers = _StoryLayers(backdrop, Overlay.from_rgba(np.asarray(box_over)), lower, tuple(items))
        self._stories[k] = layers
        return layers

    def _card(self, which: str):
        card = self._cards.get(which)
        if card is None:
            spec = getattr(self.template.spec, which)
            logo = None
            if self.template.spec.logo is not None:
                logo = Image.new("RGBA", (self.width_px, self.height_px), (0, 0, 0, 0))
                _draw_logo(logo, self.template.spec.logo, self.template.fill(self.template.spec.logo.text,
                                                                             self.values),
                           self.template.fill(self.template.spec.logo.subtext, self.values))
            heads = [s.headline for s in self.program.stories if s.headline]
            card = make_card(spec, (self.width_px, self.height_px), self.values, heads, logo)
            tx, ty, title = card.title
            card = (Backdrop.from_rgba(card.base, self._video(spec.background)), (tx, ty, Overlay.from_rgba(title)),
                    tuple((x, y, Overlay.from_rgba(a), d) for x, y, a, d in card.rest))
            self._cards[which] = card
        return card

    @property
    def base(self) -> Frame:
        """The static layers of the first story (read-only), e.g. for a preview image; over the
        background video's first frame when the template has one (see backdrop_at)."""
        v = self.backdrop_at(0.0)
        v.flags.writeable = False
        return v

    def backdrop_at(self, t_s: float, story: int = 0) -> Frame:
        """A story's static layers as they look at program time t_s, without presenter or moving layers."""
        out = np.empty((self.height_px, self.width_px, 3), np.uint8)
        self._story(story).backdrop.draw(out, round(t_s * self.fps))
        return out

    def _video(self, bg: Background) -> "LoopingVideo | None":
        """The looping reader of a background's video, one per clip (stories and cards share it)."""
        if bg.video is None:
            return None
        reader = self._videos.get(bg.video)
        if reader is None:
            from xiaonuan.loopvideo import LoopingVideo

            reader = LoopingVideo(bg.video, (self.width_px, self.height_px), self.fps, bg.video_loop_fade_s)
            self._videos[bg.video] = reader
        return reader

    def close(self) -> None:
        """Stop the background video decoders (stream() does it when it ends)."""
        for reader in self._videos.values():
            reader.close()
        self._videos.clear()

    def set_presenter_size(self, presenter_size: tuple[int, int]) -> None:
        """Prepare the crop/resize geometry and buffers for presenter frames of (width, height)."""
        w, h = presenter_size
        self._presenter_size = (w, h)
        c = self._box.crop
        cx0, cy0 = int(round(c[0] * w)), int(round(c[1] * h))
        cw, ch = max(1, int(round(c[2] * w)) - cx0), max(1, int(round(c[3] * h)) - cy0)
        p = _placement(self._box, cw, ch)
        self._place = _Placement(slice(p.src_y.start + cy0, p.src_y.stop + cy0),
                                 slice(p.src_x.start + cx0, p.src_x.stop + cx0),
                                 p.width_px, p.height_px, p.x_px, p.y_px)
        self._resized: Frame = np.empty((p.height_px, p.width_px, 3), np.uint8)
        self._matte_resized = np.empty((p.height_px, p.width_px), np.uint8)
        # a round or rounded box over a background video: pasted through its mask, as the video shows
        # in the corners (without a video the static corners are restored by the box overlay instead)
        ox, oy = p.x_px - self._box.x_px, p.y_px - self._box.y_px
        under = self._mask[oy:oy + p.height_px, ox:ox + p.width_px]
        self._under = (np.ascontiguousarray(under) if self.template.spec.background.video is not None
                       and under.min() < 255 else None)
        if self._box.style == "matte":
            m = cv2.resize(self._mask, (self._box.width_px, self._box.height_px))
            self._fade = edge_fade(p.width_px, p.height_px, self._box.edge_fade_px)
            self._under = None
            soft = m[oy:oy + p.height_px, ox:ox + p.width_px]
            self._soft = np.ascontiguousarray(soft if self._fade is None else cv2.multiply(soft, self._fade,
                                                                                           scale=1 / 255))

    # ------------------------------------------------------------ timing

    def _story_start(self, k: int) -> float:
        st = self.program.stories
        return st[k].start_s if k < len(st) else 0.0

    def lower_third_progress(self, t_s: float, story: int | None = None) -> float:
        """0 hidden … 1 fully shown: eased slide-in at in_s after the story starts, out at out_s."""
        lt = self._lower
        k = self.program.story_at(t_s) if story is None else story
        t = t_s - self._story_start(k)
        if lt is None or t < lt.in_s or (lt.out_s is not None and t >= lt.out_s + lt.transition_s):
            return 0.0
        p = ease_out_cubic((t - lt.in_s) / lt.transition_s)
        if lt.out_s is not None and t >= lt.out_s:
            p = min(p, 1.0 - ease_in_cubic((t - lt.out_s) / lt.transition_s))
        return p

    def scene_at(self, t_s: float) -> tuple[str, int]:
        """('intro', 0), ('story', k) or ('outro', 0) at program time t_s."""
        prog = self.program
        if self.template.spec.intro is not None and t_s < prog.intro_s:
            return ("intro", 0)
        if self.template.spec.outro is not None and t_s >= prog.intro_s + prog.speech_s:
            return ("outro", 0)
        return ("story", prog.story_at(t_s))

    def _boundaries(self) -> list[float]:
        prog = self.program
        b = [s.start_s for s in prog.stories[1:]]
        if self.template.spec.intro is not None:
            b.append(prog.intro_s)
        if self.template.spec.outro is not None:
            b.append(prog.intro_s + prog.speech_s)
        return b

    # ------------------------------------------------------------ per frame

    def subtitle_overlay(self, text: str, emphasis: tuple = (), translation: str = "") -> Overlay:
        """The rendered subtitle, from the cache (rendered on first use)."""
        key = (text, emphasis, translation)
        ov = self._sub_cache.get(key)
        if ov is None:
            max_w = subtitle_line_px(self.width_px, self._sub_style)
            ov = Overlay.from_rgba(render_subtitle(text, self._sub_style, max_w, emphasis, translation))
            self._sub_cache[key] = ov
            if len(self._sub_cache) > SUBTITLE_CACHE_SIZE:
                self._sub_cache.popitem(last=False)
        else:
            self._sub_cache.move_to_end(key)
        return ov

    def subtitle_origin(self, ov: Overlay) -> tuple[int, int]:
        """Canvas (x, y) of a subtitle overlay's top-left corner."""
        st = self._sub_style
        x = (self.width_px - ov.width_px) // 2
        if st.center_y_px is not None:
            return x, st.center_y_px - ov.height_px // 2
        return x, self.height_px - st.bottom_margin_px - ov.height_px

    def frame(self, presenter: Frame, t_s: float, subtitle=None, matte: np.ndarray | None = None,
              pose: np.ndarray | None = None, out: Frame | None = None) -> Frame:
        """The composed canvas at program time `t_s` (RGB uint8, template size). Returns a reused buffer,
        or `out` (a template-size buffer that is drawn over entirely) when given.

        `subtitle` is the text (or a subtitles.Cue) shown now; `matte` an optional presenter alpha
        (H, W) uint8/float in the presenter frame's geometry, used by templates with style 'matte';
        `pose` an optional 2x3 transform that moves the presenter frame (and its matte) before it is
        placed, done in the same resampling as the placement (animate.pose_matrices, issue #7).
        """
        if presenter.shape[1::-1] != self._presenter_size:
            self.set_presenter_size((presenter.shape[1], presenter.shape[0]))
        canvas = self._canvas if out is None else out
        scene = self.scene_at(t_s)
        self._draw_scene(canvas, scene, presenter, t_s, matte, pose)
        tr = self.template.spec.transition
        if self._wipe is not None and tr is not None:
            for b in self._boundaries():
                if abs(t_s - b) < tr.duration_s / 2:
                    before, after = self.scene_at(b - 1e-6), self.scene_at(b + 1e-6)
                    if before != after:
                        # the band sweeps across the whole transition, centred on the cut: in its first half the
                        # canvas still holds the old scene (only the second half was drawn: the band popped in)
                        if scene == before:
                            self._draw_scene(canvas, after, presenter, t_s, matte, pose)
                            scene = after
                        self._draw_scene(self._alt, before, presenter, t_s, matte, pose)
                        self._wipe_between(canvas, self._alt, (t_s - b) / tr.duration_s + 0.5)
                    break
        if subtitle and scene[0] == "story":
            text, emph, tr_text = (subtitle, (), "") if isinstance(subtitle, str) else (
                subtitle.text, tuple(getattr(subtitle, "emphasis", ())), getattr(subtitle, "translation", ""))
            ov = self.subtitle_overlay(text, emph, tr_text)
            ov.blend_into(canvas, *self.subtitle_origin(ov))
        self._label.blend_into(canvas, *self._label_xy)
        return canvas

    def _draw_scene(self, canvas: Frame, scene: tuple[str, int], presenter: Frame, t_s: float,
                    matte: np.ndarray | None, pose: np.ndarray | None = None) -> None:
        if scene[0] != "story":
            self._draw_card(canvas, scene[0], t_s)
            return
        k = scene[1]
        layers = self._story(k)
        layers.backdrop.draw(canvas, round(t_s * self.fps))
        self._paste_presenter(canvas, presenter, matte, pose)
        layers.box_overlay.blend_into(canvas, self._box.x_px, self._box.y_px)
        if self._ticker is not None:
            self._ticker.blend_into(canvas, t_s)
        self._draw_items(canvas, layers, t_s)
        if layers.lower is not None:
            prog = self.lower_third_progress(t_s, k)
            if prog > 0:
                x = self._lower.x_px - int(round((1.0 - prog) * self._lower.slide_px))
                layers.lower.blend_into(canvas, x, self._lower.y_px, opacity=prog)

    def _paste_presenter(self, canvas: Frame, presenter: Frame, matte: np.ndarray | None,
                         pose: np.ndarray | None = None) -> None:
        p = self._place
        region = canvas[p.y_px:p.y_px + p.height_px, p.x_px:p.x_px + p.width_px]
        if self._box.style != "matte" and self._under is None:
            self._resample(presenter, region, pose)  # straight into the canvas (OpenCV writes into the view)
            return
        self._resample(presenter, self._resized, pose)
        if self._box.style != "matte":
            a = self._under
        elif matte is not None:
            m = matte if matte.dtype == np.uint8 else (np.clip(matte, 0, 1) * 255).astype(np.uint8)
            self._resample(m, self._matte_resized, pose)
            if self._fade is not None:  # soft sides and bottom (template's edge_fade_px)
                cv2.multiply(self._matte_resized, self._fade, dst=self._matte_resized, scale=1 / 255)
            a = self._matte_resized
        else:
            a = self._soft
        a16 = a[..., None].astype(np.uint16)
        acc = self._resized * a16
        acc += region * (255 - a16)
        acc += 128
        acc += acc >> 8
        acc >>= 8
        region[...] = acc

    def _resample(self, image: np.ndarray, dst: np.ndarray, pose: np.ndarray | None) -> None:
        """`image` (presenter geometry) cropped and scaled into `dst` (the placed size); with `pose`, moved by
        it first in the same warp (one resampling, not a whole-frame warp then a resize: issue #7)."""
        p = self._place
        if pose is None:
            cv2.resize(image[p.src_y, p.src_x], (p.width_px, p.height_px), dst=dst, interpolation=cv2.INTER_LINEAR)
            return
        # box pixel u → crop position (u + 0.5)·scale − 0.5 (cv2.resize's convention) → un-posed frame
        sx = (p.src_x.stop - p.src_x.start) / p.width_px
        sy = (p.src_y.stop - p.src_y.start) / p.height_px
        place = np.array([[sx, 0.0, p.src_x.start + 0.5 * sx - 0.5], [0.0, sy, p.src_y.start + 0.5 * sy - 0.5]])
        back = cv2.invertAffineTransform(np.asarray(pose, np.float64))
        m = back[:, :2] @ place
        m[:, 2] += back[:, 2]
        # BORDER_REFLECT101 as animate._apply_pose and matte.with_matte use for the whole frame
        cv2.warpAffine(image, m, (p.width_px, p.height_px), dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_REFLECT101)

    def _draw_items(self, canvas: Frame, layers: _StoryLayers, t_s: float) -> None:
        sp = self.template.spec.slides
        if sp is None:
            return
        for start, kind, x, y, ov in layers.items:  # each in its own place (layers.layout_slide_items)
            if start > t_s:
                continue
            p = ease_out_cubic((t_s - start) / sp.item_in_s)
            ov.blend_into(canvas, x + int(round((1 - p) * sp.item_slide_px)), y, opacity=p)

    def _draw_card(self, canvas: Frame, which: str, t_s: float) -> None:
        backdrop, (tx, ty, title), rest = self._card(which)
        t = t_s if which == "intro" else t_s - (self.program.intro_s + self.program.speech_s)
        backdrop.draw(canvas, round(t_s * self.fps))
        for x, y, ov, delay in rest:
            p = ease_out_cubic((t - delay) / 0.5)
            if p > 0:
                ov.blend_into(canvas, x, y + int(round((1 - p) * 30)), opacity=p)
        p = ease_out_cubic((t - 0.15) / 0.7)
        if p > 0:
            title.blend_into(canvas, tx, ty + int(round((1 - p) * 60)), opacity=p)

    def _wipe_between(self, canvas: Frame, before: Frame, progress: float) -> None:
        """A slanted band sweeps left → right; the new scene (canvas) is revealed behind it."""
        W, H = self.width_px, self.height_px
        band = self._wipe
        x = int(round(-band.width_px + progress * (W + band.width_px)))
        slant = self._wipe_slant
        step = 8  # rows per strip: a stepped slant, invisible under the band
        for y0 in range(0, H, step):
            cut = x + int(slant * (1 - (y0 + step / 2) / H)) + band.width_px // 2
            cut = min(max(cut, 0), W)
            canvas[y0:y0 + step, cut:] = before[y0:y0 + step, cut:]
        band.blend_into(canvas, x, 0)

    def stream(self, faces: Iterable, cues: Sequence = (), keep: int | None = None,
               poses: Iterable[np.ndarray | None] | None = None,
               buffers: Callable[[], Frame] | None = None) -> Iterator[Frame]:
        """Program frames: the intro card, one frame per presenter frame (subtitles from `cues`, on
        the program clock), the outro card. Items of `faces` are frames or (frame, matte) pairs;
        `poses`, if given, has one 2x3 transform (or None) per item (see `frame`).
        Frame number `keep` is also composed without its subtitle into `self.kept` (the cover).
        `buffers`, if given, supplies the buffer each frame is drawn into (VideoWriter.buffer: no copy
        on write); without it every frame is the compositor's own reused canvas."""
        from xiaonuan.subtitles import cue_at

        fps, prog = self.fps, self.program
        n_intro, n_outro = round(prog.intro_s * fps), round(prog.outro_s * fps)
        it = iter(zip(faces, poses) if poses is not None else ((f, None) for f in faces))
        first = next(it, None)
        if first is None:
            return
        face, matte, pose = _unpack(first)
        i = 0
        try:
            for _ in range(n_intro):
                yield self._emit(i, face, matte, None, keep, pose, buffers)
                i += 1
            for item in itertools.chain([first], it):
                face, matte, pose = _unpack(item)
                t = i / fps
                yield self._emit(i, face, matte, cue_at(cues, t), keep, pose, buffers)
                i += 1
            for _ in range(n_outro):
                yield self._emit(i, face, matte, None, keep, pose, buffers)
                i += 1
        finally:
            self.close()  # background video decoders

    def _emit(self, i: int, face: Frame, matte, cue, keep: int | None, pose: np.ndarray | None = None,
              buffers: Callable[[], Frame] | None = None) -> Frame:
        t = i / self.fps
        if i == keep:
            self.kept = self.frame(face, t, None, matte, pose).copy()
        return self.frame(face, t, cue, matte, pose, out=buffers() if buffers else None)


def _unpack(item: tuple) -> tuple[Frame, np.ndarray | None, np.ndarray | None]:
    """(frame, matte, pose) from one (face item, pose) pair of Compositor.stream."""
    face, pose = item
    frame, matte = face if isinstance(face, tuple) else (face, None)
    return frame, matte, pose
