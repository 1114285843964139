"""The subtitle layer: a cue's lines drawn once with outline, shadow, emphasis and translation (cached
by text), blended per frame at the template's subtitle position.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from xiaonuan.canvas.blend import Overlay
from xiaonuan.canvas.draw import BLUR_MARGIN, MIN_FIT_FONT_PX, _rgba, fit_font, wrap_text
from xiaonuan.fonts import font_file, load_font
from xiaonuan.template_spec import SubtitleStyle
from xiaonuan.templates import subtitle_line_px
from xiaonuan.types import RGBA, Frame

SUBTITLE_CACHE_SIZE = 64  # distinct subtitle texts kept rendered
SHADOW_BLUR_PX = 2  # softening of the subtitle drop shadow


class SubtitleLayer:
    """Subtitles of one template at one canvas size: prepared per distinct text (an LRU cache), drawn per frame."""

    def __init__(self, style: SubtitleStyle, width_px: int, height_px: int, font: Path | None = None) -> None:
        self.style = style
        self.font = font  # a brand's or the template's own font file (fonts.font_file); None: the bundled one
        self.width_px, self.height_px = width_px, height_px
        self._cache: OrderedDict[tuple, Overlay] = OrderedDict()

    def overlay(self, text: str, emphasis: tuple = (), translation: str = "") -> Overlay:
        """The rendered subtitle, from the cache (rendered on first use)."""
        key = (text, emphasis, translation)
        ov = self._cache.get(key)
        if ov is None:
            max_w = subtitle_line_px(self.width_px, self.style)
            with font_file(self.font):
                ov = Overlay.from_rgba(render_subtitle(text, self.style, max_w, emphasis, translation))
            self._cache[key] = ov
            if len(self._cache) > SUBTITLE_CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return ov

    def origin(self, ov: Overlay) -> tuple[int, int]:
        """Canvas (x, y) of a subtitle overlay's top-left corner."""
        st = self.style
        x = (self.width_px - ov.width_px) // 2
        if st.center_y_px is not None:
            return x, st.center_y_px - ov.height_px // 2
        return x, self.height_px - st.bottom_margin_px - ov.height_px

    def draw(self, canvas: Frame, subtitle) -> None:
        """Blend `subtitle` (a text, or a subtitles.Cue with emphasis and translation) over `canvas`."""
        text, emph, tr_text = (subtitle, (), "") if isinstance(subtitle, str) else (
            subtitle.text, tuple(getattr(subtitle, "emphasis", ())), getattr(subtitle, "translation", ""))
        ov = self.overlay(text, emph, tr_text)
        ov.blend_into(canvas, *self.origin(ov))


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
