"""The canvas: a template's layers drawn once and a presenter composed into them per frame.

    draw.py        drawing primitives (init only): shapes, background, fitted text, static straps
    blend.py       per-frame blending: Overlay (premultiplied), Backdrop, easing
    layers.py      moving layers prepared once: ticker strip, slide panel and items, cards, wipe band
    presenter.py   PresenterLayer: crop + pose + scale in one resampling, pasted through box or matte
    subtitle.py    SubtitleLayer: cue text drawn once per text (cached), blended per frame
    compositor.py  Compositor: orders the layers per scene and blends them; stream() gives program frames
    deck.py        DeckCompositor: a deck's pages letterboxed, the presenter in each page's emptiest corner
"""

from xiaonuan.canvas.blend import Backdrop, Overlay, ease_in_cubic, ease_out_cubic
from xiaonuan.canvas.compositor import Compositor
from xiaonuan.canvas.deck import DeckCompositor
from xiaonuan.canvas.draw import ai_label_box, fit_font, render_background, render_lower_third, wrap_text
from xiaonuan.canvas.presenter import PresenterLayer, edge_fade
from xiaonuan.canvas.subtitle import SubtitleLayer, render_subtitle

__all__ = ["Backdrop", "Compositor", "DeckCompositor", "Overlay", "PresenterLayer", "SubtitleLayer", "ai_label_box", "ease_in_cubic",
           "ease_out_cubic", "edge_fade", "fit_font", "render_background", "render_lower_third", "render_subtitle",
           "wrap_text"]
