"""Per-frame composition: presenter frames + a template's layers → canvas frames.

Everything that does not move (background, presenter panel, headline, logo, date, AI label) is
drawn ONCE at init (canvas/draw.py, canvas/layers.py). Per frame the compositor only orders and
blends: it copies the scene's backdrop, lets the presenter layer paste the presenter, re-blends the
static pieces that sit above the presenter, and blends the slide items, the lower third and the
subtitle layer, each only over its own rows, in integer numpy with premultiplied alpha (canvas/blend.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
from PIL import Image

from xiaonuan.canvas.blend import Backdrop, Overlay, ease_in_cubic, ease_out_cubic
from xiaonuan.canvas.draw import (
    _draw_ai_label,
    _draw_date,
    _draw_headline,
    _draw_logo,
    _draw_presenter_panel,
    ai_label_box,
    headline_label,
    render_background,
    render_lower_third,
)
from xiaonuan.canvas.layers import draw_slide_panel, draw_ticker_static, layout_lead, layout_slide_items, make_card, \
    make_ticker, make_wipe_band
from xiaonuan.canvas.layout import SUPPORTED_SHORT_SIDES_PX, layout_problems, lower_third_room_px
from xiaonuan.canvas.presenter import PresenterLayer
from xiaonuan.canvas.subtitle import SubtitleLayer
from xiaonuan.errors import TemplateError
from xiaonuan.fonts import font_file
from xiaonuan.program import single_story
from xiaonuan.subtitles import cue_at
from xiaonuan.template_spec import Background
from xiaonuan.loopvideo import LoopingVideo
from xiaonuan.templates import Template
from xiaonuan.types import Frame, PresenterFrame

if TYPE_CHECKING:
    from xiaonuan.program import Program


@dataclass(frozen=True, eq=False)
class _StoryLayers:
    """What one story looks like when nothing moves: the backdrop, what goes over the presenter
    inside its box, the lower third and the slide items."""

    backdrop: Backdrop
    box_overlay: Overlay
    lower: Overlay | None
    items: tuple[tuple[float, str, int, int, Overlay], ...]  # (start_s, kind, x, y, overlay)


class Compositor:
    """Composes presenter frames onto a template's canvas (see module docstring).

    `program` (optional) gives the running order: intro card, stories (each with its own headline,
    lower third and slide items), outro card; without one the whole video is one story. `t_s` is
    program time. `frame()` returns the SAME preallocated buffer every call: use or copy it before
    the next call (VideoWriter.write copies it), and do not modify it.
    """

    def __init__(self, template: Template, fields: Mapping[str, str | None] | None = None,
                 presenter_size: tuple[int, int] = (720, 720), program: "Program | None" = None) -> None:
        spec = template.spec
        self.template = template
        self.fps = template.fps
        self.width_px, self.height_px = W, H = template.width_px, template.height_px
        self.values = values = template.resolve_fields(fields)
        self.program = program or single_story(1e9, values["headline"])
        box = spec.presenter
        if box.x_px + box.width_px > W or box.y_px + box.height_px > H:
            raise TemplateError(f"template '{template.name}': presenter box {box.width_px}x{box.height_px} at "
                                f"({box.x_px}, {box.y_px}) does not fit the {W}x{H} canvas; fix its position or size")
        self._box = box
        self._presenter = PresenterLayer(box, over_video=spec.background.video is not None)
        self._mask = self._presenter.mask
        with font_file(spec.font):  # a brand's or the template's own font, for all the text drawn here
            self._below = render_background(spec.background, W, H, values)
            if box.style != "matte":
                _draw_presenter_panel(self._below, box)
            # static layers shared by every story: logo, date, ticker band
            self._common = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            if spec.logo is not None:
                _draw_logo(self._common, spec.logo, template.fill(spec.logo.text, values),
                           template.fill(spec.logo.subtext, values))
            if spec.date is not None:
                _draw_date(self._common, spec.date, template.fill(spec.date.text, values))
            self._ticker = None
            if spec.ticker is not None:
                text = template.fill(spec.ticker.text, values)
                if text.strip():
                    draw_ticker_static(self._common, spec.ticker, template.fill(spec.ticker.label, values))
                    self._ticker = make_ticker(spec.ticker, text)
            ai = spec.ai_label
            label = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            _draw_ai_label(label, ai)
            x0, y0, x1, y1 = ai_label_box(ai, W, H)
            self._label_xy = (max(x0, 0), max(y0, 0))
            self._label = Overlay.from_rgba(np.asarray(label)[self._label_xy[1]:y1, self._label_xy[0]:x1])
            self._stories: dict[int, _StoryLayers] = {}
            self._cards: dict[str, object] = {}
            self._videos: dict[object, "LoopingVideo"] = {}  # background clip → its looping reader
            self._wipe = None
            if spec.transition is not None and spec.transition.kind == "wipe":
                band, self._wipe_slant = make_wipe_band(spec.transition, H)
                self._wipe = Overlay.from_rgba(band)
            self._lower = spec.lower_third
            self._subtitles = SubtitleLayer(spec.subtitles, W, H, spec.font)
            self._canvas: Frame = np.empty((H, W, 3), np.uint8)
            self._alt: Frame = np.empty((H, W, 3), np.uint8)
            self.warnings: list[str] = []  # what the template could not show (the render reports them)
            self.set_presenter_size(presenter_size)
            self._story(0)

    # ------------------------------------------------------------ static, per story (drawn once)

    def prepare(self) -> tuple[str, ...]:
        """Draw every story's static layers now (each once, as streaming would on reaching it) and return
        what the template cannot show (slide items that do not fit the panel …): the render's warnings,
        known before the first frame rather than read off the compositor after its stream ends."""
        for k in range(max(1, len(self.program.stories))):
            self._story(k)
        # text over text or outside title-safe at this size (the template's own size was checked when it was
        # loaded for the render: an overlap there is an error, see render._prepare). Below the smallest offered
        # size fonts stop at their minimum and rounding moves layers by a pixel: not checked there
        if min(self.width_px, self.height_px) >= min(SUPPORTED_SHORT_SIDES_PX):
            self.warnings += [w for w in layout_problems(self.template) if w not in self.warnings]
        return tuple(self.warnings)

    def _story_values(self, k: int) -> dict[str, str]:
        st = self.program.stories[k] if k < len(self.program.stories) else None
        v = dict(self.values)
        if st is not None:
            v.update({key: val for key, val in st.fields.items() if val})
            if st.headline:
                v["headline"] = st.headline
        v["story_no"], v["story_count"] = str(k + 1), str(max(1, len(self.program.stories)))
        return v

    def _story(self, k: int) -> _StoryLayers:
        layers = self._stories.get(k)
        if layers is not None:
            return layers
        with font_file(self.template.spec.font):
            layers = self._stories[k] = self._draw_story(k)
        return layers

    def _draw_story(self, k: int) -> _StoryLayers:
        spec, tpl, W, H = self.template.spec, self.template, self.width_px, self.height_px
        values = self._story_values(k)
        above = self._common.copy()
        items: list[tuple[float, str, int, int, Overlay]] = []
        if spec.slides is not None:
            panel = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            items_y = draw_slide_panel(panel, spec.slides, values["headline"])
            panel.alpha_composite(above)
            above = panel
            story = self.program.stories[k] if k < len(self.program.stories) else None
            cues = story.slides if story is not None else ()
            placed = layout_slide_items(spec.slides, items_y, cues)
            if not cues and story is not None:  # no bullets or pictures: the lead sentence, not an empty panel
                lead = layout_lead(spec.slides, items_y, story.lead, story.start_s)
                placed = [lead] if lead is not None else []
            for it in placed:
                items.append((it.start_s, it.kind, it.x_px, it.y_px, Overlay.from_rgba(it.rgba)))
            wanted = sum(1 for c in cues if c.kind == "bullet" or c.image is not None)
            if len(placed) < wanted:  # the panel is full: say so rather than leave them out unseen
                self.warnings.append(f"story {k + 1} ({values['headline']!r}): {wanted - len(placed)} of its {wanted} "
                                     "slide items do not fit the slide panel and are not shown; split the story, "
                                     "or use fewer bullets and pictures")
        if spec.headline is not None:
            _draw_headline(above, spec.headline, tpl.fill(spec.headline.text, values),
                           headline_label(spec.headline, values))
        below = self._below
        video = self._video(spec.background)
        backdrop = Backdrop.from_rgba(np.asarray(Image.alpha_composite(below, above)), video)
        box = self._box
        bx, by, bw, bh = box.x_px, box.y_px, box.width_px, box.height_px
        box_over = below.crop((bx, by, bx + bw, by + bh))
        if box.style == "matte" or video is not None:  # a video shows in the corners: see _paste_presenter
            box_over.putalpha(0)
        else:
            box_over.putalpha(Image.fromarray(255 - self._mask))
        box_over.alpha_composite(above.crop((bx, by, bx + bw, by + bh)))
        lower = None
        if spec.lower_third is not None and values["name"]:
            lt = spec.lower_third  # the strap ends at the title-safe right edge
            lower = Overlay.from_rgba(render_lower_third(lt, tpl.fill(lt.name, values), tpl.fill(lt.title, values),
                                                         lower_third_room_px(tpl)))
        return _StoryLayers(backdrop, Overlay.from_rgba(np.asarray(box_over)), lower, tuple(items))

    def _card(self, which: str):
        card = self._cards.get(which)
        if card is None:
            with font_file(self.template.spec.font):
                card = self._cards[which] = self._draw_card_layers(which)
        return card

    def _draw_card_layers(self, which: str):
        tpl = self.template
        spec = getattr(tpl.spec, which)
        logo = None
        if tpl.spec.logo is not None:
            logo = Image.new("RGBA", (self.width_px, self.height_px), (0, 0, 0, 0))
            _draw_logo(logo, tpl.spec.logo, tpl.fill(tpl.spec.logo.text, self.values),
                       tpl.fill(tpl.spec.logo.subtext, self.values))
        heads = [s.headline for s in self.program.stories if s.headline]
        card = make_card(spec, (self.width_px, self.height_px), self.values, heads, logo)
        tx, ty, title = card.title
        return (Backdrop.from_rgba(card.base, self._video(spec.background)), (tx, ty, Overlay.from_rgba(title)),
                tuple((x, y, Overlay.from_rgba(a), d) for x, y, a, d in card.rest))

    @property
    def base(self) -> Frame:
        """The static layers of the first story (read-only), e.g. for a preview image; over the
        background video's first frame when the template has one (see backdrop_at)."""
        v = self.backdrop_at(0.0)
        v.flags.writeable = False
        return v

    def backdrop_at(self, t_s: float, story: int = 0) -> Frame:
        """A story's static layers as they look at program time t_s, without presenter or moving layers."""
        out = np.empty((self.height_px, self.width_px, 3), np.uint8)
        self._story(story).backdrop.draw(out, round(t_s * self.fps))
        return out

    def _video(self, bg: Background) -> "LoopingVideo | None":
        """The looping reader of a background's video, one per clip (stories and cards share it)."""
        if bg.video is None:
            return None
        reader = self._videos.get(bg.video)
        if reader is None:
            reader = LoopingVideo(bg.video, (self.width_px, self.height_px), self.fps, bg.video_loop_fade_s)
            self._videos[bg.video] = reader
        return reader

    def close(self) -> None:
        """Stop the background video decoders (stream() does it when it ends)."""
        for reader in self._videos.values():
            reader.close()
        self._videos.clear()

    def set_presenter_size(self, presenter_size: tuple[int, int]) -> None:
        """Prepare the crop/resize geometry and buffers for presenter frames of (width, height)."""
        self._presenter.prepare(presenter_size)

    # ------------------------------------------------------------ timing

    def _story_start(self, k: int) -> float:
        st = self.program.stories
        return st[k].start_s if k < len(st) else 0.0

    def lower_third_progress(self, t_s: float, story: int | None = None) -> float:
        """0 hidden … 1 fully shown: eased slide-in at in_s after the story starts, out at out_s."""
        lt = self._lower
        k = self.program.story_at(t_s) if story is None else story
        t = t_s - self._story_start(k)
        if lt is None or t < lt.in_s or (lt.out_s is not None and t >= lt.out_s + lt.transition_s):
            return 0.0
        p = ease_out_cubic((t - lt.in_s) / lt.transition_s)
        if lt.out_s is not None and t >= lt.out_s:
            p = min(p, 1.0 - ease_in_cubic((t - lt.out_s) / lt.transition_s))
        return p

    def scene_at(self, t_s: float) -> tuple[str, int]:
        """('intro', 0), ('story', k) or ('outro', 0) at program time t_s."""
        prog = self.program
        if self.template.spec.intro is not None and t_s < prog.intro_s:
            return ("intro", 0)
        if self.template.spec.outro is not None and t_s >= prog.intro_s + prog.speech_s:
            return ("outro", 0)
        return ("story", prog.story_at(t_s))

    def _boundaries(self) -> list[float]:
        prog = self.program
        b = [s.start_s for s in prog.stories[1:]]
        if self.template.spec.intro is not None:
            b.append(prog.intro_s)
        if self.template.spec.outro is not None:
            b.append(prog.intro_s + prog.speech_s)
        return b

    # ------------------------------------------------------------ per frame

    def subtitle_overlay(self, text: str, emphasis: tuple = (), translation: str = "") -> Overlay:
        """The rendered subtitle, from the cache (rendered on first use)."""
        return self._subtitles.overlay(text, emphasis, translation)

    def subtitle_origin(self, ov: Overlay) -> tuple[int, int]:
        """Canvas (x, y) of a subtitle overlay's top-left corner."""
        return self._subtitles.origin(ov)

    def frame(self, presenter: Frame, t_s: float, subtitle=None, matte: np.ndarray | None = None,
              pose: np.ndarray | None = None, out: Frame | None = None) -> Frame:
        """The composed canvas at program time `t_s` (RGB uint8, template size). Returns a reused buffer,
        or `out` (a template-size buffer that is drawn over entirely) when given.

        `subtitle` is the text (or a subtitles.Cue) shown now; `matte` an optional presenter alpha
        (H, W) uint8/float in the presenter frame's geometry, used by templates with style 'matte';
        `pose` an optional 2x3 transform that moves the presenter frame (and its matte) before it is
        placed, done in the same resampling as the placement (animate.pose_matrices, issue #7).
        """
        canvas = self._canvas if out is None else out
        scene = self.scene_at(t_s)
        self._draw_scene(canvas, scene, presenter, t_s, matte, pose)
        tr = self.template.spec.transition
        if self._wipe is not None and tr is not None:
            for b in self._boundaries():
                if abs(t_s - b) < tr.duration_s / 2:
                    before, after = self.scene_at(b - 1e-6), self.scene_at(b + 1e-6)
                    if before != after:
                        # the band sweeps across the whole transition, centred on the cut: in its first half the
                        # canvas still holds the old scene (only the second half was drawn: the band popped in)
                        if scene == before:
                            self._draw_scene(canvas, after, presenter, t_s, matte, pose)
                            scene = after
                        self._draw_scene(self._alt, before, presenter, t_s, matte, pose)
                        self._wipe_between(canvas, self._alt, (t_s - b) / tr.duration_s + 0.5)
                    break
        if subtitle and scene[0] == "story":
            self._subtitles.draw(canvas, subtitle)
        self._label.blend_into(canvas, *self._label_xy)
        return canvas

    def _draw_scene(self, canvas: Frame, scene: tuple[str, int], presenter: Frame, t_s: float,
                    matte: np.ndarray | None, pose: np.ndarray | None = None) -> None:
        if scene[0] != "story":
            self._draw_card(canvas, scene[0], t_s)
            return
        k = scene[1]
        layers = self._story(k)
        layers.backdrop.draw(canvas, round(t_s * self.fps))
        self._presenter.draw(canvas, presenter, matte, pose)
        layers.box_overlay.blend_into(canvas, self._box.x_px, self._box.y_px)
        if self._ticker is not None:
            self._ticker.blend_into(canvas, t_s)
        self._draw_items(canvas, layers, t_s)
        if layers.lower is not None:
            prog = self.lower_third_progress(t_s, k)
            if prog > 0:
                x = self._lower.x_px - int(round((1.0 - prog) * self._lower.slide_px))
                layers.lower.blend_into(canvas, x, self._lower.y_px, opacity=prog)

    def _draw_items(self, canvas: Frame, layers: _StoryLayers, t_s: float) -> None:
        sp = self.template.spec.slides
        if sp is None:
            return
        for start, kind, x, y, ov in layers.items:  # each in its own place (layers.layout_slide_items)
            if start > t_s:
                continue
            p = ease_out_cubic((t_s - start) / sp.item_in_s)
            ov.blend_into(canvas, x + int(round((1 - p) * sp.item_slide_px)), y, opacity=p)

    def _draw_card(self, canvas: Frame, which: str, t_s: float) -> None:
        backdrop, (tx, ty, title), rest = self._card(which)
        t = t_s if which == "intro" else t_s - (self.program.intro_s + self.program.speech_s)
        backdrop.draw(canvas, round(t_s * self.fps))
        for x, y, ov, delay in rest:
            p = ease_out_cubic((t - delay) / 0.5)
            if p > 0:
                ov.blend_into(canvas, x, y + int(round((1 - p) * 30)), opacity=p)
        p = ease_out_cubic((t - 0.15) / 0.7)
        if p > 0:
            title.blend_into(canvas, tx, ty + int(round((1 - p) * 60)), opacity=p)

    def _wipe_between(self, canvas: Frame, before: Frame, progress: float) -> None:
        """A slanted band sweeps left → right; the new scene (canvas) is revealed behind it."""
        W, H = self.width_px, self.height_px
        band = self._wipe
        x = int(round(-band.width_px + progress * (W + band.width_px)))
        slant = self._wipe_slant
        step = 8  # rows per strip: a stepped slant, invisible under the band
        for y0 in range(0, H, step):
            cut = x + int(slant * (1 - (y0 + step / 2) / H)) + band.width_px // 2
            cut = min(max(cut, 0), W)
            canvas[y0:y0 + step, cut:] = before[y0:y0 + step, cut:]
        band.blend_into(canvas, x, 0)

    def stream(self, faces: Iterable[PresenterFrame | Frame], cues: Sequence = (), keep: int | None = None,
               buffers: Callable[[], Frame] | None = None,
               on_keep: Callable[[Frame], None] | None = None) -> Iterator[Frame]:
        """Program frames: the intro card, one frame per presenter frame (subtitles from `cues`, on
        the program clock), the outro card. Items of `faces` are PresenterFrames (a bare Frame is one
        without matte or pose); their matte and pose are used as `frame` describes.
        Frame number `keep` is also composed without its subtitle and handed to `on_keep` (the cover).
        `buffers`, if given, supplies the buffer each frame is drawn into (VideoWriter.buffer: no copy
        on write); without it every frame is the compositor's own reused canvas."""
        fps, prog = self.fps, self.program
        n_intro, _, n_outro = prog.frame_counts(fps, 0)
        it = (f if isinstance(f, PresenterFrame) else PresenterFrame(f) for f in faces)
        first = next(it, None)
        if first is None:
            return
        face, matte, pose = first.image, first.matte, first.pose
        i = 0
        try:
            for _ in range(n_intro):
                yield self._emit(i, face, matte, None, keep, pose, buffers, on_keep)
                i += 1
            for item in itertools.chain([first], it):
                face, matte, pose = item.image, item.matte, item.pose
                t = i / fps
                yield self._emit(i, face, matte, cue_at(cues, t), keep, pose, buffers, on_keep)
                i += 1
            for _ in range(n_outro):
                yield self._emit(i, face, matte, None, keep, pose, buffers, on_keep)
                i += 1
        finally:
            self.close()  # background video decoders

    def _emit(self, i: int, face: Frame, matte, cue, keep: int | None, pose: np.ndarray | None = None,
              buffers: Callable[[], Frame] | None = None, on_keep: Callable[[Frame], None] | None = None) -> Frame:
        t = i / self.fps
        if i == keep and on_keep is not None:
            on_keep(self.frame(face, t, None, matte, pose).copy())
        return self.frame(face, t, cue, matte, pose, out=buffers() if buffers else None)
