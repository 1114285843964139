"""Template previews: one representative frame per template (presenter, lower third in, a subtitle,
slide items, ticker), written as templates/<name>/preview.png; and a contact sheet of them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .fileio import image_bytes, write_atomic, writable_output
from .fonts import load_font
from .program import Program, SlideCue, StoryTiming
from .saferead import open_image
from .subtitles import Cue
from .types import Frame

PREVIEW_T_S = 4.0  # program time of the preview frame: lower third and the first items are in
PREVIEW_WIDTH_PX = 960  # previews are stored at this width (small PNGs)
SAMPLE_BULLETS = ("花展共有一百多个品种", "免费对市民开放", "持续到下个月底")
SAMPLE_SUBTITLE = "本市春季花展今天上午在滨江公园开幕"
SAMPLE_EMPHASIS = ((6, 8),)


def preview_frame(template: str, avatar: str = "default", root: Path | None = None) -> Frame:
    """The composed frame a template shows a few seconds into a sample story (full size)."""
    from .avatar.pack import load_avatar
    from .canvas import Compositor
    from .templates import load_template

    tpl = load_template(template, root)
    face = load_avatar(avatar).image
    cues = tuple(SlideCue("bullet", 1.0 + 1.2 * i, text) for i, text in enumerate(SAMPLE_BULLETS))
    prog = Program(0.0, 60.0, 0.0, (StoryTiming(0.0, 60.0, "", {}, cues),))
    comp = Compositor(tpl, presenter_size=(face.shape[1], face.shape[0]), program=prog)
    matte = None
    if tpl.spec.presenter.style == "matte":  # cut out as a render does, not the soft oval fallback
        from .face.matte import still_matte

        matte = still_matte(face)
    frame = comp.frame(face, PREVIEW_T_S, Cue(0.0, 1.0, SAMPLE_SUBTITLE, SAMPLE_EMPHASIS), matte).copy()
    comp.close()
    return frame


def write_preview(template: str, out: Path | None = None, avatar: str = "default",
                  root: Path | None = None) -> Path:
    """Write templates/<name>/preview.png (or `out`), PREVIEW_WIDTH_PX wide."""
    from .templates import load_template

    path = writable_output(out if out is not None else load_template(template, root).root / "preview.png",
                           "preview", (".png",))  # checked before the frame is composed
    frame = preview_frame(template, avatar, root)
    return write_atomic(path, image_bytes(_small(frame), "PNG", optimize=True))


def _small(frame: Frame) -> Image.Image:
    img = Image.fromarray(frame)
    scale = PREVIEW_WIDTH_PX / max(img.width, img.height) if img.width >= img.height else 540 / img.height
    return img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS).convert("P", palette=Image.ADAPTIVE, colors=256).convert("RGB")


def contact_sheet(names: list[str], out: Path, avatar: str = "default", root: Path | None = None) -> Path:
    """All the named templates' previews side by side at one height, each captioned with its name."""
    out = writable_output(out, "contact sheet", (".png",))
    tiles = [(_small(preview_frame(n, avatar, root)), n) for n in names]
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
