"""Regenerates logo.png (the 小暖新闻 emblem) from the bundled CJK font: run it from anywhere."""

from pathlib import Path

from PIL import Image, ImageDraw

from xiaonuan.fonts import load_font

SIZE_PX = 86  # the logo height in template.yaml
SUPERSAMPLE = 4  # draw large, then downscale for smooth edges
WHITE, RED, BLUE = (255, 255, 255, 255), (215, 25, 32, 255), (11, 58, 154, 255)


def main() -> None:
    s = SIZE_PX * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), WHITE)
    d = ImageDraw.Draw(img)
    m = s // 10
    d.ellipse((m, m, s - m, s - m), fill=BLUE)
    d.arc((m + s // 14, m + s // 14, s - m - s // 14, s - m - s // 14), 200, 340, fill=WHITE, width=s // 40)
    d.text((s // 2, s // 2 + s // 40), "暖", font=load_font(int(s * 0.46), "Black"), fill=WHITE, anchor="mm")
    img.resize((SIZE_PX, SIZE_PX), Image.LANCZOS).save(Path(__file__).with_name("logo.png"), optimize=True)


if __name__ == "__main__":
    main()
