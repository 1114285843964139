"""Regenerates loop.mp4, the studio template's background clip: slow drifting studio lights and light
sweeps over a deep blue set, drawn with numpy and encoded with the project's ffmpeg. Run it from anywhere.

Every motion is periodic with the clip's length (whole cycles of sines), so the frame after the last
is the first: the clip loops with no seam, and the template sets `video_loop_fade_s: 0`. It is small
(640x360; ffmpeg scales it to the canvas when it is read) and soft, so it costs little to decode.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from xiaonuan.encode import ffmpeg_exe

OUT = Path(__file__).with_name("loop.mp4")
WIDTH_PX, HEIGHT_PX = 640, 360
FPS = 25
LOOP_S = 5.0  # one full cycle of every motion
CRF = 23  # x264 quality: soft gradients band visibly above ~28

TOP, BOTTOM = np.array((8, 26, 66), np.float32), np.array((2, 8, 26), np.float32)
# soft lights: centre (fractions of the frame), drift amplitude (fractions), radius (fraction of the
# height), colour (RGB), brightness, cycles per loop in x and y, phases
LIGHTS = (
    ((0.78, 0.22), (0.06, 0.05), 0.55, (63, 124, 255), 0.55, (1, 1), (0.0, 1.6)),
    ((0.18, 0.78), (0.07, 0.04), 0.60, (31, 91, 216), 0.45, (1, 1), (2.1, 0.4)),
    ((0.55, 0.55), (0.10, 0.06), 0.40, (40, 190, 230), 0.22, (1, 2), (4.0, 2.5)),
    ((0.30, 0.25), (0.05, 0.07), 0.35, (120, 70, 255), 0.20, (1, 1), (1.0, 5.0)),
)
SWEEP_ANGLE_DEG = 62  # the light bands' slant
SWEEP_PERIOD = 0.5  # band spacing, in frame widths; the bands move one spacing per loop
SWEEP_GAIN = 22.0  # brightness of the bands (levels)


def frame(t: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The set at loop phase t (0..1) as float RGB."""
    img = TOP * (1 - ys[..., None]) + BOTTOM * ys[..., None]
    aspect = WIDTH_PX / HEIGHT_PX
    for (cx, cy), (ax, ay), r, rgb, gain, (kx, ky), (px, py) in LIGHTS:
        x = cx + ax * np.sin(2 * np.pi * kx * t + px)
        y = cy + ay * np.sin(2 * np.pi * ky * t + py)
        d2 = ((xs - x) * aspect) ** 2 + (ys - y) ** 2
        img += gain * np.exp(-d2 / (2 * (r / 2) ** 2))[..., None] * np.array(rgb, np.float32)
    a = np.deg2rad(SWEEP_ANGLE_DEG)
    u = (xs * aspect * np.cos(a) + ys * np.sin(a)) / (SWEEP_PERIOD * aspect) - t
    band = np.clip(np.sin(2 * np.pi * u), 0, 1) ** 12
    img += SWEEP_GAIN * band[..., None] * np.array((0.7, 0.85, 1.0), np.float32)
    vignette = 1 - 0.35 * (((xs - 0.5) * 1.6) ** 2 + ((ys - 0.5) * 1.4) ** 2)
    return img * np.clip(vignette, 0.5, 1)[..., None]


def main() -> None:
    n = round(LOOP_S * FPS)
    ys, xs = np.mgrid[0:HEIGHT_PX, 0:WIDTH_PX].astype(np.float32)
    xs, ys = (xs + 0.5) / WIDTH_PX, (ys + 0.5) / HEIGHT_PX
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{WIDTH_PX}x{HEIGHT_PX}", "-r", str(FPS), "-i", "-", "-an", "-c:v", "libx264",
           "-preset", "slow", "-crf", str(CRF), "-g", str(FPS), "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", "-metadata", "comment=xiaonuan studio loop (templates/studio/make_loop.py)",
           str(OUT)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    rng = np.random.default_rng(0)
    for i in range(n):
        img = frame(i / n, xs, ys)
        img += rng.uniform(-0.5, 0.5, img.shape).astype(np.float32)  # dither: no bands in the dark blues
        proc.stdin.write(np.clip(img + 0.5, 0, 255).astype(np.uint8).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("ffmpeg failed")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB, {n} frames)")


if __name__ == "__main__":
    main()
