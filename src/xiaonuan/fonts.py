"""The CJK font every template draws with: Noto Sans CJK from the `manimgx_fonts_cjk` wheel.

The wheel ships one variable TTC holding the JP, KR, SC, TC and HK faces; Simplified Chinese
text needs the SC face (the others draw some hanzi with regional glyph shapes). Fonts are
cached per (size, weight), so templates and subtitles can ask for them freely.
"""

from __future__ import annotations

import importlib.resources
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from PIL import Image, ImageDraw, ImageFont

from xiaonuan.errors import TemplateError

FONT_PACKAGE = "manimgx_fonts_cjk"
FONT_FILE = "NotoSansCJK-VF.otf.ttc"
SC_FACE_MARKER = "CJK SC"  # family name of the Simplified Chinese face, e.g. "Noto Sans CJK SC"
MAX_FACES = 16  # a TTC never holds more faces than this; stop scanning there

# Weight axis values of the variable font (OpenType usWeightClass), by the names used in templates.
WEIGHTS = {
    "Thin": 100,
    "Light": 300,
    "DemiLight": 350,
    "Regular": 400,
    "Medium": 500,
    "Bold": 700,
    "Black": 900,
}


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK TTC inside the installed `manimgx_fonts_cjk` package."""
    try:
        path = Path(str(importlib.resources.files(FONT_PACKAGE) / FONT_FILE))
    except ModuleNotFoundError:
        raise TemplateError(
            f"the CJK font package '{FONT_PACKAGE}' is not installed; "
            "fix: pip install manimgx-fonts-cjk (it is a dependency of xiaonuan)"
        ) from None
    if not path.is_file():
        raise TemplateError(
            f"the CJK font file {path} is missing; fix: reinstall it with "
            "pip install --force-reinstall manimgx-fonts-cjk"
        )
    return path


@lru_cache(maxsize=1)
def sc_face_index() -> int:
    """Index of the Simplified Chinese face in the TTC, found by its family name (not assumed)."""
    path = cjk_font_path()
    for index in range(MAX_FACES):
        try:
            family, _style = ImageFont.truetype(str(path), 12, index=index).getname()
        except OSError:
            break
        if family and SC_FACE_MARKER in family:
            return index
    raise TemplateError(
        f"no Simplified Chinese face ('{SC_FACE_MARKER}') in {path}; "
        "fix: reinstall manimgx-fonts-cjk"
    )


# A brand's or template's own font file (.ttf/.otf) for the text drawn inside a `font_file` block; None: Noto
# Sans CJK SC. A context variable rather than an argument: every drawing function asks load_font for its sizes,
# and the compositor sets it around its drawing (canvas/compositor.py), so nothing else has to pass it on.
_FONT_FILE: ContextVar[Path | None] = ContextVar("xiaonuan_font_file", default=None)


@contextmanager
def font_file(path: Path | None) -> Iterator[None]:
    """Text drawn inside this block uses the font file `path` (None: the bundled CJK font)."""
    token = _FONT_FILE.set(path)
    try:
        yield
    finally:
        _FONT_FILE.reset(token)


def load_font(size_px: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC (or the font_file in use) at `size_px` pixels and a named weight (see WEIGHTS); cached.

    Example: load_font(48, "Bold").
    """
    return _load_font(_FONT_FILE.get(), size_px, weight)


@lru_cache(maxsize=128)
def _load_font(path: Path | None, size_px: int, weight: str) -> ImageFont.FreeTypeFont:
    if weight not in WEIGHTS:
        raise TemplateError(f"unknown font weight '{weight}'; fix: use one of {', '.join(WEIGHTS)}")
    if size_px < 1:
        raise TemplateError(f"font size must be at least 1 px, got {size_px}")
    if path is not None:  # one face; a variable font still gets its weight below, a static one keeps its own
        font = ImageFont.truetype(str(path), size_px)
    else:
        font = ImageFont.truetype(str(cjk_font_path()), size_px, index=sc_face_index())
    try:
        font.set_variation_by_name(weight)
    except (OSError, ValueError):
        # Older FreeType builds without named instances: fall back to the weight axis, and
        # to the default (Regular-looking) outline where variations are unsupported at all.
        try:
            font.set_variation_by_axes([WEIGHTS[weight]])
        except OSError:
            pass
    return font


FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
CJK_SAMPLE = "中文字体的是在了"  # common hanzi: a font for Chinese text draws every one of them
_MISSING = "\U0010fffd"  # a private-use code point no font maps: what FreeType draws for a missing glyph


def font_problem(path: Path) -> str | None:
    """Why `path` cannot be used as a font file (wrong kind, unreadable), or None."""
    if path.suffix.lower() not in FONT_SUFFIXES:
        return f"font file {path.name!r} is not a .ttf, .otf or .ttc font; fix: give a TrueType/OpenType font file"
    try:
        ImageFont.truetype(str(path), 24)
    except OSError as e:
        return f"font file {path.name!r} cannot be opened as a font ({e}); fix: give a working .ttf/.otf file"
    return None


def missing_cjk(path: Path) -> str:
    """The characters of CJK_SAMPLE that the font at `path` has no glyph for ('' when it has them all):
    each is compared with what the font draws for a code point no font has (its .notdef box, or nothing)."""
    font = ImageFont.truetype(str(path), 32)

    def drawn(ch: str) -> bytes:
        im = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(im).text((8, 8), ch, font=font, fill=255)
        return im.tobytes()

    blank = drawn(_MISSING)
    return "".join(ch for ch in CJK_SAMPLE if drawn(ch) == blank)
