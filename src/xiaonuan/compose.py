"""Per-frame composition: presenter frames + a template's layers → canvas frames.

Everything that does not move (background, presenter panel, headline, logo, date, AI label) is
drawn ONCE at init. Per frame the compositor copies that base, pastes the resized presenter,
re-blends the static pieces that sit above the presenter, and blends the lower third and the
subtitle, each only over its own rows, in integer numpy with premultiplied alpha.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping

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
)
from xiaonuan.types import RGBA, Frame

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
    """Gradient, optional image (cover-scaled), then the decorative shapes, as an RGBA image."""
    top = np.array(bg.top_color, np.float32)
    bottom = np.array(bg.bottom_color or bg.top_color, np.float32)
    t = np.linspace(0.0, 1.0, height_px, dtype=np.float32)[:, None]
    rows = (top * (1 - t) + bottom * t + 0.5).astype(np.uint8)  # (H, 4)
    canvas = Image.fromarray(np.ascontiguousarray(np.broadcast_to(rows[:, None, :], (height_px, width_px, 4))),
                             "RGBA")
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
    if box.shadow:
        s = box.shadow
        sx, sy = s.offset_px
        _composite_shape(below, (x0 - bw + sx, y0 - bw + sy, x1 + bw + sx, y1 + bw + sy), s.blur_px,
                         lambda d, ox, oy: d.rounded_rectangle(
                             (x0 - bw + sx + ox, y0 - bw + sy + oy, x1 + bw + sx + ox - 1, y1 + bw + sy + oy - 1),
                             radius=box.corner_radius_px + bw, fill=_rgba(s.color)))
    d = ImageDraw.Draw(below)
    if box.border:
        d.rounded_rectangle((x0 - bw, y0 - bw, x1 + bw - 1, y1 + bw - 1), radius=box.corner_radius_px + bw,
                            fill=_rgba(box.border.color))
    d.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=box.corner_radius_px, fill=_rgba(box.fill_color))


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


def render_lower_third(lt: LowerThird, name: str, title: str) -> RGBA:
    """The name/title strap as an RGBA array (top-left at the template's x_px, y_px)."""
    name_font, title_font = load_font(lt.name_font_size_px, "Bold"), load_font(lt.title_font_size_px, "Medium")
    pad = lt.padding_px
    name_h = int(lt.name_font_size_px * 1.5)
    title_h = int(lt.title_font_size_px * 1.6) if title else 0
    w = int(max(lt.min_width_px, name_font.getlength(name) + 2 * pad, title_font.getlength(title) + 2 * pad))
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


def render_subtitle(text: str, style: SubtitleStyle, max_width_px: int) -> RGBA:
    """Subtitle lines centred, with outline and drop shadow, as a tight RGBA array."""
    lines = [ln for ln in text.split("\n") if ln.strip()][: style.max_lines] or [" "]
    font = load_font(style.font_size_px, style.weight)
    widest = max(font.getlength(ln) for ln in lines)
    if widest > max_width_px:  # a long unbreakable word: shrink rather than spill off screen
        font = load_font(max(MIN_FIT_FONT_PX, int(style.font_size_px * max_width_px / widest)), style.weight)
        widest = max(font.getlength(ln) for ln in lines)
    line_h = int(font.size * style.line_spacing)
    sx, sy = style.shadow_offset_px if style.shadow_color is not None else (0, 0)
    margin = style.outline_px + SHADOW_BLUR_PX * BLUR_MARGIN + max(abs(sx), abs(sy))
    box_pad = font.size // 3 if style.box_color is not None else 0
    w = int(widest) + 2 * (margin + box_pad)
    h = line_h * len(lines) + 2 * (margin + box_pad)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    if style.box_color is not None:
        ImageDraw.Draw(img).rounded_rectangle((margin, margin, w - margin - 1, h - margin - 1),
                                              radius=box_pad, fill=_rgba(style.box_color))

    def draw_lines(d: ImageDraw.ImageDraw, dx: int, dy: int, fill: tuple, stroke: tuple | None) -> None:
        for i, ln in enumerate(lines):
            d.text((w // 2 + dx, margin + box_pad + line_h * i + line_h // 2 + dy), ln, font=font, fill=fill,
                   anchor="mm", stroke_width=style.outline_px if stroke else 0, stroke_fill=stroke)

    if style.shadow_color is not None:
        shadow = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        draw_lines(ImageDraw.Draw(shadow), sx, sy, _rgba(style.shadow_color), _rgba(style.shadow_color))
        img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(SHADOW_BLUR_PX)))
    text_layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw_lines(ImageDraw.Draw(text_layer), 0, 0, _rgba(style.color),
               _rgba(style.outline_color) if style.outline_px else None)
    img.alpha_composite(text_layer)
    return np.asarray(img)


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


class Compositor:
    """Composes presenter frames onto a template's canvas (see module docstring).

    `frame()` returns the SAME preallocated buffer every call: use or copy it before the next
    call (VideoWriter.write copies it), and do not modify it.
    """

    def __init__(self, template: Template, fields: Mapping[str, str | None] | None = None,
                 presenter_size: tuple[int, int] = (720, 720)) -> None:
        spec = template.spec
        self.template = template
        self.width_px, self.height_px = template.width_px, template.height_px
        values = template.resolve_fields(fields)
        W, H = self.width_px, self.height_px
        box = spec.presenter
        if box.x_px + box.width_px > W or box.y_px + box.height_px > H:
            raise TemplateError(f"template '{template.name}': presenter box {box.width_px}x{box.height_px} at "
                                f"({box.x_px}, {box.y_px}) does not fit the {W}x{H} canvas; fix its position or size")

        below = render_background(spec.background, W, H, values)
        _draw_presenter_panel(below, box)
        above = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        if spec.headline is not None:
            _draw_headline(above, spec.headline, template.fill(spec.headline.text, values),
                           template.fill(spec.headline.label, values))
        if spec.logo is not None:
            _draw_logo(above, spec.logo, template.fill(spec.logo.text, values),
                       template.fill(spec.logo.subtext, values))
        if spec.date is not None:
            _draw_date(above, spec.date, template.fill(spec.date.text, values))
        _draw_ai_label(above, spec.ai_label)

        self._base: Frame = np.ascontiguousarray(np.asarray(Image.alpha_composite(below, above))[..., :3])
        self._canvas: Frame = self._base.copy()
        # What must be drawn over the presenter inside its box: the panel's own pixels outside the
        # rounded corners, then every static layer that overlaps the box.
        bx, by, bw, bh = box.x_px, box.y_px, box.width_px, box.height_px
        corners = Image.new("L", (bw, bh), 255)
        ImageDraw.Draw(corners).rounded_rectangle((0, 0, bw - 1, bh - 1), radius=box.corner_radius_px, fill=0)
        box_over = below.crop((bx, by, bx + bw, by + bh))
        box_over.putalpha(corners)
        box_over.alpha_composite(above.crop((bx, by, bx + bw, by + bh)))
        self._box_overlay = Overlay.from_rgba(np.asarray(box_over))
        self._box = box

        self._lower = spec.lower_third
        self._lower_overlay = (Overlay.from_rgba(render_lower_third(
            spec.lower_third, template.fill(spec.lower_third.name, values),
            template.fill(spec.lower_third.title, values)))
            if spec.lower_third is not None and values["name"] else None)

        self._sub_style = spec.subtitles
        self._sub_cache: OrderedDict[str, Overlay] = OrderedDict()
        self._presenter_size = (0, 0)
        self.set_presenter_size(presenter_size)

    @property
    def base(self) -> Frame:
        """The static layers alone (read-only view), e.g. for a preview image."""
        v = self._base.view()
        v.flags.writeable = False
        return v

    def set_presenter_size(self, presenter_size: tuple[int, int]) -> None:
        """Prepare the resize geometry and buffer for presenter frames of (width, height)."""
        w, h = presenter_size
        self._presenter_size = (w, h)
        self._place = _placement(self._box, w, h)
        self._resized: Frame = np.empty((self._place.height_px, self._place.width_px, 3), np.uint8)

    def lower_third_progress(self, t_s: float) -> float:
        """0 hidden … 1 fully shown: eased slide-in after in_s, eased slide-out after out_s."""
        lt = self._lower
        if lt is None or t_s < lt.in_s or (lt.out_s is not None and t_s >= lt.out_s + lt.transition_s):
            return 0.0
        p = ease_out_cubic((t_s - lt.in_s) / lt.transition_s)
        if lt.out_s is not None and t_s >= lt.out_s:
            p = min(p, 1.0 - ease_in_cubic((t_s - lt.out_s) / lt.transition_s))
        return p

    def subtitle_overlay(self, text: str) -> Overlay:
        """The rendered subtitle for `text`, from the cache (rendered on first use)."""
        ov = self._sub_cache.get(text)
        if ov is None:
            max_w = self.width_px - 2 * self._sub_style.bottom_margin_px
            ov = Overlay.from_rgba(render_subtitle(text, self._sub_style, max_w))
            self._sub_cache[text] = ov
            if len(self._sub_cache) > SUBTITLE_CACHE_SIZE:
                self._sub_cache.popitem(last=False)
        else:
            self._sub_cache.move_to_end(text)
        return ov

    def frame(self, presenter: Frame, t_s: float, subtitle: str | None = None) -> Frame:
        """The composed canvas at `t_s` (RGB uint8, template size). Returns a reused buffer."""
        if presenter.shape[1::-1] != self._presenter_size:
            self.set_presenter_size((presenter.shape[1], presenter.shape[0]))
        canvas = self._canvas
        np.copyto(canvas, self._base)
        p = self._place
        cv2.resize(presenter[p.src_y, p.src_x], (p.width_px, p.height_px), dst=self._resized,
                   interpolation=cv2.INTER_LINEAR)
        canvas[p.y_px:p.y_px + p.height_px, p.x_px:p.x_px + p.width_px] = self._resized
        self._box_overlay.blend_into(canvas, self._box.x_px, self._box.y_px)
        if self._lower_overlay is not None:
            prog = self.lower_third_progress(t_s)
            if prog > 0:
                x = self._lower.x_px - int(round((1.0 - prog) * self._lower.slide_px))
                self._lower_overlay.blend_into(canvas, x, self._lower.y_px, opacity=prog)
        if subtitle:
            ov = self.subtitle_overlay(subtitle)
            x = (self.width_px - ov.width_px) // 2
            y = self.height_px - self._sub_style.bottom_margin_px - ov.height_px
            ov.blend_into(canvas, x, y)
        return canvas
