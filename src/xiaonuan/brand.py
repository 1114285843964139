"""Brand kits: one brand.yaml (palette colours, a logo image, a font file) applied to every template.

    palette: {primary: "#c8102e", accent: "#ffb000"}   # any of template_spec.PALETTE_NAMES
    logo: logo.png                                    # beside the brand file; the templates' logo layer shows it
    font: fonts/MyBrand-Bold.otf                      # all text; a font without Chinese glyphs is warned about

Every built-in template refers to its colours by these palette names ('$primary', '$accent/e8'), so a brand
recolours all of them; without a brand the templates' own palettes give their usual look. The file is
checked by pydantic at the edge: an unknown key or palette name, a bad colour, a logo or font that is
missing, leaves the brand's folder or cannot be opened is a TemplateError naming the line and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from xiaonuan.errors import TemplateError
from xiaonuan.fonts import missing_cjk
from xiaonuan.saferead import MAX_YAML_BYTES, load_yaml_with_nodes, read_text
from xiaonuan.template_spec import PALETTE_NAMES, Color, FontPath, ImagePath, Rgba
from xiaonuan.yamlnodes import describe_validation, duplicate_keys


def _known_name(name: str) -> str:
    if name not in PALETTE_NAMES:
        raise ValueError(f"{name!r} is not a palette name a template uses; fix: one of {', '.join(PALETTE_NAMES)}")
    return name


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class BrandSpec:
    """brand.yaml as validated."""

    palette: dict[Annotated[str, AfterValidator(_known_name)], Color] = Field(default_factory=dict)
    logo: ImagePath = None
    font: FontPath = None
    description: str = ""


_ADAPTER = TypeAdapter(BrandSpec)


@dataclass(frozen=True)
class Brand:
    """A loaded brand: its file, palette, logo and font, and what to warn about (a font without Chinese)."""

    path: Path
    palette: dict[str, Rgba]
    logo: Path | None
    font: Path | None
    warnings: tuple[str, ...] = ()


def load_brand(path: str | Path) -> Brand:
    """Read and check a brand file; TemplateError naming the line and the fix.

    Example: load_brand("brand.yaml").palette["primary"] == (200, 16, 46, 255)
    """
    path = Path(path).expanduser()
    text = read_text(path, "brand file", TemplateError, MAX_YAML_BYTES)
    try:
        data, node = load_yaml_with_nodes(text)
    except yaml.YAMLError as e:
        raise TemplateError(f"{path}: not valid YAML: {e}; fix the syntax there") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: the top level must be a mapping; fix: write palette:, logo: and font: keys, "
                            "e.g. palette: {primary: '#c8102e'}")
    twice = duplicate_keys(node)
    if twice:
        key, first, again = twice[0]
        raise TemplateError(f"{path}: {key!r} is written twice (lines {first} and {again}); delete the one you do not mean")
    try:
        spec = _ADAPTER.validate_python(data, context={"root": path.parent})
    except ValidationError as e:
        raise TemplateError(f"{path}: invalid brand file:\n{describe_validation(e, node)}") from None
    warnings = []
    if spec.font is not None:
        missing = missing_cjk(spec.font)
        if missing:
            warnings.append(f"brand font {spec.font.name} has no glyph for {missing}: Chinese text would show as "
                            "empty boxes; fix: a font with Chinese glyphs (e.g. Noto Sans CJK SC / 思源黑体)")
    return Brand(path.resolve(), dict(spec.palette), spec.logo, spec.font, tuple(warnings))
