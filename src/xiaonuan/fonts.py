"""The CJK font every template draws with: Noto Sans CJK from the `manimgx_fonts_cjk` wheel.

The wheel ships one variable TTC holding the JP, KR, SC, TC and HK faces; Simplified Chinese
text needs the SC face (the others draw some hanzi with regional glyph shapes). Fonts are
cached per (size, weight), so templates and subtitles can ask for them freely.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

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


@lru_cache(maxsize=64)
def load_font(size_px: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC at `size_px` pixels and a named weight (see WEIGHTS); cached.

    Example: load_font(48, "Bold").
    """
    if weight not in WEIGHTS:
        raise TemplateError(f"unknown font weight '{weight}'; fix: use one of {', '.join(WEIGHTS)}")
    if size_px < 1:
        raise TemplateError(f"font size must be at least 1 px, got {size_px}")
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
