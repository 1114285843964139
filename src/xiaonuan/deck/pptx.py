"""A PPTX deck: speaker notes and texts read with python-pptx; the pages drawn by LibreOffice headless
(`soffice --convert-to pdf`), whose PDF is then read like any PDF deck.

python-pptx is imported lazily on purpose: only a PPTX deck needs it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from pptx import Presentation
from pptx.exc import PackageNotFoundError

from ..errors import DependencyError, InputError, RenderError
from ..saferead import regular_file
from .pdf import MAX_DECK_BYTES, MAX_PAGES

SOFFICE_TIMEOUT_S = 300   # LibreOffice converts a 30-page deck in ~10 s on 2 cores; a hung one is stopped
SOFFICE_PACKAGE = "libreoffice-impress"


@dataclass(frozen=True)
class Slide:
    """A visible slide's speaker notes and its texts (titles and text boxes, in order)."""

    notes: str
    texts: tuple[str, ...]


def read_slides(path: Path, source: str) -> tuple[tuple[Slide, ...], str]:
    """(the visible slides, the deck's title from its properties or "") of a PPTX file."""
    regular_file(path, "deck", InputError, MAX_DECK_BYTES)
    try:
        prs = Presentation(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise InputError(f"deck {source!r} is not a readable PPTX ({type(e).__name__}): save it again from "
                         "PowerPoint or LibreOffice as .pptx") from None
    slides = []
    for slide in prs.slides:
        if slide._element.get("show") == "0":  # a hidden slide: LibreOffice leaves it out of the PDF too
            continue
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide and \
            slide.notes_slide.notes_text_frame is not None else ""
        texts = tuple(sh.text_frame.text.strip() for sh in slide.shapes
                      if sh.has_text_frame and sh.text_frame.text.strip())
        slides.append(Slide(notes.strip(), texts))
    if not slides:
        raise InputError(f"deck {source!r} has no slides (or only hidden ones): add slides, or pick another file")
    if len(slides) > MAX_PAGES:
        raise InputError(f"deck {source!r} has {len(slides)} slides, more than the limit of {MAX_PAGES}: "
                         "split it into several decks (and videos)")
    return tuple(slides), (prs.core_properties.title or "").strip()


def soffice() -> str:
    """The LibreOffice program, or DependencyError naming the package that brings it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise DependencyError(f"LibreOffice is not installed, and PPTX decks need it to draw their pages: "
                              f"`apt-get install {SOFFICE_PACKAGE}` (or export the deck as PDF and render that)")
    return found


def to_pdf(path: Path, workdir: Path, source: str) -> Path:
    """The PPTX converted to PDF by LibreOffice headless in `workdir`, with a private profile there (a
    user's open LibreOffice, or another render, never shares or locks it)."""
    program = soffice()
    profile = workdir / "lo-profile"
    out_dir = workdir / "pdf"
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [program, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out_dir), str(path.resolve())]
    env = {**os.environ, "HOME": str(workdir)}  # nothing written to the user's home either
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env=env, start_new_session=True)  # its own process group: a hung one is stopped whole
    try:
        stdout, stderr = proc.communicate(timeout=SOFFICE_TIMEOUT_S)
    except BaseException as e:  # the timeout, Ctrl-C or SIGTERM: soffice.bin must not outlive the render
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            raise RenderError(f"LibreOffice took more than {SOFFICE_TIMEOUT_S} s to convert deck {source!r} to "
                              "PDF and was stopped: export it as PDF yourself and render that") from None
        raise
    pdf = out_dir / (path.stem + ".pdf")
    if proc.returncode != 0 or not pdf.is_file():
        tail = " ".join((stderr or stdout or "").split())[-300:]
        raise RenderError(f"LibreOffice could not convert deck {source!r} to PDF (exit {proc.returncode}"
                          f"{': ' + tail if tail else ''}): open it in LibreOffice Impress to check it, or "
                          "export it as PDF and render that")
    return pdf
