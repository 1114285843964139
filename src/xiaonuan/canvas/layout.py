"""Where a template's text layers land on the canvas, and which of them overlap (issue 19): the width check
alone let a larger subtitle pass that covered the headline strap. The subtitle box is measured on a real
two-line, max_chars-wide subtitle as the compositor draws it; the other boxes come from the template.
The presenter is left out on purpose: straps and lower thirds are drawn over it by design."""

from __future__ import annotations

import itertools

import numpy as np

from xiaonuan.canvas.draw import ai_label_box
from xiaonuan.canvas.subtitle import render_subtitle
from xiaonuan.templates import Template, subtitle_line_px

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


def layer_boxes(template: Template) -> dict[str, Box]:
    """The canvas boxes of the headline strap, ticker band, slide panel, AI label and the largest subtitle."""
    spec, W, H = template.spec, template.width_px, template.height_px
    boxes: dict[str, Box] = {}
    for name in ("headline", "ticker", "slides"):
        b = getattr(spec, name)
        if b is not None and b.width_px > 0 and b.height_px > 0:
            boxes[name] = (b.x_px, b.y_px, b.x_px + b.width_px, b.y_px + b.height_px)
    boxes["ai_label"] = ai_label_box(spec.ai_label, W, H)
    st = spec.subtitles
    line = "国" * st.max_chars
    rgba = render_subtitle("\n".join([line] * st.max_lines), st, subtitle_line_px(W, st))
    ys, xs = np.nonzero(rgba[..., 3] > 16)  # the drawn pixels: outline, shadow and box, not the blur margin
    h, w = rgba.shape[:2]
    x = (W - w) // 2
    y = st.center_y_px - h // 2 if st.center_y_px is not None else H - st.bottom_margin_px - h
    if len(xs):
        boxes["subtitles"] = (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)
    return boxes


def overlaps(template: Template) -> list[str]:
    """A warning per pair of text layers that cover each other, naming both and by how many rows and columns."""
    out = []
    for (a, p), (b, q) in itertools.combinations(sorted(layer_boxes(template).items()), 2):
        dx, dy = min(p[2], q[2]) - max(p[0], q[0]), min(p[3], q[3]) - max(p[1], q[1])
        if dx > 0 and dy > 0:
            out.append(f"template '{template.name}': {a} {list(p)} and {b} {list(q)} overlap by {dy} px rows x "
                       f"{dx} px; fix: move one of them or make it smaller (a two-line subtitle of max_chars "
                       "characters is measured)")
    return out
