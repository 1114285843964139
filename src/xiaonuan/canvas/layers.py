"""Init-time drawing of the moving layers: ticker strip, slide panel and its items, intro/outro
cards, the wipe band. Everything here runs once per template/story and returns RGBA arrays or
small prepared objects; canvas/compositor.py blends them per frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from xiaonuan.canvas.draw import _composite_shape, _rgba, render_background, wrap_text
from xiaonuan.fonts import load_font
from xiaonuan.program import SlideCue
from xiaonuan.template_spec import Card, SlidePanel, Ticker, Transition
from xiaonuan.types import RGBA, Frame

BULLET_GAP = 0.55  # space between bullets, in bullet font sizes
LINE_SPACING = 1.3
CAPTION_SCALE = 0.65  # image caption font, in bullet font sizes
IMAGE_GAP = 0.6  # space between slide images, in bullet font sizes
MIN_IMAGE_PX = 60  # a slide image cell smaller than this is not drawn
LEAD_SCALE = 1.25  # a story's lead sentence (no bullets), in bullet font sizes


# ---------------------------------------------------------------- ticker

@dataclass(frozen=True, eq=False)
class TickerStrip:
    """The ticker text, pre-rendered once as a long premultiplied strip that repeats every period_px."""

    x_px: int  # where the scrolling area starts on the canvas (after the label)
    y_px: int
    width_px: int
    height_px: int
    period_px: int
    speed_px_s: float
    premul: np.ndarray  # (h, period + width, 3) uint16
    inv: np.ndarray

    def blend_into(self, dst: Frame, t_s: float) -> None:
        off = int(t_s * self.speed_px_s) % self.period_px
        region = dst[self.y_px:self.y_px + self.height_px, self.x_px:self.x_px + self.width_px]
        acc = region * self.inv[:, off:off + self.width_px]
        acc += self.premul[:, off:off + self.width_px]
        acc += acc >> 8
        acc >>= 8
        region[...] = acc


def draw_ticker_static(layer: Image.Image, tk: Ticker, label: str) -> None:
    """The band and its label block (static)."""
    d = ImageDraw.Draw(layer)
    x0, y0, x1, y1 = tk.x_px, tk.y_px, tk.x_px + tk.width_px, tk.y_px + tk.height_px
    if tk.bleed:  # the band runs on to the canvas's sides and bottom; label and text stay in the box
        d.rectangle((0, y0, layer.width - 1, layer.height - 1), fill=_rgba(tk.bg_color))
        if tk.label_width_px and x0 > 0:
            d.rectangle((0, y0, x0 - 1, y1 - 1), fill=_rgba(tk.label_color))
    d.rectangle((x0, y0, x1 - 1, y1 - 1), fill=_rgba(tk.bg_color))
    if tk.label_width_px:
        lx1 = x0 + tk.label_width_px
        d.rectangle((x0, y0, lx1 - 1, y1 - 1), fill=_rgba(tk.label_color))
        d.polygon([(lx1, y0), (lx1 + tk.height_px // 3, y0), (lx1, y1 - 1)], fill=_rgba(tk.label_color))
        if label:
            font = load_font(min(tk.font_size_px, int(tk.height_px * 0.6)), "Black")
            d.text(((x0 + lx1) // 2, (y0 + y1) // 2), label, font=font, fill=_rgba(tk.label_text_color), anchor="mm")


def make_ticker(tk: Ticker, text: str) -> TickerStrip | None:
    """The scrolling part; None when there is no text to scroll."""
    if not text.strip():
        return None
    x0 = tk.x_px + (tk.label_width_px + tk.height_px // 3 + 12 if tk.label_width_px else 0)
    width = tk.x_px + tk.width_px - x0
    font = load_font(tk.font_size_px, "Medium")
    unit = text.strip() + tk.separator
    period = max(1, int(np.ceil(font.getlength(unit))))
    reps = int(np.ceil((period + width) / period)) + 1
    img = Image.new("RGBA", (period * reps, tk.height_px), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    for k in range(reps):
        d.text((k * period, tk.height_px // 2), unit, font=font, fill=_rgba(tk.text_color), anchor="lm")
    band = np.asarray(img)[:, :period + width].astype(np.uint16)
    a = band[..., 3:4]
    return TickerStrip(x0, tk.y_px, width, tk.height_px, period, tk.speed_px_s,
                       np.ascontiguousarray(band[..., :3] * a + 128), np.ascontiguousarray(np.repeat(255 - a, 3, 2)))


# ---------------------------------------------------------------- slide panel

@dataclass(frozen=True)
class PlacedItem:
    """A slide item drawn once: its RGBA image, canvas position and start time."""

    start_s: float
    kind: str
    x_px: int
    y_px: int
    rgba: RGBA


def draw_slide_panel(layer: Image.Image, sp: SlidePanel, title: str) -> int:
    """Panel background and title; returns the y (canvas) where the items start."""
    x0, y0, x1, y1 = sp.x_px, sp.y_px, sp.x_px + sp.width_px, sp.y_px + sp.height_px
    if sp.shadow is not None:
        sx, sy = sp.shadow.offset_px
        _composite_shape(layer, (x0 + sx, y0 + sy, x1 + sx, y1 + sy), sp.shadow.blur_px,
                         lambda d, ox, oy: d.rounded_rectangle((x0 + sx + ox, y0 + sy + oy, x1 + sx + ox - 1,
                                                                y1 + sy + oy - 1), radius=sp.corner_radius_px,
                                                               fill=_rgba(sp.shadow.color)))
    panel = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(panel)
    d.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=sp.corner_radius_px, fill=_rgba(sp.bg_color))
    pad = sp.padding_px
    font = load_font(sp.title_font_size_px, "Black")
    lines = wrap_text(title, font, sp.width_px - 2 * pad, 2)
    y = y0 + pad
    for ln in lines:
        d.text((x0 + pad, y), ln, font=font, fill=_rgba(sp.title_color), anchor="lt")
        y += int(sp.title_font_size_px * 1.25)
    y += sp.title_font_size_px // 4
    d.rectangle((x0 + pad, y, x0 + pad + 120, y + 7), fill=_rgba(sp.accent_color))
    layer.alpha_composite(panel)
    return y + 7 + int(sp.bullet_font_size_px * 0.9)


def layout_slide_items(sp: SlidePanel, items_y_px: int, cues: Sequence[SlideCue]) -> list[PlacedItem]:
    """Bullets stacked under the title; the story's images in a grid in the space left below them
    (see _image_grid), each in its own cell, so an image never covers an earlier one."""
    pad = sp.padding_px
    x0, inner_w = sp.x_px + pad, sp.width_px - 2 * pad
    bottom = sp.y_px + sp.height_px - pad
    font = load_font(sp.bullet_font_size_px, "Medium")
    placed: list[PlacedItem] = []
    y = items_y_px
    bullets = [c for c in cues if c.kind == "bullet"]
    images = [c for c in cues if c.kind == "image" and c.image is not None]
    line_h = int(sp.bullet_font_size_px * LINE_SPACING)
    dot = sp.bullet_font_size_px // 3
    for c in bullets:
        lines = wrap_text(c.text, font, inner_w - 2 * dot - 18, 2)
        h = line_h * len(lines)
        if y + h > bottom:
            break
        img = Image.new("RGBA", (inner_w, h), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        cy = line_h // 2
        d.rounded_rectangle((0, cy - dot // 2 - 2, dot + 4, cy + dot // 2 + 2), radius=3, fill=_rgba(sp.accent_color))
        for i, ln in enumerate(lines):
            d.text((dot + 22, line_h * i + line_h // 2), ln, font=font, fill=_rgba(sp.bullet_color), anchor="lm")
        placed.append(PlacedItem(c.start_s, "bullet", x0, y, np.asarray(img)))
        y += h + int(sp.bullet_font_size_px * BULLET_GAP)
    placed += _place_images(sp, images, x0, y, inner_w, bottom - y)
    placed.sort(key=lambda p: p.start_s)
    return placed


def layout_lead(sp: SlidePanel, items_y_px: int, text: str, start_s: float) -> PlacedItem | None:
    """A story without bullets or pictures: its first sentence as a pull quote (a bar in the accent colour,
    the sentence a size between the bullets' and the title's), so the panel is never an empty card."""
    if not text.strip():
        return None
    pad, bar = sp.padding_px, max(4, sp.bullet_font_size_px // 6)
    inner_w, room_h = sp.width_px - 2 * pad, sp.y_px + sp.height_px - pad - items_y_px
    size = round(sp.bullet_font_size_px * LEAD_SCALE)
    font = load_font(size, "Bold")
    line_h = int(size * LINE_SPACING)
    lines = wrap_text(text, font, inner_w - bar - size // 2, max(1, room_h // line_h))
    if room_h < line_h or not lines:
        return None
    img = Image.new("RGBA", (inner_w, line_h * len(lines)), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, bar - 1, img.height - 1), fill=_rgba(sp.accent_color))
    for i, ln in enumerate(lines):
        d.text((bar + size // 2, line_h * i + line_h // 2), ln, font=font, fill=_rgba(sp.title_color), anchor="lm")
    return PlacedItem(start_s, "lead", sp.x_px + pad, items_y_px, np.asarray(img))


def _place_images(sp: SlidePanel, images: Sequence[SlideCue], x0: int, y0: int, w: int, h: int) -> list[PlacedItem]:
    """The images (in the order they are spoken) drawn into the cells of _image_grid; rows are as
    tall as their tallest picture and stacked from the top, a short last row is centred."""
    opened = [Image.open(c.image).convert("RGBA") for c in images]
    cap_font = load_font(max(12, round(sp.bullet_font_size_px * CAPTION_SCALE)), "Medium")
    cap_h = int(cap_font.size * 1.6) if any(c.text for c in images) else 0
    gap = max(8, round(sp.bullet_font_size_px * IMAGE_GAP))
    grid = None
    while opened and grid is None:  # more images than fit: the last ones are left out
        grid = _image_grid([im.width / im.height for im in opened], w, h - cap_h, gap, cap_h)
        if grid is None:
            opened.pop()
    if grid is None:
        return []
    cols, cell_w, cell_h = grid
    pictures = [_fit_picture(im, cell_w, cell_h) for im in opened]
    placed, y = [], y0
    for r in range(0, len(pictures), cols):
        row = pictures[r:r + cols]
        row_w = len(row) * cell_w + (len(row) - 1) * gap
        pic_h = max(pic.height for pic in row)  # pictures centred on the row's middle, captions on one line
        for k, (c, pic) in enumerate(zip(images[r:r + cols], row)):
            cell = Image.new("RGBA", (cell_w, pic_h + cap_h), (0, 0, 0, 0))
            cell.alpha_composite(pic, dest=((cell_w - pic.width) // 2, (pic_h - pic.height) // 2))
            if c.text:
                text = wrap_text(c.text, cap_font, cell_w, 1)[0]
                ImageDraw.Draw(cell).text((cell_w // 2, pic_h + cap_h // 2 + 2), text, font=cap_font,
                                          fill=(90, 100, 120, 255), anchor="mm")
            placed.append(PlacedItem(c.start_s, "image", x0 + (w - row_w) // 2 + k * (cell_w + gap), y,
                                     np.asarray(cell)))
        y += pic_h + cap_h + gap
    return placed


def _image_grid(aspects: Sequence[float], w: int, h: int, gap: int, cap_h: int) -> tuple[int, int, int] | None:
    """(columns, cell width, cell picture height) for pictures of these aspect ratios (w/h) in a w x h
    area: the grid that shows the most picture area in total; None when a cell would be under
    MIN_IMAGE_PX."""
    n, best = len(aspects), None
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        cw = (w - gap * (cols - 1)) // cols
        ch = (h - gap * (rows - 1) - cap_h * (rows - 1)) // rows  # h already has one caption row off
        if cw < MIN_IMAGE_PX or ch < MIN_IMAGE_PX:
            continue
        area = sum(min(cw, ch * a) * min(ch, cw / a) for a in aspects)
        if best is None or area > best[0] * 1.001:
            best = (area, cols, cw, ch)
    return None if best is None else best[1:]


def _fit_picture(img: Image.Image, cell_w: int, cell_h: int) -> Image.Image:
    """A slide image scaled to fit its cell, with rounded corners."""
    scale = min(cell_w / img.width, cell_h / img.height)
    iw, ih = max(1, int(img.width * scale)), max(1, int(img.height * scale))
    img = img.resize((iw, ih), Image.LANCZOS)
    mask = Image.new("L", (iw, ih), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, iw - 1, ih - 1), radius=12, fill=255)
    img.putalpha(Image.fromarray(np.minimum(np.asarray(mask), np.asarray(img.getchannel("A")))))
    return img


# ---------------------------------------------------------------- cards

@dataclass(frozen=True, eq=False)
class CardLayers:
    """A card's static base (RGBA: see canvas.blend.Backdrop) and its animated pieces: title and the rest,
    each RGBA at (x, y)."""

    base: RGBA
    title: tuple[int, int, RGBA]
    rest: tuple[tuple[int, int, RGBA, float], ...]  # (x, y, rgba, delay_s)


def make_card(card: Card, size: tuple[int, int], values: Mapping[str, str], headlines: Sequence[str],
              logo_layer: Image.Image | None) -> CardLayers:
    """Draw a card once: background, accent, kicker/title/subtitle blocks and (intro) the story list."""
    W, H = size
    bg = render_background(card.background, W, H, values)
    if logo_layer is not None:
        bg.alpha_composite(logo_layer)
    fill = lambda s: s.format_map(values)  # noqa: E731
    title_font = load_font(card.title_font_size_px, "Black")
    title_lines = wrap_text(fill(card.title), title_font, int(W * 0.84), 2)
    list_items = [f"{i:02d}  {h}" for i, h in enumerate(headlines, 1)] if card.list_stories else []
    list_font = load_font(card.list_font_size_px, "Bold")
    list_h = int(len(list_items) * card.list_font_size_px * 1.7)
    title_h = int(len(title_lines) * card.title_font_size_px * 1.18)
    block_h = card.kicker_font_size_px * 2 + title_h + card.subtitle_font_size_px * 2 + (list_h + 40 if list_h else 0)
    cy = card.center_y_px if card.center_y_px is not None else H // 2
    y = cy - block_h // 2
    rest: list[tuple[int, int, RGBA, float]] = []
    kicker = fill(card.kicker)
    if kicker:
        font = load_font(card.kicker_font_size_px, "Bold")
        w = int(font.getlength(kicker)) + 48
        img = Image.new("RGBA", (w, int(card.kicker_font_size_px * 1.6)), _rgba(card.accent_color))
        ImageDraw.Draw(img).text((w // 2, img.height // 2), kicker, font=font, fill=(255, 255, 255, 255), anchor="mm")
        rest.append(((W - w) // 2, y, np.asarray(img), 0.0))
    y += card.kicker_font_size_px * 2
    timg = Image.new("RGBA", (W, title_h + 20), (0, 0, 0, 0))
    d = ImageDraw.Draw(timg)
    for i, ln in enumerate(title_lines):
        d.text((W // 2, int(card.title_font_size_px * (0.59 + 1.18 * i))), ln, font=title_font,
               fill=_rgba(card.title_color), anchor="mm")
    shadow = Image.new("RGBA", timg.size, (0, 0, 0, 0))
    shadow.putalpha(timg.getchannel("A").point(lambda a: a * 2 // 5))
    shadow = shadow.filter(ImageFilter.GaussianBlur(6))
    title_img = Image.alpha_composite(shadow, timg)
    title = (0, y, np.asarray(title_img))
    y += title_h + card.subtitle_font_size_px // 2
    sub = fill(card.subtitle)
    if sub:
        font = load_font(card.subtitle_font_size_px, "Medium")
        img = Image.new("RGBA", (W, int(card.subtitle_font_size_px * 1.5)), (0, 0, 0, 0))
        ImageDraw.Draw(img).text((W // 2, img.height // 2), sub, font=font, fill=_rgba(card.subtitle_color),
                                 anchor="mm")
        rest.append((0, y, np.asarray(img), 0.35))
    y += card.subtitle_font_size_px * 2
    if list_items:
        y += 20
        lw = int(max(list_font.getlength(s) for s in list_items)) + 60
        lw = min(lw, int(W * 0.84))
        for i, item in enumerate(list_items):
            h = int(card.list_font_size_px * 1.5)
            img = Image.new("RGBA", (lw, h), (0, 0, 0, 0))
            d = ImageDraw.Draw(img)
            d.rectangle((0, 0, 8, h - 1), fill=_rgba(card.accent_color))
            d.rectangle((8, 0, lw - 1, h - 1), fill=(255, 255, 255, 28))
            txt = wrap_text(item, list_font, lw - 50, 1)[0]
            d.text((30, h // 2), txt, font=list_font, fill=_rgba(card.list_color), anchor="lm")
            rest.append(((W - lw) // 2, y, np.asarray(img), 0.6 + 0.25 * i))
            y += int(card.list_font_size_px * 1.7)
    return CardLayers(np.asarray(bg), title, tuple(rest))


# ---------------------------------------------------------------- transitions

def make_wipe_band(tr: Transition, height_px: int) -> tuple[RGBA, int]:
    """A slanted band (main colour with an accent edge); returns (rgba, slant_px)."""
    slant = height_px // 4
    w = tr.band_px + slant
    img = Image.new("RGBA", (w, height_px), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.polygon([(slant, 0), (w - 1, 0), (w - 1 - slant, height_px - 1), (0, height_px - 1)], fill=_rgba(tr.color))
    edge = max(6, tr.band_px // 20)
    d.polygon([(w - 1 - edge, 0), (w - 1, 0), (w - 1 - slant, height_px - 1), (w - 1 - slant - edge, height_px - 1)],
              fill=_rgba(tr.accent_color))
    return np.asarray(img), slant
