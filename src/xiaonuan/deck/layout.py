"""Where a page is placed (letterboxed, never stretched) and where the presenter goes on it: the emptiest
corner whose box, with a gap around it, touches none of the page's text boxes.

Pure geometry on canvas pixels: (x0, y0, x1, y1) boxes, x1/y1 exclusive.
"""

from __future__ import annotations

from typing import Callable, Sequence

Box = tuple[int, int, int, int]
CORNERS = ("bottom-right", "top-right", "bottom-left", "top-left")  # preferred in this order when equally empty


def letterbox(page_w: float, page_h: float, area: Box) -> Box:
    """The largest box of the page's shape inside `area`, centred (the page never stretched)."""
    x0, y0, x1, y1 = area
    scale = min((x1 - x0) / page_w, (y1 - y0) / page_h)
    w, h = max(1, round(page_w * scale)), max(1, round(page_h * scale))
    x, y = x0 + (x1 - x0 - w) // 2, y0 + (y1 - y0 - h) // 2
    return (x, y, x + w, y + h)


def page_boxes(text_boxes: Sequence[tuple[float, float, float, float]], placed: Box) -> list[Box]:
    """A page's text boxes (fractions of the page, from its top-left) in canvas pixels, rounded outwards."""
    x0, y0, x1, y1 = placed
    w, h = x1 - x0, y1 - y0
    return [(x0 + int(a * w), y0 + int(b * h), x0 + -int(-c * w), y0 + -int(-d * h)) for a, b, c, d in text_boxes]


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def presenter_spot(text: Sequence[Box], area: Box, size: tuple[int, int], *, margin_px: int, gap_px: int,
                   scales: Sequence[float] = (1.0, 0.8, 0.64), ink: Callable[[Box], float] | None = None
                   ) -> Box | None:
    """The presenter's box: a corner of `area` (inset by margin_px) whose box grown by gap_px touches no text
    box; the largest scale of `size` that finds one, and among those corners the one with least `ink` (how
    busy the page is there). None when every corner at every scale would cover text (the presenter is hidden)."""
    ax0, ay0, ax1, ay1 = area
    for scale in scales:
        w, h = max(2, round(size[0] * scale)), max(2, round(size[1] * scale))
        if w > ax1 - ax0 - 2 * margin_px or h > ay1 - ay0 - 2 * margin_px:
            continue
        free = []
        for corner in CORNERS:
            x = ax1 - margin_px - w if corner.endswith("right") else ax0 + margin_px
            y = ay1 - margin_px - h if corner.startswith("bottom") else ay0 + margin_px
            box = (x, y, x + w, y + h)
            grown = (x - gap_px, y - gap_px, x + w + gap_px, y + h + gap_px)
            if not any(overlaps(grown, t) for t in text):
                free.append(box)
        if free:
            return min(free, key=ink) if ink is not None else free[0]  # min keeps CORNERS' order on ties
    return None
