"""Every template renders its sample script (examples/<template>_zh.md) end to end; the MP4 is decoded
and checked: size, fps, A/V length, subtitles in the frames where the SRT says, the AI label, cover."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import xiaonuan
from conftest import decode_frames
from xiaonuan.canvas import Compositor, ai_label_box
from xiaonuan.encode import probe
from xiaonuan.subtitles import Cue
from xiaonuan.templates import load_template

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TEMPLATES = ("news", "explainer", "vertical", "bulletin", "studio")
VOICE = "fake:cmn"  # deterministic and fast; the real voice is covered by test_render


def _srt(path: Path) -> list[Cue]:
    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        a, b = re.findall(r"(\d+):(\d+):(\d+),(\d+)", lines[1])
        to_s = lambda h, m, s, ms: int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000  # noqa: E731
        cues.append(Cue(to_s(*a), to_s(*b), "\n".join(lines[2:])))
    return cues


def short_version(text: str) -> str:
    """The example cut down for speed: front matter, headings, and per story its first text line plus
    the markup lines (translation, one bullet, images and the bullets they come with) that follow it."""
    head, sep, body = text.partition("\n---\n") if text.startswith("---") else ("", "", text)
    keep, spoken, bullets = [], False, 0
    for line in body.splitlines():
        s = line.strip()
        if s.startswith("#"):
            keep.append(line)
            spoken, bullets = False, 0
        elif s.startswith(">") or s.startswith("!["):
            keep.append(line)
        elif s.startswith("- "):
            if bullets < 1 or keep[-1].strip().startswith("!["):  # the bullet an image is shown with
                keep.append(line)
            bullets += 1
        elif s and not spoken:
            keep.append(line)
            spoken = True
    return head + sep + "\n".join(keep) + "\n"


@pytest.fixture(scope="module", params=TEMPLATES)
def rendered(request, tmp_path_factory):
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    script = folder / "script.md"
    script.write_text(short_version((EXAMPLES / f"{name}_zh.md").read_text(encoding="utf-8")), encoding="utf-8")
    for img in EXAMPLES.glob("*.png"):  # slide images sit beside the script
        (folder / img.name).write_bytes(img.read_bytes())
    return name, xiaonuan.render(script, template=name, voice=VOICE, out=folder / f"{name}.mp4")


def test_example_renders_and_decodes(rendered):
    name, result = rendered
    tpl = load_template(name)
    info = probe(result.mp4)
    assert (info.width, info.height) == (tpl.width_px, tpl.height_px)
    assert info.fps == pytest.approx(tpl.fps)
    assert abs(info.audio_duration_s - info.video_duration_s) <= 0.04
    assert "AI-generated" in info.metadata.get("comment", "")
    assert result.duration_s >= tpl.intro_s + tpl.outro_s + 1.0
    assert result.cover.is_file() and result.cover.stat().st_size > 10_000
    assert result.vtt.read_text(encoding="utf-8").startswith("WEBVTT")

    cues = _srt(result.srt)
    assert cues and cues[0].start_s >= tpl.intro_s - 1e-6  # subtitles start after the intro card
    fps = tpl.fps
    on = {round((c.start_s + c.end_s) / 2 * fps): c for c in cues[:3]}
    off = round(tpl.intro_s * fps / 2) if tpl.intro_s else round(cues[0].start_s * fps) - 2
    frames = decode_frames(result.mp4, set(on) | {off})
    comp = Compositor(tpl)
    st = tpl.spec.subtitles
    for i, cue in on.items():
        ov = comp.subtitle_overlay(cue.text.split("\n")[0] if "\n" in cue.text and not st.max_lines else cue.text)
        x, y = comp.subtitle_origin(ov)
        band = frames[i][max(y, 0):y + ov.height_px, x:x + ov.width_px]
        # the subtitle's text colour is present in its band (bright, thick glyphs)
        text_rgb = np.array(st.color[:3])
        hits = (np.abs(band.astype(int) - text_rgb).max(axis=2) < 40).mean()
        assert hits > 0.03, (name, i, cue.text, hits)
    # the AI label is on every checked frame, identical to the template's own drawing
    x0, y0, x1, y1 = ai_label_box(tpl.spec.ai_label, tpl.width_px, tpl.height_px)
    ref = comp.frame(np.zeros((64, 64, 3), np.uint8), 0.5)[y0:y1, x0:x1].astype(int)
    for i, f in frames.items():
        assert np.abs(f[y0:y1, x0:x1].astype(int) - ref).mean() < 14, (name, i)


def test_cover_is_a_calm_frame_with_the_headline(rendered):
    from PIL import Image

    name, result = rendered
    tpl = load_template(name)
    img = Image.open(result.cover)
    assert img.size == (tpl.width_px, tpl.height_px) and img.format == "JPEG"


@pytest.mark.parametrize("rendered", ["explainer"], indirect=True)
def test_explainer_shows_a_story_s_images_side_by_side(rendered):
    """examples/explainer_zh.md's first story brings two charts: at its end both are on the panel at once,
    each in its own place (layers.layout_slide_items), the second not covering the first."""
    name, result = rendered
    tpl = load_template(name)
    cues = _srt(result.srt)
    story2 = next(c for c in cues if c.text.startswith("本市"))  # the second story's first cue
    i = round((story2.start_s - tpl.spec.transition.duration_s) * tpl.fps) - 3  # before the wipe
    frame = decode_frames(result.mp4, {i})[i].astype(int)
    sp = tpl.spec.slides
    panel = frame[sp.y_px:sp.y_px + sp.height_px, sp.x_px:sp.x_px + sp.width_px]

    def columns(rgb: tuple[int, int, int]) -> np.ndarray:
        hit = np.abs(panel - rgb).max(axis=2) <= 12
        assert hit.sum() > 300, rgb
        return np.flatnonzero(hit.any(axis=0))

    bars = columns((255, 176, 32))  # landfill.png's first (orange) bar (examples/make_slides.py)
    ring = columns((40, 160, 80))  # recycling.png's green ring
    assert bars.max() < ring.min() or ring.max() < bars.min()  # side by side, not stacked on each other


@pytest.mark.parametrize("rendered", ["studio"], indirect=True)
def test_studio_background_video_moves_loops_and_static_layers_stay(rendered):
    """The studio set is a looping clip (templates/studio/loop.mp4, 5 s): where nothing is drawn over it
    the frame is the clip at that time, changes over half a loop and is back one loop later; the
    logo over it does not move."""
    from xiaonuan.loopvideo import LoopingVideo

    name, result = rendered
    tpl = load_template(name)
    a = 40
    with LoopingVideo(tpl.spec.background.video, (tpl.width_px, tpl.height_px), tpl.fps, 0.0) as clip:
        period = clip.period
        half = period // 2
        assert result.n_frames - round(tpl.outro_s * tpl.fps) > a + period + 20  # a loop fits the story
        frames = decode_frames(result.mp4, {a, a + half, a + period})
        bg = (slice(10, 100), slice(400, 900))  # only the clip here: between the logo and the date
        lg = tpl.spec.logo  # inside the logo's plate (its text block starts at x_px)
        logo = (slice(lg.y_px + 5, lg.y_px + lg.height_px - 5), slice(lg.x_px + 10, lg.x_px + 180))

        def diff(i: int, j: int, where) -> float:
            return float(np.abs(frames[i][where].astype(int) - frames[j][where]).mean())

        assert np.abs(frames[a][bg].astype(int) - clip.frame(a)[bg]).mean() < 3  # the clip, cover-scaled
        assert np.abs(frames[a][bg].astype(int) - clip.frame(a + half)[bg]).mean() > 5  # … at its own time
    assert diff(a, a + half, bg) > 4  # the set moves
    assert diff(a, a + period, bg) < 1.5  # and loops
    assert diff(a, a + half, logo) < 1  # the static layers over it stay put
