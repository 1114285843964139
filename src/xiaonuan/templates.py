"""Templates: templates/<name>/template.yaml → a validated, frozen `Template`.

The YAML is checked by pydantic at the edge (unknown keys, bad colours, sizes, paths that leave
the template folder); every problem becomes a TemplateError naming the file, the field, its line
and the fix. The classes below are pydantic dataclasses: ordinary frozen dataclasses whose
fields are validated when they are built.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import string
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping

import yaml
from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from xiaonuan.errors import InputError, TemplateError
from xiaonuan.paths import templates_dir, user_templates_dir
from xiaonuan.saferead import MAX_YAML_BYTES, load_yaml_with_nodes, read_text
from xiaonuan.template_spec import (STORY_VARIABLES, TEMPLATE_FILE, WEEKDAYS_ZH, Canvas, Color, SubtitleStyle,
                                    TemplateSpec, TextShape, Variables)
from xiaonuan.yamlnodes import describe_validation, duplicate_keys, line_of

if TYPE_CHECKING:
    from xiaonuan.brand import Brand


@dataclass(frozen=True, config=ConfigDict(arbitrary_types_allowed=True))
class Template:
    """A loaded template: its name, folder and validated spec, with the canvas at the top level."""

    name: str
    root: Path
    spec: TemplateSpec

    @property
    def width_px(self) -> int:
        return self.spec.canvas.width_px

    @property
    def height_px(self) -> int:
        return self.spec.canvas.height_px

    @property
    def fps(self) -> int:
        return self.spec.canvas.fps

    @property
    def subtitle_max_chars(self) -> int:
        return self.spec.subtitles.max_chars

    @property
    def intro_s(self) -> float:
        """Seconds of intro card before the speech (0 without one)."""
        return self.spec.intro.duration_s if self.spec.intro is not None else 0.0

    @property
    def outro_s(self) -> float:
        return self.spec.outro.duration_s if self.spec.outro is not None else 0.0

    def resolve_fields(self, fields: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """Template defaults overridden by `fields`; an empty date becomes today's (2025年3月4日 星期二)."""
        known = {f.name for f in dc_fields(Variables)}
        fields = {k: v for k, v in (fields or {}).items() if k not in STORY_VARIABLES}
        unknown = set(fields) - known
        if unknown:
            raise TemplateError(
                f"template '{self.name}' has no field(s) {', '.join(sorted(map(str, unknown)))} (from the script's front "
                f"matter or --set); fix: use only {', '.join(sorted(known))}"
            )
        values = {k: getattr(self.spec.variables, k) for k in known}
        values.update({k: str(v) for k, v in (fields or {}).items() if v is not None})
        if not values["date"]:
            values["date"] = format_date_zh(_dt.date.today())
        values.update({k: "1" for k in STORY_VARIABLES})
        return values

    def fill(self, text: str, values: Mapping[str, str]) -> str:
        """`text` with its {placeholders} replaced by `values`."""
        return text.format_map(values)

    def scaled(self, factor: float) -> "Template":
        """The same layout on a canvas `factor` times the size (0 < factor ≤ 1): every *_px size,
        position, font and speed scaled, texts and timings kept; the canvas stays even-sized.

        Example: load_template("news").scaled(2 / 3).width_px == 1280
        """
        return _scale_template(self, factor)

    def at_height(self, height_px: int) -> "Template":
        """This template rendered `height_px` rows high (e.g. 720 for 1280x720 from 1920x1080).

        Raises InputError unless height_px is even, ≥ MIN_HEIGHT_PX and ≤ the template's own height.
        """
        if height_px == self.height_px:
            return self
        if height_px % 2 or height_px < MIN_HEIGHT_PX or height_px > self.height_px:
            raise InputError(f"height {height_px} px is not possible for template '{self.name}'; fix: an even "
                             f"height from {MIN_HEIGHT_PX} to {self.height_px} (the template's own), e.g. 720")
        return _scale_template(self, height_px / self.height_px)


MIN_HEIGHT_PX = 240  # the smallest canvas a template is scaled to: text below this is unreadable
_MIN_FONT_PX = 6  # FontPx's lower bound
_BOXES_IN_CANVAS = ("presenter", "ticker", "slides")  # checked by _check_fits: keep them inside after rounding


def _scale_template(tpl: "Template", factor: float) -> "Template":
    if not 0 < factor <= 1:
        raise ValueError(f"template scale factor must be in (0, 1], got {factor}")
    spec = tpl.spec
    W = max(2, 2 * round(spec.canvas.width_px * factor / 2))
    H = max(2, 2 * round(spec.canvas.height_px * factor / 2))
    scaled = _scale_node(spec, factor)
    changes: dict[str, Any] = {"canvas": _replace(spec.canvas, width_px=W, height_px=H)}
    for name in _BOXES_IN_CANVAS:  # rounding must not push a box 1 px over the canvas edge
        box = getattr(scaled, name)
        if box is not None:
            x, y = min(box.x_px, W - 1), min(box.y_px, H - 1)
            changes[name] = _replace(box, x_px=x, y_px=y, width_px=min(box.width_px, W - x),
                                     height_px=min(box.height_px, H - y))
    return _replace(tpl, spec=_replace(scaled, **changes))


def _replace(obj: Any, **changes: Any) -> Any:
    return dataclasses.replace(obj, **changes)


def _scale_node(node: Any, factor: float) -> Any:
    """A spec dataclass with its pixel fields scaled: names ending in _px (or with _px_, a speed),
    and polygon points; nested layers and shapes too."""
    if dataclasses.is_dataclass(node):
        changes = {}
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if isinstance(v, Canvas):
                continue  # sized by the caller, kept even
            if f.name.endswith("_px") or "_px_" in f.name or f.name == "points":
                changes[f.name] = _scale_px(v, factor, f.name)
            elif dataclasses.is_dataclass(v) or isinstance(v, tuple):
                changes[f.name] = _scale_node(v, factor)
        return dataclasses.replace(node, **changes)
    if isinstance(node, tuple):
        return tuple(_scale_node(v, factor) for v in node)
    return node


def _scale_px(v: Any, factor: float, name: str) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, tuple):
        return tuple(_scale_px(x, factor, name) for x in v)
    if isinstance(v, float):
        return v * factor
    if isinstance(v, int):
        s = int(round(v * factor))
        if "font_size" in name:
            return max(_MIN_FONT_PX, s)
        return max(1, s) if v > 0 else s  # a visible size stays visible (SizePx ≥ 1); 0 and offsets as they are
    return v


def format_date_zh(day: _dt.date) -> str:
    """Chinese broadcast date, e.g. '2025年3月4日 星期二'."""
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS_ZH[day.weekday()]}"


_SPEC_ADAPTER = TypeAdapter(TemplateSpec)
_PALETTE_ADAPTER = TypeAdapter(dict[Literal["palette"], dict[str, Color]])  # errors located under palette:


_TEXT_FIELDS = (("headline", "text"), ("headline", "label"), ("headline", "single_label"), ("lower_third", "name"),
                ("lower_third", "title"),
                ("logo", "text"), ("logo", "subtext"), ("date", "text"), ("ticker", "text"), ("ticker", "label"),
                ("intro", "title"), ("intro", "subtitle"), ("intro", "kicker"),
                ("outro", "title"), ("outro", "subtitle"), ("outro", "kicker"), ("ai_label", "text"))


def _branded(spec: TemplateSpec, brand: "Brand") -> TemplateSpec:
    """The spec with the brand's logo image on its logo layer and the brand's font (its palette is already in)."""
    changes: dict[str, Any] = {}
    if brand.font is not None:
        changes["font"] = brand.font
    if brand.logo is not None and spec.logo is not None:
        changes["logo"] = dataclasses.replace(spec.logo, image=brand.logo)
    return dataclasses.replace(spec, **changes) if changes else spec


def field_assignment(text: str) -> tuple[str, str] | None:
    """("name", "李明") from "name=李明" (a Chinese IME's full-width ＝ too; spaces around both trimmed), or None
    when `text` is not key=value. The CLI's --set and the web page's field lines read fields with it."""
    key, sep, value = text.replace("＝", "=", 1).partition("=")
    return (key.strip(), value.strip()) if sep and key.strip() else None


def available_templates(root: Path | None = None) -> list[str]:
    """Names of the template folders under `root`; by default the project's templates/ and your own
    (paths.user_templates_dir: $XIAONUAN_TEMPLATES, else <data>/templates), sorted."""
    bases = [Path(root)] if root is not None else [templates_dir(), user_templates_dir()]
    return sorted({p.name for base in bases if base.is_dir() for p in base.iterdir() if (p / TEMPLATE_FILE).is_file()})


def is_own_template(name: str) -> bool:
    """Whether template `name` is one of yours (user_templates_dir) rather than a built-in one."""
    builtin, own = templates_dir() / name / TEMPLATE_FILE, user_templates_dir() / name / TEMPLATE_FILE
    return bool(name) and not builtin.is_file() and own.is_file()


def is_template_path(name: str) -> bool:
    """Whether `name` names a template folder by its path (./mine, ~/t/promo, /srv/t) rather than by name."""
    return "/" in name or "\\" in name or name.startswith((".", "~"))


def template_folder(name: str, root: Path | None = None) -> Path:
    """The folder of template `name`: templates/<name> (or `root`/<name>), else your own <templates>/<name>
    (user_templates_dir), or the folder `name` is a path to (one of your own, kept anywhere); TemplateError
    naming the fix when it holds no template.yaml."""
    base = Path(root) if root is not None else templates_dir()
    folder = Path(name).expanduser() if is_template_path(name) else base / name
    if root is None and not is_template_path(name) and is_own_template(name):  # a built-in name wins over yours
        folder = user_templates_dir() / name
    if not name or not (folder / TEMPLATE_FILE).is_file():
        names = available_templates(root)
        raise TemplateError(
            f"unknown template '{name}' (no {TEMPLATE_FILE} in {folder}); "
            f"fix: use one of: {', '.join(names) if names else '(none found in ' + str(base) + ')'}, "
            f"or the path to a template folder of your own (e.g. ./my_template, a copy of templates/news; copied into "
            f"{user_templates_dir()} it is picked by name)"
        )
    return folder


def load_template(name: str, root: Path | None = None, brand: "Brand | None" = None) -> Template:
    """Load and validate templates/<name>/template.yaml (or <name>/template.yaml when `name` is a folder's
    path); raise TemplateError naming what to fix. A `brand` (brand.load_brand) replaces the palette colours it
    names, the logo layer's image and the font.

    Example: load_template("news").width_px == 1920
    """
    folder = template_folder(name, root)
    path = folder / TEMPLATE_FILE
    name = folder.resolve().name if is_template_path(name) else name
    text = read_text(path, "template file", TemplateError, MAX_YAML_BYTES)
    try:
        data, node = load_yaml_with_nodes(text)  # aliases refused: the node walks below always end
    except yaml.YAMLError as e:
        raise TemplateError(f"{path}: not valid YAML: {e}; fix the syntax there") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: the top level must be a mapping (canvas:, background:, presenter: …)")
    twice = duplicate_keys(node)
    if twice:
        key, first, again = twice[0]
        raise TemplateError(f"{path}: {key!r} is written twice (lines {first} and {again}) in the same place; "
                            "YAML would keep only the second: delete the one you do not mean")
    try:
        palette = _PALETTE_ADAPTER.validate_python({"palette": data.get("palette") or {}})["palette"]
        palette.update(brand.palette if brand is not None else {})  # a brand's colours win
        spec = _SPEC_ADAPTER.validate_python({**data, "palette": palette}, context={"root": folder, "palette": palette})
    except ValidationError as e:
        raise TemplateError(f"{path}: invalid template:\n{describe_validation(e, node)}") from None
    if brand is not None:
        spec = _branded(spec, brand)
    _check_placeholders(spec, path)
    _check_fits(spec, path, node)
    return Template(name=name, root=folder.resolve(), spec=spec)


def _keys_at(node: yaml.Node | None, key: str) -> set[str]:
    """The keys written in the mapping under top-level `key` of the YAML tree (empty when there is none)."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.MappingNode):
                return {str(kk.value) for kk, _ in v.value}
    return set()


SUBTITLE_SIDE_MARGIN_PX = 40  # a subtitle line keeps at least this far from the canvas sides
# EBU R 95 (safe areas for 16:9 production): text inside the graphics ("title") safe area, 5 % in from
# each edge (90 % of the width and height); action safe is 3.5 % in (93 %). canvas/layout.py checks every
# text layer against the first, `templates preview --guides` draws both.
TITLE_SAFE_SHARE = 0.05
ACTION_SAFE_SHARE = 0.035


def safe_margins_px(width_px: int, height_px: int, share: float = TITLE_SAFE_SHARE) -> tuple[int, int]:
    """(x, y) margins of the safe area with `share` of each side left out, rounded up (never into the edge)."""
    return math.ceil(round(width_px * share, 6)), math.ceil(round(height_px * share, 6))


def subtitle_line_px(canvas_width_px: int, style: SubtitleStyle) -> int:
    """The widest a subtitle line may be drawn: the canvas less a margin on each side (the style's bottom
    margin, at least the title-safe margin and SUBTITLE_SIDE_MARGIN_PX). compose draws within it; the
    template check measures against it."""
    safe_x = safe_margins_px(canvas_width_px, 1)[0]
    return canvas_width_px - 2 * max(style.bottom_margin_px, SUBTITLE_SIDE_MARGIN_PX, safe_x)


def _check_fits(spec: TemplateSpec, path: Path, node: yaml.Node | None) -> None:
    """Boxes that must lie inside the canvas: the presenter, the ticker band and the slide panel."""
    W, H = spec.canvas.width_px, spec.canvas.height_px
    for name in ("presenter", "ticker", "slides"):
        box = getattr(spec, name)
        if box is not None and (box.x_px + box.width_px > W or box.y_px + box.height_px > H):
            line = line_of(node, [name])
            raise TemplateError(f"{path}: {name} (line {line}): the {box.width_px}x{box.height_px} box at "
                                f"({box.x_px}, {box.y_px}) does not fit the {W}x{H} canvas; fix its position or size")
    # a full line is max_chars CJK characters of font_size_px; compose shrinks a wider one to fit. Where the
    # template sets either, say so: a marketer's font_size_px 130 otherwise had no visible effect at all
    st, written = spec.subtitles, _keys_at(node, "subtitles") & {"font_size_px", "max_chars"}
    line_px = subtitle_line_px(W, st)
    if written and st.font_size_px * st.max_chars > line_px:
        raise TemplateError(f"{path}: subtitles (line {line_of(node, ['subtitles'])}): {st.max_chars} characters of "
                            f"{st.font_size_px} px are {st.font_size_px * st.max_chars} px wide, more than the {line_px} px "
                            f"a line may take, so every subtitle would be shrunk; fix: font_size_px at most "
                            f"{line_px // st.max_chars}, or max_chars at most {max(1, line_px // st.font_size_px)}")
    crop = spec.presenter.crop
    if crop[2] <= crop[0] or crop[3] <= crop[1]:
        raise TemplateError(f"{path}: presenter.crop (line {line_of(node, ['presenter', 'crop'])}): "
                            f"{list(crop)} is empty; fix: [left, top, right, bottom] fractions with left < right, "
                            "top < bottom")


def _check_placeholders(spec: TemplateSpec, path: Path) -> None:
    texts = [(f"{layer}.{attr}", getattr(getattr(spec, layer), attr))
             for layer, attr in _TEXT_FIELDS if getattr(getattr(spec, layer), attr, None) is not None]
    texts += [(f"background.shapes.{i}.text", sh.text) for i, sh in enumerate(spec.background.shapes)
              if isinstance(sh, TextShape)]
    for card in ("intro", "outro"):
        if getattr(spec, card) is not None:
            texts += [(f"{card}.background.shapes.{i}.text", sh.text)
                      for i, sh in enumerate(getattr(spec, card).background.shapes) if isinstance(sh, TextShape)]
    known = {f.name for f in dc_fields(Variables)} | set(STORY_VARIABLES)
    for where, text in texts:
        try:
            names = {fname for _, fname, _, _ in string.Formatter().parse(text) if fname is not None}
        except ValueError as e:
            raise TemplateError(f"{path}: {where}: bad placeholder in {text!r} ({e}); "
                                "fix: write literal braces as {{ and }}") from None
        bad = names - known
        if bad:
            raise TemplateError(
                f"{path}: {where}: unknown variable(s) {', '.join('{' + b + '}' for b in sorted(bad))}; "
                f"fix: use one of {', '.join('{' + k + '}' for k in sorted(known))}"
            )
