"""Regenerates the explainer example's two chart images (landfill.png, recycling.png) from the bundled
CJK font: illustrative figures, not real statistics. Run it from anywhere."""

from pathlib import Path

from PIL import Image, ImageDraw

from xiaonuan.fonts import load_font

HERE = Path(__file__).parent
SIZE_PX = (640, 480)
SUPERSAMPLE = 2  # draw large, then downscale for smooth edges
PAPER, INK, GRID = (244, 247, 252), (39, 50, 74), (214, 222, 236)
BLUE, GREEN, ORANGE = (30, 110, 240), (40, 160, 80), (255, 176, 32)


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    s = SUPERSAMPLE
    img = Image.new("RGB", (SIZE_PX[0] * s, SIZE_PX[1] * s), PAPER)
    return img, ImageDraw.Draw(img), s


def _save(img: Image.Image, name: str) -> None:
    img.resize(SIZE_PX, Image.LANCZOS).save(HERE / name, optimize=True)


def landfill() -> None:
    """Bars falling year by year: what sorting does to the landfill."""
    img, d, s = _canvas()
    values = (100, 86, 70, 55, 42)
    years = ("2021", "2022", "2023", "2024", "2025")
    left, base, top, bar_w, step = 70 * s, 400 * s, 120 * s, 70 * s, 110 * s
    for k in range(5):
        y = base - (base - top) * k / 4
        d.line((left - 10 * s, y, SIZE_PX[0] * s - 40 * s, y), fill=GRID, width=2 * s)
    label = load_font(24 * s, "Medium")
    for i, (v, year) in enumerate(zip(values, years)):
        x = left + 20 * s + i * step
        y = base - (base - top) * v / 100
        d.rounded_rectangle((x, y, x + bar_w, base), radius=8 * s, fill=ORANGE if i == 0 else BLUE)
        d.text((x + bar_w // 2, base + 14 * s), year, font=label, fill=INK, anchor="mt")
        d.text((x + bar_w // 2, y - 8 * s), str(v), font=label, fill=INK, anchor="ms")
    d.text((left - 10 * s, 28 * s), "填埋量（指数）", font=load_font(30 * s, "Bold"), fill=INK, anchor="lt")
    _save(img, "landfill.png")


def recycling() -> None:
    """A ring chart: the share of waste that is recycled."""
    img, d, s = _canvas()
    cx, cy, r, ring = 320 * s, 262 * s, 160 * s, 56 * s
    box = (cx - r, cy - r, cx + r, cy + r)
    d.ellipse(box, fill=GRID)
    d.pieslice(box, -90, -90 + 360 * 0.62, fill=GREEN)
    d.ellipse((cx - r + ring, cy - r + ring, cx + r - ring, cy + r - ring), fill=PAPER)
    d.text((cx, cy - 6 * s), "62%", font=load_font(64 * s, "Black"), fill=INK, anchor="mm")
    d.text((cx, cy + 44 * s), "回收利用", font=load_font(26 * s, "Medium"), fill=INK, anchor="mm")
    d.text((40 * s, 28 * s), "资源回收率", font=load_font(30 * s, "Bold"), fill=INK, anchor="lt")
    _save(img, "recycling.png")


if __name__ == "__main__":
    landfill()
    recycling()
