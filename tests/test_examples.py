"""Every template renders its sample script (examples/<template>_zh.md) end to end; the MP4 is decoded
and checked: size, fps, A/V length, subtitles in the frames where the SRT says, the AI label, cover."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import xiaonuan
from conftest import decode_frames
from xiaonuan.compose import Compositor, ai_label_box
from xiaonuan.encode import probe
from xiaonuan.subtitles import Cue
from xiaonuan.templates import load_template

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TEMPLATES = ("news", "explainer", "vertical", "bulletin")
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
    the markup lines (translation, one bullet, images) that follow it."""
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
            if bullets < 1:
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
