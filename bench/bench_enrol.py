"""Enrolment speed: a synthesised 30 s 720p clip (the default portrait on a moving background) and, when
../shared/media is present, sun.mp4. Writes its figures under "## Enrolment" in bench/results.md.

    .venv/bin/python bench/bench_enrol.py
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SUN = ROOT.parent / "shared" / "media" / "sun.mp4"
HEADING = "## Enrolment (bench/bench_enrol.py)"


def synth_clip(path: Path, seconds: float = 30.0, size=(1280, 720), fps: int = 25) -> Path:
    import imageio_ffmpeg
    from PIL import Image

    with Image.open(ROOT / "assets" / "avatar" / "default" / "portrait.png") as im:
        face = np.asarray(im.convert("RGB").resize((560, 560), Image.LANCZOS))
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, quality=8, ffmpeg_log_level="error")
    writer.send(None)
    for i in range(int(seconds * fps)):
        v = (np.sin((x + y + 4 * i) / 23.0) * 50 + 110).astype(np.uint8)
        frame = np.stack([v, v // 2 + 60, 255 - v], axis=2)
        dx = int(round(20 * np.sin(2 * np.pi * i / 150)))
        frame[100:660, 360 + dx:920 + dx] = face
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def timed_enrol(path: Path, name: str, root: Path):
    from xiaonuan.avatar.enrol import enrol, parse_consent_by

    t = time.perf_counter()
    r = enrol(path, name, root=root, consent=parse_consent_by("Benchmark, 2025-01-01"))
    return time.perf_counter() - t, r


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        clip = synth_clip(d / "synth720p.mp4")
        s, r = timed_enrol(clip, "synth", d / "avatars")
        rows.append(("synthetic 30 s 1280x720 clip", s, r))
        if SUN.is_file():
            s, r = timed_enrol(SUN, "sun", d / "avatars")
            rows.append(("sun.mp4 (22 s, 576x768)", s, r))
    lines = [HEADING, "", f"{os.cpu_count()} CPU cores; target: a 30 s 720p clip in under 60 s.", "",
             "| clip | enrol s | normalise s | landmarks s | loop plan s | loop | seam / median motion |",
             "|---|---|---|---|---|---|---|"]
    for label, s, r in rows:
        t, lp = r.timings, r.report.loop or {}
        ratio = lp["seam_jump"] / lp["median_motion"] if lp.get("median_motion") else float("nan")
        lines.append(f"| {label} | {s:.1f} | {t.get('normalise_s', 0):.1f} | {t.get('landmarks_s', 0):.1f} | "
                     f"{t.get('plan_s', 0):.1f} | {lp.get('mode')} {lp.get('loop_start')}–{lp.get('loop_end')} | "
                     f"{ratio:.2f} |")
    block = "\n".join(lines) + "\n"
    print(block)
    out = ROOT / "bench" / "results.md"
    text = out.read_text(encoding="utf-8") if out.is_file() else "# Benchmarks\n\n"
    pattern = re.compile(re.escape(HEADING) + r".*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: block.rstrip("\n") + "\n", text) if HEADING in text else text.rstrip("\n") + "\n\n" + block
    out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
