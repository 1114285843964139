"""The template.yaml schema: validated, frozen pydantic dataclasses, one per layer of a template.

Split out of templates.py (which loads, scales and checks templates) so that each stays readable;
the canvas layers import these types to draw what a template asks for.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic.dataclasses import dataclass

from xiaonuan.errors import InputError
from xiaonuan.fonts import WEIGHTS, font_problem
from xiaonuan.saferead import image_problem, regular_file

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


# The palette names every built-in template defines and a brand file may set (brand.py): one set, so that a
# brand applies to every template. A template may add names of its own.
PALETTE_NAMES = ("primary", "secondary", "accent", "light", "dark", "text", "background_top", "background_bottom")
_PALETTE_REF_RE = re.compile(r"^\$([a-z][a-z0-9_]*)(?:/([0-9a-fA-F]{2}))?$")


def _parse_color(value: Any, info: ValidationInfo) -> Rgba:
    """'#rrggbb' or '#rrggbbaa' → (r, g, b, a) ints; CSS's short '#rgb' and '#rgba' are read as '#rrggbb(aa)';
    '$primary' is the palette's colour of that name, '$primary/e8' the same with alpha e8 (hex)."""
    if isinstance(value, (tuple, list)) and len(value) == 4:
        return tuple(int(v) for v in value)  # type: ignore[return-value]
    ref = _PALETTE_REF_RE.match(value.strip()) if isinstance(value, str) else None
    if ref:
        palette = (info.context or {}).get("palette") or {}
        if ref.group(1) not in palette:
            raise ValueError(f"no colour {ref.group(1)!r} in the palette; use one of "
                             f"{', '.join('$' + k for k in palette) or '(none: add a palette: section)'}, or '#rrggbb'")
        r, g, b, a = palette[ref.group(1)]
        return (r, g, b, int(ref.group(2), 16) if ref.group(2) else a)
    if isinstance(value, str) and value.strip().startswith("$"):
        raise ValueError(f"{value!r} is not a palette colour; write '$name' or '$name/aa' (alpha in hex), e.g. '$primary/e8'")
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


def _loadable_font(path: Path | None) -> Path | None:
    """A font file that FreeType can open (checked at load, not found broken mid-render)."""
    why = None if path is None else font_problem(path)
    if why:
        raise ValueError(why)
    return path


Color = Annotated[Rgba, BeforeValidator(_parse_color)]
FontPath = Annotated[Union[Path, None], BeforeValidator(_asset_path), AfterValidator(_loadable_font)]
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
    # the label of a video with one story (None: `label`): "第{story_no}条 / 共{story_count}条" read
    # "第1条 / 共1条" over a single story
    single_label: str | None = None
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
    # the strap's colours run on out to the canvas's left and right edges (label colour to the left, bar colour
    # to the right), while its label and text stay inside the box: a full-width strap with title-safe text
    bleed: bool = False


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
    # the band's colour runs on to the canvas's left, right and bottom edges; the label and the scrolling text
    # stay inside the box (title-safe), as broadcast tickers do
    bleed: bool = False


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
class DeckLayout:
    """A slide deck's pages (canvas/deck.py): each letterboxed into this box (never stretched); the presenter
    (the template's presenter box: size, style, border) moved on each page to the emptiest corner clear of
    the page's text; the page number."""

    x_px: Px
    y_px: Px
    width_px: SizePx
    height_px: SizePx
    bg_color: Color = (0, 0, 0, 255)  # around the page, where its shape leaves room
    margin_px: Px = 24  # the presenter from the page box's edges
    text_gap_px: Px = 16  # kept clear between the presenter (with its border) and any text on the page
    min_scale: Annotated[float, Field(ge=0.3, le=1)] = 0.64  # the presenter shrinks to this before it is hidden
    hold_s: Annotated[float, Field(ge=0.5, le=30)] = 4.0  # how long a page without narration is shown
    page_number: str = "{page} / {pages}"  # "" for none
    page_number_x_px: Px = 40
    page_number_y_px: Px = 1020  # the text's vertical centre
    page_number_anchor: Literal["left", "right"] = "left"
    page_number_font_size_px: FontPx = 30
    page_number_color: Color = (255, 255, 255, 200)


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
    deck: DeckLayout | None = None  # the deck template: how a PDF/PPTX deck's pages are shown
    intro: Card | None = None
    outro: Card | None = None
    transition: Transition | None = None
    music: Music | None = None
    description: str = ""
    # named colours the fields above refer to as '$name' (see PALETTE_NAMES); a brand file overrides them
    palette: dict[str, Color] = Field(default_factory=dict)
    font: FontPath = None  # a .ttf/.otf/.ttc in the template folder for all its text (a brand's font wins)
