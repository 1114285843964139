"""A PDF deck read with pypdfium2 (PDFium, inside its wheel): page sizes, each page's text and text boxes,
and each page rendered to an image that fits a box.

pypdfium2 is imported lazily on purpose: only a deck render needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from ..errors import InputError
from ..saferead import regular_file

MAX_PAGES = 200            # a longer deck is refused: split it (200 pages is over an hour of narration)
MAX_PAGE_PT = 14_400       # PDF's own largest page side (200 inches); a larger one is not a slide
MAX_PAGE_ASPECT = 6.0      # a page longer than 6:1 would be a thin strip on screen
MAX_DECK_BYTES = 256 * 1024 * 1024
# PDFium's load errors (fpdfview.h: FPDF_ERR_FILE 2, FORMAT 3, PASSWORD 4, SECURITY 6)
_ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY = 3, 4, 6


@dataclass(frozen=True)
class Page:
    """One page of a deck: its number (from 1), size in points, text, and the boxes of its text as
    fractions of the page (x0, y0, x1, y1), measured from the top-left corner."""

    number: int
    width_pt: float
    height_pt: float
    text: str
    text_boxes: tuple[tuple[float, float, float, float], ...] = ()
    notes: str = ""  # a PPTX page's speaker notes


class PdfDeck:
    """An open PDF: `pages` read at open; `image(i, w, h)` renders page i (from 0) to fit w x h."""

    def __init__(self, path: Path, source: str | None = None) -> None:
        self.path = path
        self.source = source or str(path)
        regular_file(path, "deck", InputError, MAX_DECK_BYTES)
        try:
            self._pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as e:
            raise InputError(_load_problem(self.source, getattr(e, "err_code", None))) from None
        try:
            n = len(self._pdf)
            if n > MAX_PAGES:
                raise InputError(f"deck {self.source!r} has {n} pages, more than the limit of {MAX_PAGES}: "
                                 "split it into several decks (and videos)")
            self.pages = tuple(self._read_page(i) for i in range(n))
        except BaseException:
            self.close()
            raise

    def _read_page(self, i: int) -> Page:
        page = self._pdf[i]
        try:
            l, b, r, t = page.get_cropbox()
            w, h = r - l, t - b
            if w <= 0 or h <= 0 or max(w, h) > MAX_PAGE_PT:
                raise InputError(f"deck {self.source!r}: page {i + 1} is {w:.0f} x {h:.0f} pt; a page must be at "
                                 f"most {MAX_PAGE_PT} pt (200 inches) a side: export the deck at a slide size "
                                 "(e.g. 16:9, 33.9 x 19.1 cm)")
            if max(w / h, h / w) > MAX_PAGE_ASPECT:
                raise InputError(f"deck {self.source!r}: page {i + 1} is {w:.0f} x {h:.0f} pt, longer than "
                                 f"{MAX_PAGE_ASPECT:g}:1, and would be a thin strip on screen: split it into "
                                 "slide-sized pages")
            turn = page.get_rotation() % 360  # shown turned clockwise: the image is, so its size and boxes turn too
            text_page = page.get_textpage()
            try:
                text = text_page.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                boxes = []
                for k in range(text_page.count_rects()):
                    x0, y0, x1, y1 = text_page.get_rect(k)  # PDF units, from the bottom-left
                    boxes.append(((x0 - l) / w, (t - y1) / h, (x1 - l) / w, (t - y0) / h))
            finally:
                text_page.close()
        finally:
            page.close()
        if turn in (90, 270):
            w, h = h, w
        return Page(i + 1, w, h, text.strip(), tuple(_turned(_clip(bx), turn) for bx in boxes))

    def image(self, i: int, width_px: int, height_px: int) -> np.ndarray:
        """Page i (from 0) rendered as large as fits width_px x height_px, its own shape kept (RGB uint8)."""
        p = self.pages[i]
        scale = min(width_px / p.width_pt, height_px / p.height_pt)
        page = self._pdf[i]
        try:
            bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
            image = np.asarray(bitmap.to_pil().convert("RGB"))
        finally:
            page.close()
        return image

    def close(self) -> None:
        self._pdf.close()


def _clip(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _turned(box: tuple[float, float, float, float], turn: int) -> tuple[float, float, float, float]:
    """A box (fractions, from the top-left) of an unturned page, on the page turned `turn` degrees clockwise."""
    x0, y0, x1, y1 = box
    if turn == 90:
        return (1 - y1, x0, 1 - y0, x1)
    if turn == 180:
        return (1 - x1, 1 - y1, 1 - x0, 1 - y0)
    if turn == 270:
        return (y0, 1 - x1, y1, 1 - x0)
    return box


def _load_problem(source: str, code: int | None) -> str:
    """The message for a PDF that PDFium could not open, by its error code."""
    if code in (_ERR_PASSWORD, _ERR_SECURITY):
        return (f"deck {source!r} is encrypted (it needs a password): save or export it again without a "
                "password, then render that copy")
    if code == _ERR_FORMAT:
        return f"deck {source!r} is not a readable PDF (damaged or not a PDF): export it again from its slides"
    return f"deck {source!r} could not be opened as a PDF: export it again from its slides"
