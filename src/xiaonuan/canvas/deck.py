"""A deck's pages on the canvas: the compositor of a template with a `deck:` box.

Each story of the program is a narrated page (deck/narration.py); pages without narration follow it, each
for the template's hold time at the end of the story. A page is drawn ONCE, as the story layers are: the
template's background, the page letterboxed into the deck box, the presenter's panel in the page's emptiest
corner clear of its text (deck/layout.py; no panel, and no presenter, on a page full of text), the page
number. Per frame only the presenter is pasted, at that page's place.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np
from PIL import Image, ImageDraw

from xiaonuan.canvas.blend import Backdrop, Overlay
from xiaonuan.canvas.compositor import Compositor, _StoryLayers
from xiaonuan.canvas.draw import _draw_presenter_panel, _rgba, render_background
from xiaonuan.canvas.presenter import PresenterLayer
from xiaonuan.deck.layout import letterbox, page_boxes, presenter_spot
from xiaonuan.errors import TemplateError
from xiaonuan.fonts import font_file, load_font
from xiaonuan.templates import Template
from xiaonuan.types import Frame

if TYPE_CHECKING:
    from xiaonuan.deck import Deck
    from xiaonuan.program import Program


KEEP_PAGES = 3  # pages kept drawn: the one on screen, the next, and one spare


@dataclass(frozen=True, eq=False)
class PageLayers:
    """One page drawn once: its layers, where its presenter goes (None: hidden) and the page's text boxes
    on the canvas (what the presenter keeps clear of)."""

    layers: _StoryLayers
    presenter: PresenterLayer | None
    box: tuple[int, int, int, int] | None  # the presenter's (x0, y0, x1, y1) on the canvas
    text_boxes: tuple[tuple[int, int, int, int], ...]
    placed: tuple[int, int, int, int]  # the page's own box on the canvas


class DeckCompositor(Compositor):
    """The compositor for a deck (see module docstring); `deck` is the open Deck whose narration made the
    program's stories."""

    def __init__(self, template: Template, deck: "Deck", fields: Mapping[str, str | None] | None = None,
                 presenter_size: tuple[int, int] = (720, 720), program: "Program | None" = None) -> None:
        if template.spec.deck is None:
            raise TemplateError(f"template '{template.name}' has no `deck:` box and cannot show a deck's pages: "
                                "render decks with --template deck (or a copy of it)")
        self.deck = deck
        self._pages: OrderedDict[int, PageLayers] = OrderedDict()  # the last KEEP_PAGES drawn
        self._plain = None  # the template's background without a presenter panel (each page places its own)
        super().__init__(template, fields=fields, presenter_size=presenter_size, program=program)

    # ------------------------------------------------------------ pages

    def story_pages(self, k: int) -> tuple[int, ...]:
        pages = self.deck.narration.story_pages
        return pages[min(k, len(pages) - 1)]

    def page_at(self, t_s: float) -> int:
        """The page (index from 0) on screen at program time t_s: the story's narrated page, then the pages
        without narration in its last hold_s each."""
        k = self.program.story_at(t_s)
        pages = self.story_pages(k)
        if len(pages) == 1:
            return pages[0]
        hold = self.deck.narration.hold_s
        end = self.program.stories[k].end_s if k < len(self.program.stories) else self.program.total_s
        j = int((t_s - (end - (len(pages) - 1) * hold)) // hold) + 1
        return pages[min(max(j, 0), len(pages) - 1)]

    def page(self, i: int) -> PageLayers:
        """Page i's layers, drawn on use. Only the last KEEP_PAGES drawn are kept (a 1080p page is ~8 MB, a deck
        up to 200 pages): frames come in page order, so a page is drawn again only after prepare()."""
        layers = self._pages.get(i)
        if layers is None:
            with font_file(self.template.spec.font):  # a brand's or the template's own font for the page number
                layers = self._pages[i] = self._draw_page(i)
            while len(self._pages) > KEEP_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(i)
        return layers

    def _draw_page(self, i: int) -> PageLayers:
        spec, W, H = self.template.spec, self.width_px, self.height_px
        dk, box = spec.deck, spec.presenter
        if self._plain is None:
            self._plain = render_background(spec.background, W, H, self.values)
        below = self._plain.copy()
        page = self.deck.pages[i]
        area = (dk.x_px, dk.y_px, dk.x_px + dk.width_px, dk.y_px + dk.height_px)
        placed = letterbox(page.width_pt, page.height_pt, area)
        ImageDraw.Draw(below).rectangle((area[0], area[1], area[2] - 1, area[3] - 1), fill=_rgba(dk.bg_color))
        image = self.deck.image(i, placed[2] - placed[0], placed[3] - placed[1])
        pw, ph = placed[2] - placed[0], placed[3] - placed[1]
        if image.shape[:2] != (ph, pw):  # PDFium rounds the bitmap's size its own way: same shape, ±1 px
            image = np.asarray(Image.fromarray(image).resize((pw, ph), Image.LANCZOS))
        below.paste(Image.fromarray(image), placed[:2])
        text = page_boxes(page.text_boxes, placed)
        gray = np.asarray(Image.fromarray(image).convert("L"), np.float32)
        border = box.border.width_px if box.border else 0
        spot = presenter_spot(text, area, (box.width_px, box.height_px), margin_px=dk.margin_px + border,
                              gap_px=dk.text_gap_px + border, scales=_scales(dk.min_scale),
                              ink=lambda b: _ink(gray, placed, b))
        presenter = None
        hidden = (f"page {page.number} has text in every corner: the presenter is hidden on it (the voice goes on); "
                  "leave a corner free, or lower the deck's min_scale")
        if spot is None:
            if hidden not in self.warnings:  # a page drawn again (see page()) warns once
                self.warnings.append(hidden)
        else:
            moved = dataclasses.replace(box, x_px=spot[0], y_px=spot[1], width_px=spot[2] - spot[0],
                                        height_px=spot[3] - spot[1])
            if box.style != "matte":
                _draw_presenter_panel(below, moved)
            presenter = PresenterLayer(moved, over_video=False)
            presenter.prepare(self._presenter.size)
        if dk.page_number:
            label = dk.page_number.replace("{page}", str(page.number)).replace("{pages}", str(len(self.deck.pages)))
            ImageDraw.Draw(below).text((dk.page_number_x_px, dk.page_number_y_px), label,
                                       font=load_font(dk.page_number_font_size_px, "Medium"),
                                       fill=_rgba(dk.page_number_color),
                                       anchor="rm" if dk.page_number_anchor == "right" else "lm")
        above = self._common
        backdrop = Backdrop.from_rgba(np.asarray(Image.alpha_composite(below, above)), None)
        over = None
        if spot is not None:
            x0, y0, x1, y1 = spot
            crop = below.crop(spot)
            if box.style == "matte":
                crop.putalpha(0)
            else:
                crop.putalpha(Image.fromarray(255 - presenter.mask))
            crop.alpha_composite(above.crop(spot))
            over = Overlay.from_rgba(np.asarray(crop))
        else:
            over = Overlay.from_rgba(np.zeros((1, 1, 4), np.uint8))
        return PageLayers(_StoryLayers(backdrop, over, None, ()), presenter, spot, tuple(text), placed)

    # ------------------------------------------------------------ the Compositor's hooks

    def _story(self, k: int) -> _StoryLayers:
        return self.page(self.story_pages(k)[0]).layers

    def prepare(self) -> tuple[str, ...]:
        """Every page drawn now; the warnings (pages where the presenter is hidden …)."""
        for i in sorted({i for pages in self.deck.narration.story_pages for i in pages}):
            self.page(i)
        return super().prepare()

    def _draw_scene(self, canvas: Frame, scene: tuple[str, int], presenter: Frame, t_s: float,
                    matte: np.ndarray | None, pose: np.ndarray | None = None) -> None:
        if scene[0] != "story":
            super()._draw_scene(canvas, scene, presenter, t_s, matte, pose)
            return
        pl = self.page(self.page_at(t_s))
        pl.layers.backdrop.draw(canvas, round(t_s * self.fps))
        if pl.presenter is not None:
            pl.presenter.draw(canvas, presenter, matte, pose)
            pl.layers.box_overlay.blend_into(canvas, pl.box[0], pl.box[1])
        if self._ticker is not None:
            self._ticker.blend_into(canvas, t_s)


def _scales(min_scale: float) -> tuple[float, ...]:
    """1.0 down to min_scale in steps of a fifth (each 0.8 of the last)."""
    out = [1.0]
    while out[-1] * 0.8 >= min_scale - 1e-9:
        out.append(out[-1] * 0.8)
    return tuple(out)


def _ink(gray: np.ndarray, placed: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> float:
    """How busy the page is under `box`: the spread of its brightness there (0 off the page: letterbox)."""
    x0, y0 = max(box[0] - placed[0], 0), max(box[1] - placed[1], 0)
    x1, y1 = min(box[2] - placed[0], gray.shape[1]), min(box[3] - placed[1], gray.shape[0])
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(gray[y0:y1, x0:x1].std()) * (x1 - x0) * (y1 - y0) / ((box[2] - box[0]) * (box[3] - box[1]))
