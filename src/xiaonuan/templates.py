"""Templates: templates/<name>/template.yaml → a validated, frozen `Template`.

The YAML is checked by pydantic at the edge (unknown keys, bad colours, sizes, paths that leave
the template folder); every problem becomes a TemplateError naming the file, the field, its line
and the fix. The classes below are pydantic dataclasses: ordinary frozen dataclasses whose
fields are validated when they are built.
"""

from __future__ import annotations

import datetime as _dt
import re
import string
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Union

import yaml
from pydantic import (AfterValidator, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo,
                      model_validator)
from pydantic.dataclasses import dataclass

from xiaonuan.errors import InputError, TemplateError
from xiaonuan.fonts import WEIGHTS
from xiaonuan.paths import templates_dir
from xiaonuan.saferead import MAX_YAML_BYTES, image_problem, load_yaml_with_nodes, read_text, regular_file
from xiaonuan.yamlnodes import describe_validation, duplicate_keys, line_of

TEMPLATE_FILE = "template.yaml"
AI_LABEL_TEXT = "AI生成 / AI-generated"
MAX_SUBTITLE_LINES = 2
MAX_CANVAS_PX = 7680  # 8K; anything larger is a typo
MAX_FPS = 120
WEEKDAYS_ZH = "一二三四五六日"

_CONFIG = ConfigDict(extra="forbid")
_COLOR_RE = re.compile(r"^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")
_SHORT_COLOR_RE = re.compile(r"^\s*#[0-9a-fA-F]{3,4}\s*$")  # CSS shorthand: #fff, #fff8

Rgba = tuple[int, int, int, int]


def _parse_color(value: Any) -> Rgba:
    """'#rrggbb' or '#rrggbbaa' → (r, g, b, a) ints; CSS's short '#rgb' and '#rgba' are read as '#rrggbb(aa)'."""
    if isinstance(value, (tuple, list)) and len(value) == 4:
        return tuple(int(v) for v in value)  # type: ignore[return-value]
    if value is None:  # `color: #0a1a3a` unquoted: YAML reads a comment
        raise ValueError("colour is empty: write it in quotes, e.g. '#0a1a3a' (in YAML an unquoted # starts a comment)")
    if isinstance(value, str) and _SHORT_COLOR_RE.match(value):
        value = "#" + "".join(c * 2 for c in value.strip()[1:])
    m = _COLOR_RE.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"colour must be '#rrggbb' or '#rrggbbaa' (hex), got {value!r}")
    rgb = bytes.fromhex(m.group(1))
    alpha = int(m.group(2), 16) if m.group(2) else 255
    return (rgb[0], rgb[1], rgb[2], alpha)


def _asset_path(value: Any, info: ValidationInfo) -> Path | None:
    """A file inside the template folder, given relative to it; '..' and absolute paths are refused."""
    if value is None:
        return None
    root = (info.context or {}).get("root")
    if root is None and isinstance(value, Path) and value.is_absolute() and value.is_file():
        return value  # already resolved and confined when loaded: a copy (dataclasses.replace, scaled())
    if root is None:
        raise ValueError("asset paths can only be checked when loading from a template folder")
    rel = Path(str(value))
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"asset path {value!r} leaves the template folder; give a path relative to it, without '..'")
    path = (Path(root) / rel).resolve()
    if not path.is_relative_to(Path(root).resolve()):
        raise ValueError(f"asset path {value!r} leaves the template folder (through a link)")
    if not path.exists():
        raise ValueError(f"asset file {value!r} does not exist in {root}")
    try:
        regular_file(path, "asset file")  # a folder or a FIFO is named as one, and never opened
    except InputError as e:
        raise ValueError(str(e)) from None
    return path


def _readable_image(path: Path | None) -> Path | None:
    """An image asset that PIL can decode (checked at load, not found broken mid-render)."""
    why = None if path is None else image_problem(path)  # within the pixel cap: a decompression bomb is refused
    if why:
        raise ValueError(f"image {path.name!r} {why}")
    return path


Color = Annotated[Rgba, BeforeValidator(_parse_color)]
AssetPath = Annotated[Union[Path, None], BeforeValidator(_asset_path)]
ImagePath = Annotated[Union[Path, None], BeforeValidator(_asset_path), AfterValidator(_readable_image)]
Px = Annotated[int, Field(ge=0, le=MAX_CANVAS_PX)]
SizePx = Annotated[int, Field(ge=1, le=MAX_CANVAS_PX)]
FontPx = Annotated[int, Field(ge=6, le=400)]
Weight = Annotated[str, AfterValidator(lambda w: w if w in WEIGHTS else _bad_weight(w))]


def _bad_weight(w: str) -> str:
    raise ValueError(f"unknown font weight {w!r}; use one of {', '.join(WEIGHTS)}")


@dataclass(frozen=True, config=_CONFIG)
class Canvas:
    """Output frame size and rate."""

    width_px: Annotated[int, Field(ge=16, le=MAX_CANVAS_PX, multiple_of=2)]  # even: yuv420p needs it
    height_px: Annotated[int, Field(ge=16, le=MAX_CANVAS_PX, multiple_of=2)]
    fps: Annotated[int, Field(ge=1, le=MAX_FPS)]


@dataclass(frozen=True, config=_CONFIG)
class Variables:
    """Text fields a render fills in; these are the defaults. An empty date means today's date."""

    headline: str = ""
    name: str = ""
    title: str = ""
    date: str = ""
    channel: str = ""
    ticker: str = ""  # the scrolling news ticker's text
    tagline: str = ""  # a line for the intro/outro cards


# Filled in per story by the compositor (not settable from a script): "1", "3".
STORY_VARIABLES = ("story_no", "story_count")


@dataclass(frozen=True, config=_CONFIG)
class BoxShape:
    """A filled (or outlined) rectangle or ellipse drawn on the background, optionally blurred."""

    kind: Literal["rect", "ellipse"]
    x_px: int
    y_px: int
    width_px: SizePx
    height_px: SizePx
    color: Color
    radius_px: Px = 0  # rounded corners (rect only)
    outline_px: Px = 0  # 0 = filled
    blur_px: Px = 0  # Gaussian blur radius: soft glows and light bands


@dataclass(frozen=True, config=_CONFIG)
class PolygonShape:
    """A filled polygon (e.g. a diagonal light band) on the background."""

    kind: Literal["polygon"]
    points: tuple[tuple[int, int], ...] = Field(min_length=3)
    color: Color = (255, 255, 255, 32)
    blur_px: Px = 0


@dataclass(frozen=True, config=_CONFIG)
class GlobeShape:
    """A wireframe globe (meridian ellipses and parallel chords): the classic news-wall motif."""

    kind: Literal["globe"]
    x_px: int  # centre
    y_px: int
    radius_px: SizePx
    color: Color
    meridians: Annotated[int, Field(ge=1, le=64)] = 8
    parallels: Annotated[int, Field(ge=1, le=64)] = 7
    outline_px: SizePx = 2
    blur_px: Px = 0


@dataclass(frozen=True, config=_CONFIG)
class GridShape:
    """Thin grid lines over a region: the faint 'video wall' texture."""

    kind: Literal["grid"]
    x_px: int
    y_px: int
    width_px: SizePx
    height_px: SizePx
    spacing_px: SizePx
    color: Color
    line_px: SizePx = 1


@dataclass(frozen=True, config=_CONFIG)
class TextShape:
    """Static text on the background (a wall caption, a big faint 'NEWS'); may use {variables}."""

    kind: Literal["text"]
    x_px: int
    y_px: int
    text: str
    font_size_px: FontPx = 40
    color: Color = (255, 255, 255, 255)
    weight: Weight = "Bold"
    anchor: Literal["lt", "mt", "rt", "lm", "mm", "rm", "ls", "ms", "rs"] = "lt"  # PIL text anchor


Shape = Annotated[Union[BoxShape, PolygonShape, GlobeShape, GridShape, TextShape], Field(discriminator="kind")]


@dataclass(frozen=True, config=_CONFIG)
class Background:
    """A colour or gradient (top → bottom colour), an optional image or looping video over it, then shapes."""

    top_color: Color
    bottom_color: Color | None = None  # None: a flat top_color
    gradient: Literal["vertical", "horizontal", "diagonal", "radial"] = "vertical"
    image: ImagePath = None
    image_opacity: Annotated[float, Field(ge=0, le=1)] = 1.0
    # a looping background clip, cover-scaled to the canvas and streamed (loopvideo.py); the gradient
    # tints it (video_opacity < 1), the image and the shapes are drawn over it
    video: AssetPath = None
    video_opacity: Annotated[float, Field(ge=0, le=1)] = 1.0
    video_loop_fade_s: Annotated[float, Field(ge=0, le=5)] = 0.8  # cross-fade of the clip's end into its start
    shapes: tuple[Shape, ...] = ()


@dataclass(frozen=True, config=_CONFIG)
class Border:
    """A line drawn just outside the presenter box."""

    width_px: SizePx
    color: Color


@dataclass(frozen=True, config=_CONFIG)
class Shadow:
    """A soft drop shadow under the presenter panel."""

    color: Color
    offset_px: tuple[int, int] = (0, 12)
    blur_px: Px = 24


@dataclass(frozen=True, config=_CONFIG)
class PresenterBox:
    """Where presenter frames go; `fit` is cover (crop to fill), contain (letterbox) or stretch."""

    x_px: Px
    y_px: Px
    width_px: SizePx
    height_px: SizePx
    fit: Literal["cover", "contain", "stretch"] = "cover"
    # box: a framed panel; circle: a round picture-in-picture; matte: cut out over the template
    # background with the avatar's alpha matte (a feathered oval cut-out where no matte is given)
    style: Literal["box", "circle", "matte"] = "box"
    crop: tuple[Annotated[float, Field(ge=0, le=1)], ...] = Field((0.0, 0.0, 1.0, 1.0), min_length=4, max_length=4)
    fill_color: Color = (0, 0, 0, 255)  # behind a 'contain' presenter
    corner_radius_px: Px = 0
    border: Border | None = None
    shadow: Shadow | None = None
    # style 'matte': the cut-out fades out over this many px towards the sides and bottom of where the
    # presenter is pasted, so the person never ends in a hard edge where the box ends (0: no fade)
    edge_fade_px: Px = 72
    # face-aware framing (framing.py): zoom into the avatar's face until its outer eye corners are at
    # least this far apart on the canvas (as far as the head still fits the box); 0 turns it off
    face_px: Px = 160
    # the presenter's expression: neutral, warm (slight smile) or serious; a script's front matter overrides it
    expression: Literal["neutral", "warm", "serious"] = "neutral"


@dataclass(frozen=True, config=_CONFIG)
class HeadlineBar:
    """The headline strap: a coloured label block, then the bar with the headline text."""

    x_px: Px
    y_px: Px
    width_px: SizePx
    height_px: SizePx
    text: str = "{headline}"
    label: str = ""
    label_width_px: Px = 0
    label_color: Color = (215, 25, 32, 255)
    label_text_color: Color = (255, 255, 255, 255)
    bar_color: Color = (255, 255, 255, 255)
    text_color: Color = (10, 20, 40, 255)
    accent_color: Color | None = None  # thin line along the top of the bar
    accent_px: Px = 0
    font_size_px: FontPx = 44
    label_font_size_px: FontPx = 40
    weight: Weight = "Bold"


@dataclass(frozen=True, config=_CONFIG)
class LowerThird:
    """Name and title strap that slides in at in_s and out at out_s (None: stays)."""

    x_px: Px
    y_px: Px
    min_width_px: SizePx = 360
    name: str = "{name}"
    title: str = "{title}"
    name_font_size_px: FontPx = 40
    title_font_size_px: FontPx = 28
    name_color: Color = (255, 255, 255, 255)
    name_bg_color: Color = (200, 16, 30, 255)
    title_color: Color = (20, 30, 60, 255)
    title_bg_color: Color = (255, 255, 255, 240)
    accent_color: Color | None = None  # a vertical bar at the strap's left edge
    accent_px: Px = 0
    padding_px: Px = 18
    in_s: Annotated[float, Field(ge=0)] = 1.0
    out_s: Annotated[float, Field(gt=0)] | None = None
    transition_s: Annotated[float, Field(gt=0, le=5)] = 0.5
    slide_px: Px = 80

    @model_validator(mode="after")
    def _out_after_in(self) -> "LowerThird":
        if self.out_s is not None and self.out_s <= self.in_s:  # it would never be seen
            raise ValueError(f"out_s {self.out_s:g} is not after in_s {self.in_s:g}: the strap would never show; "
                             "make out_s later than in_s (or leave it out to keep the strap up)")
        return self


@dataclass(frozen=True, config=_CONFIG)
class Logo:
    """The channel bug: an image, a text block, or both side by side."""

    x_px: Px
    y_px: Px
    height_px: SizePx
    image: ImagePath = None
    text: str = ""
    subtext: str = ""
    font_size_px: FontPx = 40
    subtext_font_size_px: FontPx = 16
    text_color: Color = (255, 255, 255, 255)
    bg_color: Color | None = None
    padding_px: Px = 14
    opacity: Annotated[float, Field(gt=0, le=1)] = 1.0


@dataclass(frozen=True, config=_CONFIG)
class Ticker:
    """The news ticker: a label block, then text scrolling right to left in a band."""

    x_px: Px
    y_px: Px
    width_px: SizePx
    height_px: SizePx
    text: str = "{ticker}"
    label: str = ""
    label_width_px: Px = 0
    label_color: Color = (215, 25, 32, 255)
    label_text_color: Color = (255, 255, 255, 255)
    bg_color: Color = (10, 20, 45, 255)
    text_color: Color = (255, 255, 255, 255)
    font_size_px: FontPx = 30
    speed_px_s: Annotated[float, Field(gt=0, le=2000)] = 140.0
    separator: str = "   ◆   "


@dataclass(frozen=True, config=_CONFIG)
class SlidePanel:
    """The slide panel: the story's title, then bullets and images appearing as they are spoken."""

    x_px: Px
    y_px: Px
    width_px: SizePx
    height_px: SizePx
    bg_color: Color = (255, 255, 255, 240)
    corner_radius_px: Px = 16
    shadow: Shadow | None = None
    padding_px: Px = 48
    title_font_size_px: FontPx = 54
    title_color: Color = (20, 30, 60, 255)
    accent_color: Color = (30, 110, 240, 255)
    bullet_font_size_px: FontPx = 38
    bullet_color: Color = (40, 50, 70, 255)
    item_in_s: Annotated[float, Field(gt=0, le=3)] = 0.45
    item_slide_px: Px = 40


@dataclass(frozen=True, config=_CONFIG)
class Card:
    """A full-screen intro or outro card: background, title, subtitle and (intro) the story list."""

    duration_s: Annotated[float, Field(ge=0.5, le=10)]
    background: Background
    title: str = "{headline}"
    subtitle: str = "{date}"
    kicker: str = "{channel}"
    title_font_size_px: FontPx = 96
    subtitle_font_size_px: FontPx = 40
    kicker_font_size_px: FontPx = 34
    title_color: Color = (255, 255, 255, 255)
    subtitle_color: Color = (220, 230, 255, 255)
    accent_color: Color = (215, 25, 32, 255)
    center_y_px: Px | None = None  # vertical centre of the title block; None: the canvas centre
    list_stories: bool = False  # list the stories' headlines (a bulletin's running order)
    list_font_size_px: FontPx = 36
    list_color: Color = (255, 255, 255, 235)


@dataclass(frozen=True, config=_CONFIG)
class Transition:
    """Between stories (and into/out of the cards): a coloured band sweeping across the screen."""

    kind: Literal["wipe", "none"] = "wipe"
    duration_s: Annotated[float, Field(gt=0, le=3)] = 0.7
    color: Color = (215, 25, 32, 255)
    accent_color: Color = (255, 255, 255, 255)
    band_px: SizePx = 360


@dataclass(frozen=True, config=_CONFIG)
class Music:
    """Background music under the whole video, ducked while the presenter speaks."""

    kind: Literal["pad", "file"] = "pad"  # pad: a soft synthesised chord pad; file: the asset below
    file: AssetPath = None  # WAV/MP3/… inside the template folder, looped
    volume_db: Annotated[float, Field(ge=-60, le=0)] = -20.0
    duck_db: Annotated[float, Field(ge=-40, le=0)] = -12.0  # extra gain while speech is heard
    fade_s: Annotated[float, Field(ge=0, le=10)] = 1.5

    @model_validator(mode="after")
    def _file_or_pad(self) -> "Music":
        # a file: without kind: file played the synthesised pad instead, and kind: file without a file did too
        if self.kind == "file" and self.file is None:
            raise ValueError("kind 'file' needs file: music.wav (inside the template folder)")
        if self.kind == "pad" and self.file is not None:
            raise ValueError("a music file is played only with kind: file; write kind: file (or remove file:)")
        return self


@dataclass(frozen=True, config=_CONFIG)
class DateStyle:
    """The date text, anchored at (x_px, y_px) by its left or right edge."""

    x_px: Px
    y_px: Px
    text: str = "{date}"
    anchor: Literal["left", "right"] = "right"
    font_size_px: FontPx = 30
    color: Color = (255, 255, 255, 255)
    weight: Weight = "Medium"


@dataclass(frozen=True, config=_CONFIG)
class SubtitleStyle:
    """Subtitles centred at the bottom; max_chars is CJK characters per line (Latin letters count half)."""

    font_size_px: FontPx = 46
    color: Color = (255, 255, 255, 255)
    outline_color: Color = (0, 0, 0, 255)
    outline_px: Px = 3
    shadow_color: Color | None = (0, 0, 0, 160)
    shadow_offset_px: tuple[int, int] = (2, 3)
    box_color: Color | None = None  # optional plate behind the text
    bottom_margin_px: Px = 40
    line_spacing: Annotated[float, Field(ge=1, le=3)] = 1.25
    max_chars: Annotated[int, Field(ge=4, le=60)] = 18
    max_lines: Annotated[int, Field(ge=1, le=MAX_SUBTITLE_LINES)] = MAX_SUBTITLE_LINES
    weight: Weight = "Medium"
    center_y_px: Px | None = None  # None: at the bottom (bottom_margin_px); else centred on this row
    emphasis_color: Color | None = (255, 214, 0, 255)  # **emphasised** words; None: no highlight
    translation_font_size_px: FontPx = 32  # the English line of bilingual subtitles
    translation_color: Color = (230, 236, 255, 255)


@dataclass(frozen=True, config=_CONFIG)
class AiLabel:
    """The visible AI-generated mark; it is always drawn and cannot be switched off."""

    text: Annotated[str, Field(min_length=2)] = AI_LABEL_TEXT
    position: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "top-right"
    margin_px: tuple[int, int] = (40, 40)  # from the chosen corner: (x, y)
    font_size_px: FontPx = 22
    color: Color = (255, 255, 255, 230)
    bg_color: Color | None = (0, 0, 0, 110)
    padding_px: Px = 8


@dataclass(frozen=True, config=_CONFIG)
class TemplateSpec:
    """The whole template.yaml, as validated."""

    canvas: Canvas
    background: Background
    presenter: PresenterBox
    subtitles: SubtitleStyle = SubtitleStyle()
    ai_label: AiLabel = AiLabel()
    variables: Variables = Variables()
    headline: HeadlineBar | None = None
    lower_third: LowerThird | None = None
    logo: Logo | None = None
    date: DateStyle | None = None
    ticker: Ticker | None = None
    slides: SlidePanel | None = None
    intro: Card | None = None
    outro: Card | None = None
    transition: Transition | None = None
    music: Music | None = None
    description: str = ""


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
        from xiaonuan.errors import InputError

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
    import dataclasses

    return dataclasses.replace(obj, **changes)


def _scale_node(node: Any, factor: float) -> Any:
    """A spec dataclass with its pixel fields scaled: names ending in _px (or with _px_, a speed),
    and polygon points; nested layers and shapes too."""
    import dataclasses

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
_TEXT_FIELDS = (("headline", "text"), ("headline", "label"), ("lower_third", "name"), ("lower_third", "title"),
                ("logo", "text"), ("logo", "subtext"), ("date", "text"), ("ticker", "text"), ("ticker", "label"),
                ("intro", "title"), ("intro", "subtitle"), ("intro", "kicker"),
                ("outro", "title"), ("outro", "subtitle"), ("outro", "kicker"), ("ai_label", "text"))


def field_assignment(text: str) -> tuple[str, str] | None:
    """("name", "李明") from "name=李明" (a Chinese IME's full-width ＝ too; spaces around both trimmed), or None
    when `text` is not key=value. The CLI's --set and the web page's field lines read fields with it."""
    key, sep, value = text.replace("＝", "=", 1).partition("=")
    return (key.strip(), value.strip()) if sep and key.strip() else None


def available_templates(root: Path | None = None) -> list[str]:
    """Names of the template folders under `root` (default: the project's templates/)."""
    base = Path(root) if root is not None else templates_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / TEMPLATE_FILE).is_file())


def is_template_path(name: str) -> bool:
    """Whether `name` names a template folder by its path (./mine, ~/t/promo, /srv/t) rather than by name."""
    return "/" in name or "\\" in name or name.startswith((".", "~"))


def template_folder(name: str, root: Path | None = None) -> Path:
    """The folder of template `name`: templates/<name> (or `root`/<name>), or the folder `name` is a path
    to (one of your own, kept anywhere); TemplateError naming the fix when it holds no template.yaml."""
    base = Path(root) if root is not None else templates_dir()
    folder = Path(name).expanduser() if is_template_path(name) else base / name
    if not name or not (folder / TEMPLATE_FILE).is_file():
        names = available_templates(base)
        raise TemplateError(
            f"unknown template '{name}' (no {TEMPLATE_FILE} in {folder}); "
            f"fix: use one of: {', '.join(names) if names else '(none found in ' + str(base) + ')'}, "
            f"or the path to a template folder of your own (e.g. ./my_template, a copy of templates/news)"
        )
    return folder


def load_template(name: str, root: Path | None = None) -> Template:
    """Load and validate templates/<name>/template.yaml (or <name>/template.yaml when `name` is a folder's
    path); raise TemplateError naming what to fix.

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
        spec = _SPEC_ADAPTER.validate_python(data, context={"root": folder})
    except ValidationError as e:
        raise TemplateError(f"{path}: invalid template:\n{describe_validation(e, node)}") from None
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


def subtitle_line_px(canvas_width_px: int, style: SubtitleStyle) -> int:
    """The widest a subtitle line may be drawn: the canvas less a margin on each side (the style's bottom
    margin, at least SUBTITLE_SIDE_MARGIN_PX). compose draws within it; the template check measures against it."""
    return canvas_width_px - 2 * max(style.bottom_margin_px, SUBTITLE_SIDE_MARGIN_PX)


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
             for layer, attr in _TEXT_FIELDS if getattr(spec, layer) is not None]
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
