"""Template previews: one representative frame per template (presenter, lower third in, a subtitle,
slide items, ticker), written as templates/<name>/preview.png; and a contact sheet of them all."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageDraw

from .fileio import image_bytes, write_atomic, writable_output
from .fonts import load_font
from .program import Program, SlideCue, StoryTiming
from .saferead import open_image
from .subtitles import Cue
from .types import Frame
from .avatar.pack import load_avatar
from .brand import load_brand
from .canvas import Compositor, DeckCompositor
from .canvas.layout import draw_guides
from .deck import Page
from .face.matte import still_matte
from .templates import load_template

PREVIEW_T_S = 4.0  # program time of the preview frame: lower third and the first items are in
PREVIEW_WIDTH_PX = 960  # previews are stored at this width (small PNGs)
SAMPLE_BULLETS = ("花展共有一百多个品种", "免费对市民开放", "持续到下个月底")
SAMPLE_SUBTITLE = "本市春季花展今天上午在滨江公园开幕"
SAMPLE_EMPHASIS = ((6, 8),)


def preview_frame(template: str, avatar: str = "default", root: Path | None = None, *, brand: Path | None = None,
                  guides: bool = False) -> Frame:
    """The composed frame a template shows a few seconds into a sample story (full size), in a brand's colours,
    logo and font when given; with `guides` the safe areas (and a vertical canvas's app zones) drawn over it."""
    tpl = load_template(template, root, brand=load_brand(brand) if brand is not None else None)
    face = load_avatar(avatar).image
    cues = tuple(SlideCue("bullet", 1.0 + 1.2 * i, text) for i, text in enumerate(SAMPLE_BULLETS))
    prog = Program(0.0, 60.0, 0.0, (StoryTiming(0.0, 60.0, "", {}, cues),))
    if tpl.spec.deck is not None:  # a deck template: a sample page, the presenter in its free corner

        comp = DeckCompositor(tpl, _SampleDeck(), presenter_size=(face.shape[1], face.shape[0]), program=prog)
    else:
        comp = Compositor(tpl, presenter_size=(face.shape[1], face.shape[0]), program=prog)
    matte = None
    if tpl.spec.presenter.style == "matte":  # cut out as a render does, not the soft oval fallback

        matte = still_matte(face)
    text = SAMPLE_SUBTITLE  # on two lines where the template's lines are shorter, as a render would cut it
    if len(text) > tpl.spec.subtitles.max_chars:
        text = text[:len(text) // 2] + "\n" + text[len(text) // 2:]
    frame = comp.frame(face, PREVIEW_T_S, Cue(0.0, 1.0, text, SAMPLE_EMPHASIS), matte).copy()
    comp.close()
    return draw_guides(frame) if guides else frame


class _SampleDeck:
    """A one-page stand-in for a Deck (deck/__init__.py) in a deck template's preview: a white 16:9 page with a
    title and the sample bullets, its text boxes where they are drawn."""

    SIZE_PX = (960, 540)

    def __init__(self) -> None:
        w, h = self.SIZE_PX
        self._page = Image.new("RGB", (w, h), (246, 248, 252))
        d = ImageDraw.Draw(self._page)
        d.rectangle((0, 0, w, 8), fill=(30, 110, 240))
        lines = [("小暖讲演 · 示例页", 44, 50, "Bold")] + [(f"• {b}", 30, 150 + 56 * i, "Regular")
                                                       for i, b in enumerate(SAMPLE_BULLETS)]
        boxes = []
        for text, size, y, weight in lines:
            font = load_font(size, weight)
            d.text((60, y), text, font=font, fill=(16, 32, 74))
            x0, y0, x1, y1 = d.textbbox((60, y), text, font=font)
            boxes.append((x0 / w, y0 / h, x1 / w, y1 / h))
        self.pages = (Page(1, float(w), float(h), "\n".join(t for t, *_ in lines), tuple(boxes)),)
        self.narration = SimpleNamespace(story_pages=((0,),), hold_s=4.0)

    def image(self, i: int, width_px: int, height_px: int) -> Frame:
        return np.asarray(self._page.resize((width_px, height_px), Image.LANCZOS))


def write_preview(template: str, out: Path | None = None, avatar: str = "default",
                  root: Path | None = None, *, brand: Path | None = None, guides: bool = False) -> Path:
    """Write templates/<name>/preview.png (or `out`), PREVIEW_WIDTH_PX wide (see preview_frame)."""
    path = writable_output(out if out is not None else load_template(template, root).root / "preview.png",
                           "preview", (".png",))  # checked before the frame is composed
    frame = preview_frame(template, avatar, root, brand=brand, guides=guides)
    return write_atomic(path, image_bytes(_small(frame), "PNG", optimize=True))


def _small(frame: Frame) -> Image.Image:
    img = Image.fromarray(frame)
    scale = PREVIEW_WIDTH_PX / max(img.width, img.height) if img.width >= img.height else 540 / img.height
    return img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS).convert("P", palette=Image.ADAPTIVE, colors=256).convert("RGB")


def contact_sheet(names: list[str], out: Path, avatar: str = "default", root: Path | None = None, *,
                  guides: bool = False) -> Path:
    """All the named templates' previews side by side at one height, each captioned with its name (with the
    safe-area guides when asked)."""
    out = writable_output(out, "contact sheet", (".png",))
    tiles = [(_small(preview_frame(n, avatar, root, guides=guides)), n) for n in names]
    h = 540
    tiles = [(t.resize((round(t.width * h / t.height), h), Image.LANCZOS), n) for t, n in tiles]
    gap, cap = 24, 56
    W = sum(t.width for t, _ in tiles) + gap * (len(tiles) + 1)
    sheet = Image.new("RGB", (W, h + cap + 2 * gap), (24, 26, 32))
    d = ImageDraw.Draw(sheet)
    font = load_font(30, "Bold")
    x = gap
    for t, n in tiles:
        sheet.paste(t, (x, gap))
        d.text((x + t.width // 2, gap + h + cap // 2), n, font=font, fill=(235, 238, 245), anchor="mm")
        x += t.width + gap
    return write_atomic(out, image_bytes(sheet, "PNG", optimize=True))


def frame_array(path: Path) -> np.ndarray:
    with open_image(path, "picture") as im:
        return np.asarray(im.convert("RGB"))
