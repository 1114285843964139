"""Slide decks (PDF or PPTX) as presented videos: each page a scene, its narration spoken over it.

    pdf.py        a PDF read with pypdfium2: pages, their text and text boxes, page images
    pptx.py       a PPTX's speaker notes (python-pptx) and its pages drawn by LibreOffice headless
    narration.py  the narration of each page → the project's Script (one story per narrated page)
    layout.py     where the presenter goes on a page: the emptiest corner clear of its text

`open_deck(path)` is what render() uses: the deck read (a PPTX converted in a temporary folder that lives
as long as the Deck), its narration as a Script. The pages are drawn by canvas/deck.py.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import RenderError
from ..saferead import read_text
from .narration import DeckScript, deck_script
from .pdf import MAX_PAGES, Page, PdfDeck

DECK_SUFFIXES = (".pdf", ".pptx")
COMPANION_SUFFIX = ".md"  # deck.pptx + deck.md beside it: the companion script is found by itself

__all__ = ["DECK_SUFFIXES", "MAX_PAGES", "Deck", "DeckScript", "Page", "companion_for", "is_deck", "open_deck"]


def is_deck(path: object) -> bool:
    """Whether `path` names a deck by its suffix (.pdf, .pptx)."""
    return isinstance(path, Path) and path.suffix.lower() in DECK_SUFFIXES


def companion_for(deck: Path) -> Path | None:
    """The companion script found beside a deck (deck.md for deck.pptx), or None."""
    p = deck.with_suffix(COMPANION_SUFFIX)
    return p if p.is_file() else None


@dataclass
class Deck:
    """An open deck: its pages (text, text boxes, notes), a title, the PDF that draws them, and its narration.
    Close it (or use open_deck as a context manager) to remove the temporary PDF of a PPTX."""

    path: Path
    pages: tuple[Page, ...]
    title: str
    narration: DeckScript
    _pdf: PdfDeck
    _workdir: Path | None = None

    def image(self, i: int, width_px: int, height_px: int):
        """Page i (from 0) drawn as large as fits width_px x height_px, its shape kept (RGB uint8)."""
        return self._pdf.image(i, width_px, height_px)

    def close(self) -> None:
        self._pdf.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> "Deck":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def open_deck(path: Path, *, hold_s: float, narration: Path | None = None) -> Deck:
    """Read the deck at `path` and its narration (`narration`, else deck.md beside it, else the notes, else the
    pages' text). InputError for a deck that cannot be used; nothing is written outside a temporary folder."""
    # lazy: a backend's module loads on first use (registry)
    from . import pptx

    path = Path(path)
    source = str(path)
    companion = narration if narration is not None else companion_for(path)
    companion_text = read_text(companion, "companion script") if companion is not None else None
    workdir = None
    try:
        if path.suffix.lower() == ".pptx":
            slides, title = pptx.read_slides(path, source)  # no slides, hidden only, too many: before LibreOffice
            workdir = Path(tempfile.mkdtemp(prefix="xiaonuan-deck-"))
            pdf = PdfDeck(pptx.to_pdf(path, workdir, source), source)
            if len(pdf.pages) != len(slides):
                pdf.close()
                raise RenderError(f"LibreOffice drew {len(pdf.pages)} pages from the {len(slides)} slides of "
                                  f"{source!r}: export the deck as PDF yourself and render that")
            pages = tuple(replace(p, notes=s.notes) for p, s in zip(pdf.pages, slides))
        else:
            pdf = PdfDeck(path, source)
            pages, title = pdf.pages, ""
        title = title or next((ln.strip() for p in pages for ln in p.text.splitlines() if ln.strip()), path.stem)
        try:
            said = deck_script(pages, title=title, deck_source=source, hold_s=hold_s, companion=companion_text,
                               companion_source=str(companion) if companion else "", base_dir=path.parent)
        except BaseException:
            pdf.close()
            raise
    except BaseException:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Deck(path, pages, title, said, pdf, workdir)
