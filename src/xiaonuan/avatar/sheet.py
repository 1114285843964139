"""Contact sheet of an avatar pack: a grid of frames with the face box, the neutral frame and the
loop seam marked, and the pack's consent and quality report underneath (`xiaonuan avatar show`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from xiaonuan.avatar.pack import Avatar
from xiaonuan.avatar.reader import ClipReader
from xiaonuan.fonts import load_font

COLUMNS, ROWS = 4, 3
THUMB_W = 240


def contact_sheet(av: Avatar, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    w, h = av.size
    tw, th = THUMB_W, int(round(THUMB_W * h / w))
    picks = _picks(av)
    font = load_font(14)
    lines = _lines(av)
    sheet = Image.new("RGB", (COLUMNS * tw, ROWS * th + 20 * (len(lines) + 1)), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    for k, (index, tag, image, lm) in enumerate(picks):
        x, y = (k % COLUMNS) * tw, (k // COLUMNS) * th
        thumb = Image.fromarray(image).resize((tw, th), Image.BILINEAR)
        sheet.paste(thumb, (x, y))
        if lm is not None and np.isfinite(lm).all():
            s = tw / w
            lo, hi = lm.min(0) * s, lm.max(0) * s
            draw.rectangle((x + lo[0], y + lo[1], x + hi[0], y + hi[1]), outline=(80, 220, 120), width=2)
        else:
            draw.text((x + 6, y + th // 2), "no face: passed through", font=font, fill=(255, 90, 90))
        draw.text((x + 6, y + 4), f"#{index} {tag}", font=font, fill=(255, 255, 255))
    for i, text in enumerate(lines):
        draw.text((8, ROWS * th + 8 + 20 * i), text, font=font, fill=(230, 230, 230))
    sheet.save(out)
    return out


def _picks(av: Avatar):
    if not av.is_clip:
        return [(0, "portrait", av.image, av.landmarks)]

    clip, plan = av.clip, av.loop
    n = clip.n_frames
    want = {av.neutral_frame: "neutral", plan.loop_start: "loop start", plan.loop_end: "loop end"}
    for i in np.linspace(0, n - 1, COLUMNS * ROWS - len(want)).astype(int):
        want.setdefault(int(i), "")
    out = []
    with ClipReader(clip.video, av.size, clip.fps) as reader:
        for i in sorted(want)[:COLUMNS * ROWS]:
            out.append((i, want[i], reader.frame(i).copy(), clip.raw[i] if clip.found[i] else None))
    return out


def _lines(av: Avatar) -> list[str]:
    lines = [f"{av.name} — {av.kind} {av.size[0]}x{av.size[1]}; consent: {av.consent or 'NONE RECORDED'}"]
    if av.is_clip:
        p = av.loop
        lines.append(f"{av.clip.n_frames} frames, face in {int(av.clip.found.sum())}; loop {p.mode} "
                     f"{p.loop_start}–{p.loop_end}, seam face change "
                     + (f"{p.seam_pixel_ratio:.2f}× ordinary (pixels)" if p.seam_pixel_ratio is not None
                        else "not measured (enrolled before it was)"))
    lines += [f"! {q}" for q in av.quality]
    return lines
