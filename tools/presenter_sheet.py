#!/usr/bin/env python3
"""Contact sheets of the presenter (issue 17): for each avatar one row of four face crops — a loop seam
(the middle of its cross-fade), a pause, a wide vowel and a p/b/m closure — rendered by the code on the
path; then before/after rows stacked into one small JPEG per avatar.

    # a row per avatar, with the code and packs on the path (run once per version):
    PYTHONPATH=OLD/src XIAONUAN_AVATARS=OLD_PACKS python tools/presenter_sheet.py rows --out /tmp/rows/before \\
        presenter_man sun default
    PYTHONPATH=src XIAONUAN_AVATARS=NEW_PACKS python tools/presenter_sheet.py rows --out /tmp/rows/after ...
    python tools/presenter_sheet.py stack /tmp/rows/before /tmp/rows/after --out docs/presenter

The speech is the `fake:cmn` voice by default (fast; its mouth shapes follow the text's phonemes).
Only the presenter frames are rendered (animate(), the pack's own size), never a whole video.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SENTENCES = ["爸爸妈妈买了面包。", "大家好，今天天气很好。"]
PAUSES_MS = [900, 400]
CELL_PX = 240                 # width of one face crop in the sheet
LABELS = ("loop seam", "pause", "wide vowel", "p/b/m closure")


def _face_crop(frame: np.ndarray) -> np.ndarray:
    """The face (oval plus a margin) cut out of a frame and scaled to CELL_PX wide."""
    import cv2

    from xiaonuan.face import mesh

    lm = mesh.detect_landmarks(frame)
    h, w = frame.shape[:2]
    if lm is None:
        box = (0, 0, w, h)
    else:
        oval = lm[list(mesh.FACE_OVAL)]
        m = 0.15 * mesh.eye_distance_px(lm)
        (x0, y0), (x1, y1) = oval.min(0) - m, oval.max(0) + m
        box = (int(max(x0, 0)), int(max(y0, 0)), int(min(x1, w)), int(min(y1, h)))
    crop = frame[box[1]:box[3], box[0]:box[2]]
    ch = int(round(CELL_PX * crop.shape[0] / max(crop.shape[1], 1)))
    return cv2.resize(np.ascontiguousarray(crop), (CELL_PX, ch), interpolation=cv2.INTER_AREA)


def _seam_frame(av) -> tuple[np.ndarray | None, str]:
    """The middle frame of the loop's cross-fade as this code draws it (None for a portrait)."""
    import cv2

    if not av.is_clip:
        return None, "portrait: no loop"
    from xiaonuan.avatar.reader import ClipReader

    plan, clip = av.loop, av.clip
    reader = ClipReader(clip.video, av.size, clip.fps)
    try:
        if plan.mode != "loop":
            return np.array(reader.frame(plan.loop_end)), "ping-pong turn"
        k = plan.crossfade // 2
        a, b = plan.loop_start + k, plan.loop_end + 1 + k
        w_b = 1.0 - (k + 1) / (plan.crossfade + 1)
        fa, fb = np.array(reader.frame(a)), np.array(reader.frame(b))
        out = np.empty_like(fa)
        try:
            from xiaonuan.face.seam import compensated_fade
        except ImportError:                                     # the code before issue 17: a plain fade
            cv2.addWeighted(fa, 1.0 - w_b, fb, w_b, 0.0, dst=out)
        else:
            compensated_fade(fa, fb, clip.raw[a], clip.raw[b], w_b, out)
        return out, f"loop seam {plan.loop_end}→{plan.loop_start}"
    finally:
        reader.close()


def _row(name: str, voice: str) -> np.ndarray:
    from xiaonuan import speech
    from xiaonuan.animate import animate
    from xiaonuan.avatar.pack import load_avatar
    from xiaonuan.motion import plan_motion

    av = load_avatar(name)
    spoken = speech.get_engine(voice).synthesize(SENTENCES, PAUSES_MS)
    track = plan_motion(spoken, "zh", 25, seed=0)
    jaw = np.array([track.frame(i).jaw_open for i in range(track.n_frames)])
    press = np.array([track.frame(i).lip_press for i in range(track.n_frames)])
    quiet = (jaw < 0.05) & (press < 0.1)
    # the pause: the middle of the longest quiet run between the sentences (not the lead-in or the end)
    runs, start = [], None
    for i, q in enumerate(np.append(quiet, False)):
        if q and start is None:
            start = i
        elif not q and start is not None:
            runs.append((i - start, start, i))
            start = None
    inner = [r for r in runs if r[1] > 5 and r[2] < track.n_frames - 5] or runs
    _, s, e = max(inner)
    want = {"pause": (s + e) // 2, "wide vowel": int(np.argmax(jaw)), "p/b/m closure": int(np.argmax(press))}
    frames = {}
    for i, f in enumerate(animate(av, track)):
        for key, j in want.items():
            if i == j:
                frames[key] = np.array(f)
    seam, _ = _seam_frame(av)
    cells = [_face_crop(seam) if seam is not None else None] + [_face_crop(frames[k]) for k in LABELS[1:]]
    ch = max(c.shape[0] for c in cells if c is not None)
    row = np.full((ch, CELL_PX * 4, 3), 32, np.uint8)
    for k, c in enumerate(cells):
        if c is not None:
            row[:c.shape[0], k * CELL_PX:(k + 1) * CELL_PX] = c
    return row


def _stack(before: Path, after: Path, out: Path) -> list[Path]:
    from PIL import Image, ImageDraw

    from xiaonuan.fonts import load_font

    font = load_font(18, "Bold")
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for b in sorted(before.glob("*.png")):
        a = after / b.name
        if not a.is_file():
            continue
        rows = [(t, np.asarray(Image.open(p).convert("RGB"))) for t, p in (("before", b), ("after", a))]
        head, label_w = 28, 80
        width = label_w + CELL_PX * 4
        height = head + sum(r.shape[0] for _, r in rows)
        sheet = Image.new("RGB", (width, height), (20, 20, 20))
        d = ImageDraw.Draw(sheet)
        for k, text in enumerate(LABELS):
            d.text((label_w + k * CELL_PX + 8, 5), text, font=font, fill=(240, 240, 240))
        y = head
        for text, r in rows:
            sheet.paste(Image.fromarray(r), (label_w, y))
            d.text((8, y + r.shape[0] // 2 - 10), text, font=font, fill=(240, 240, 240))
            y += r.shape[0]
        dst = out / f"{b.stem}.jpg"
        tmp = dst.with_suffix(".tmp.jpg")
        sheet.save(tmp, quality=85)
        tmp.replace(dst)
        written.append(dst)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rows", help="one row PNG per avatar, rendered by the code on the path")
    r.add_argument("avatars", nargs="+")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--voice", default="fake:cmn")
    s = sub.add_parser("stack", help="before/after rows → one JPEG per avatar")
    s.add_argument("before", type=Path)
    s.add_argument("after", type=Path)
    s.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.cmd == "rows":
        from PIL import Image

        args.out.mkdir(parents=True, exist_ok=True)
        for name in args.avatars:
            Image.fromarray(_row(name, args.voice)).save(args.out / f"{name}.png")
            print(f"{name}: {args.out / (name + '.png')}", file=sys.stderr)
        return 0
    for p in _stack(args.before, args.after, args.out):
        print(f"{p} {p.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
