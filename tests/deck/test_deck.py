"""Slide decks (issue 21): PDF and PPTX decks become presented videos, page by page."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import decode_frames
from xiaonuan import templates
from xiaonuan.canvas import DeckCompositor
from xiaonuan.deck import open_deck
from xiaonuan.deck.layout import overlaps, presenter_spot
from xiaonuan.errors import DependencyError, InputError, ScriptError
from xiaonuan.render import RenderRequest, render

FAKE = "fake:cmn"


@dataclass(frozen=True)
class Cue:
    start_s: float
    text: str


def read_srt(path: Path) -> list[Cue]:
    """The cues of an SRT file: start time and text (lines joined)."""
    out = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        h, m, rest = lines[1].split(" --> ")[0].split(":")
        s, ms = rest.split(",")
        out.append(Cue(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000, "".join(lines[2:])))
    return out


def write_pdf(path: Path, pages: list[dict], *, encrypted: bool = False) -> Path:
    """A small PDF written by hand: per page a size in points, a fill colour (0..1) and ASCII texts
    (x, y, size, text) in Helvetica, so its text boxes are where the test put them."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))),
                                                         len(pages)),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, pg in enumerate(pages):
        w, h = pg.get("size", (960, 540))
        r, g, b = pg.get("color", (1, 1, 1))
        content = f"{r} {g} {b} rg 0 0 {w} {h} re f 0 0 0 rg " + "".join(
            f"BT /F1 {s} Tf {x} {y} Td ({t}) Tj ET " for x, y, s, t in pg.get("texts", ()))
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Rotate {pg.get('rotate', 0)} "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>")
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    trailer = ""
    if encrypted:  # the standard security handler with a user password: PDFium asks for it
        objs.append("<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % ("ab" * 32, "cd" * 32))
        trailer = f" /Encrypt {len(objs)} 0 R /ID [<{'01' * 16}> <{'01' * 16}>]"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def test_pdf_pages_text_and_boxes(tmp_path):
    pdf = write_pdf(tmp_path / "d.pdf", [{"texts": [(60, 460, 40, "Hello deck")]}, {"size": (720, 540)}])
    with open_deck(pdf, hold_s=2.0, narration=None) as deck:
        assert len(deck.pages) == 2
        p = deck.pages[0]
        assert p.text == "Hello deck" and (p.width_pt, p.height_pt) == (960, 540)
        (x0, y0, x1, y1), = p.text_boxes
        assert 0.05 < x0 < 0.08 and 0.07 < y0 < 0.14 < y1 < 0.2  # from the top-left (baseline at 0.148)
        assert deck.image(1, 400, 400).shape == (300, 400, 3)  # 4:3 kept, never stretched


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_text_boxes_are_where_the_text_is_drawn_on_a_turned_page(tmp_path, turn):
    pdf = write_pdf(tmp_path / "d.pdf", [{"rotate": turn, "texts": [(500, 80, 60, "HELLO")]}])
    with open_deck(pdf, hold_s=2.0) as deck:
        page = deck.pages[0]
        img = deck.image(0, 600, 600)
        (x0, y0, x1, y1), = page.text_boxes
    assert (page.width_pt > page.height_pt) == (turn in (0, 180))
    ys, xs = np.nonzero(img.min(axis=2) < 128)  # the black text on the white page
    h, w = img.shape[:2]
    ink = (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)
    assert np.allclose(ink, (x0, y0, x1, y1), atol=0.02), (ink, (x0, y0, x1, y1))


def test_a_last_page_without_narration_is_held(tmp_path):
    write_pdf(tmp_path / "d.pdf", [{"color": COLOURS[0]}, {"color": COLOURS[1]}])
    (tmp_path / "d.md").write_text("## 第1页\n你好。\n", encoding="utf-8")
    out = tmp_path / "o.mp4"
    result = render(RenderRequest(tmp_path / "d.pdf", template="deck", voice=FAKE, out=out, height_px=240))
    frames = decode_frames(out, set(range(result.n_frames)))
    shown = [_page_of(frames[i], 120, 213) for i in range(result.n_frames)]
    hold = templates.load_template("deck").spec.deck.hold_s
    assert shown[0] == 0 and shown[-1] == 1 and abs(shown.count(1) / result.fps - hold) < 0.1


COLOURS = [(0.9, 0.2, 0.2), (0.2, 0.8, 0.3), (0.2, 0.3, 0.9), (0.9, 0.8, 0.1)]


def _page_of(frame: np.ndarray, y: int, x: int) -> int | None:
    """Which test page (by its fill colour) a frame shows at (y, x); None for none."""
    px = frame[y, x].astype(float) / 255
    d = [np.abs(px - np.array(c)).max() for c in COLOURS]
    return int(np.argmin(d)) if min(d) < 0.12 else None


def test_each_page_is_a_scene_and_its_narration_starts_when_it_shows(tmp_path):
    pdf = write_pdf(tmp_path / "talk.pdf", [{"color": c, "texts": [(60, 460, 40, f"Page {i + 1}")]}
                                            for i, c in enumerate(COLOURS)])
    (tmp_path / "talk.md").write_text("## 第1页\n大家好。\n\n[slide 2]\n第二页讲价格。\n\n## 第4页\n最后一页。\n",
                                      encoding="utf-8")  # found beside the deck; page 3 has no narration
    out = tmp_path / "out" / "talk.mp4"
    result = render(RenderRequest(tmp_path / "talk.pdf", template="deck", voice=FAKE, out=out, height_px=360))
    fps = result.fps
    frames = decode_frames(out, set(range(result.n_frames)))
    shown = [_page_of(frames[i], 180, 320) for i in range(result.n_frames)]
    first = {}
    for i, p in enumerate(shown):
        first.setdefault(p, i)
    assert sorted(k for k in first if k is not None) == [0, 1, 2, 3]  # every page a scene, in order
    assert [first[k] for k in range(4)] == sorted(first[k] for k in range(4))
    cues = read_srt(out.with_suffix(".srt"))
    starts = {c.text: c.start_s for c in cues}
    for page, text in ((1, "第二页讲价格"), (3, "最后一页")):
        assert abs(first[page] - starts[text] * fps) <= 1, (page, first[page], starts[text] * fps)
    hold = templates.load_template("deck").spec.deck.hold_s
    assert abs((first[3] - first[2]) / fps - hold) < 0.1  # the page without narration stays hold_s
    assert pdf.is_file() and out.with_suffix(".jpg").is_file() and out.with_suffix(".vtt").is_file()


def test_presenter_goes_to_the_free_corner_and_never_covers_text(tmp_path):
    corners = {"tl": (40, 480), "tr": (700, 480), "bl": (40, 40), "br": (700, 40)}
    pages = []
    for free in ("tl", "tr", "bl", "br", None):  # text in the other three corners; then in all four
        pages.append({"texts": [(x, y, 28, "Some text here") for k, (x, y) in corners.items() if k != free]})
    pdf = write_pdf(tmp_path / "d.pdf", pages)
    (tmp_path / "d.md").write_text("".join(f"## 第{i}页\n第{i}页。\n" for i in range(1, 6)), encoding="utf-8")
    tpl = templates.load_template("deck").at_height(360)
    with open_deck(pdf, hold_s=2.0) as deck:
        comp = DeckCompositor(tpl, deck)
        warnings = comp.prepare()
        for i in range(5):
            pl = comp.page(i)
            assert len(pl.text_boxes) == (4 if i == 4 else 3)
            if pl.box is not None:
                assert not any(overlaps(pl.box, t) for t in pl.text_boxes), i
        spots = [comp.page(i).box for i in range(4)]
        W, H = tpl.width_px, tpl.height_px
        where = [("t" if b[1] < H / 2 else "b") + ("l" if b[0] < W / 2 else "r") for b in spots]
        assert where == ["tl", "tr", "bl", "br"]
        assert comp.page(4).box is None and any("page 5" in w and "hidden" in w for w in warnings)
        comp._pages.clear()  # drawn again, as pages are after prepare() (only the last few are kept)
        assert comp.page(4).box is None and sum("page 5" in w for w in comp.warnings) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 340), st.integers(1, 200), st.integers(1, 60)),
                max_size=8))
def test_presenter_spot_never_overlaps_text(boxes):
    text = [(x, y, x + w, y + h) for x, y, w, h in boxes]
    spot = presenter_spot(text, (0, 0, 640, 320), (100, 100), margin_px=9, gap_px=5)
    if spot is not None:
        grown = (spot[0] - 5, spot[1] - 5, spot[2] + 5, spot[3] + 5)
        assert not any(overlaps(grown, t) for t in text)
        assert 0 <= spot[0] and spot[2] <= 640 and 0 <= spot[1] and spot[3] <= 320


def test_page_text_is_the_fallback_narration_with_a_warning(tmp_path):
    write_pdf(tmp_path / "d.pdf", [{"texts": [(60, 460, 40, "Hello world.")]}, {"texts": [(60, 460, 40, "Thanks.")]}])
    out = tmp_path / "o.mp4"
    result = render(RenderRequest(tmp_path / "d.pdf", template="deck", voice="fake:en-us", out=out, height_px=240))
    assert any("fallback" in w for w in result.warnings)
    assert [c.text for c in read_srt(out.with_suffix(".srt"))] == ["Hello world", "Thanks"]


def _bad(tmp_path, deck: Path, error, words: str, **request):
    out = tmp_path / "out" / "v.mp4"
    with pytest.raises(error) as e:
        render(RenderRequest(deck, template="deck", voice=FAKE, out=out, height_px=240, **request))
    assert words in str(e.value), str(e.value)
    assert not out.parent.exists() or not any(out.parent.iterdir())  # nothing half-written
    return str(e.value)


def test_bad_decks_are_refused_with_the_fix_and_nothing_written(tmp_path):
    enc = write_pdf(tmp_path / "enc.pdf", [{}], encrypted=True)
    _bad(tmp_path, enc, InputError, "encrypted")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    _bad(tmp_path, bad, InputError, "not a readable PDF")
    many = write_pdf(tmp_path / "many.pdf", [{}] * 300)
    _bad(tmp_path, many, InputError, "300 pages, more than the limit of 200")
    huge = write_pdf(tmp_path / "huge.pdf", [{"size": (20000, 12000)}])
    _bad(tmp_path, huge, InputError, "at most 14400 pt")
    strip = write_pdf(tmp_path / "strip.pdf", [{"size": (9000, 500)}])
    _bad(tmp_path, strip, InputError, "thin strip")
    ok = write_pdf(tmp_path / "ok.pdf", [{"texts": [(60, 460, 40, "Hi")]}])
    (tmp_path / "ko.md").write_text("## 第1页\n안녕하세요 여러분, 오늘은 가격을 이야기합니다.\n", encoding="utf-8")
    _bad(tmp_path, ok, ScriptError, "Hangul", narration=tmp_path / "ko.md")
    (tmp_path / "p9.md").write_text("## 第9页\n你好。\n", encoding="utf-8")
    _bad(tmp_path, ok, ScriptError, "page 9 is not in the deck", narration=tmp_path / "p9.md")
    (tmp_path / "empty.pdf").write_bytes(write_pdf(tmp_path / "e.pdf", [{}]).read_bytes())
    _bad(tmp_path, tmp_path / "empty.pdf", ScriptError, "nothing to say")
    with pytest.raises(InputError, match="--template deck"):
        render(RenderRequest(ok, template="news", voice=FAKE, out=tmp_path / "n.mp4", height_px=240))


def test_a_few_letters_no_voice_reads_are_a_warning(tmp_path):
    ok = write_pdf(tmp_path / "ok.pdf", [{"texts": [(60, 460, 40, "Hi")]}])
    (tmp_path / "ok.md").write_text("## 第1页\n角度α等于三十度。\n", encoding="utf-8")
    with open_deck(ok, hold_s=2.0) as deck:
        assert any("Greek" in w for w in deck.narration.warnings)


def _pptx(path: Path, slides: list[tuple[str, str]]) -> Path:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    for title, notes in slides:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        box = slide.shapes.add_textbox(Inches(0.6), Inches(0.5), Inches(8), Inches(1.2))
        box.text_frame.text = title
        box.text_frame.paragraphs[0].runs[0].font.size = Pt(40)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    prs.save(path)
    return path


def test_pptx_without_slides_is_refused(tmp_path):
    _bad(tmp_path, _pptx(tmp_path / "none.pptx", []), InputError, "has no slides")
    junk = tmp_path / "junk.pptx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    _bad(tmp_path, junk, InputError, "not a readable PPTX")


def test_pptx_needs_libreoffice_and_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    _bad(tmp_path, _pptx(tmp_path / "d.pptx", [("Hello", "你好。")]), DependencyError,
         "apt-get install libreoffice-impress")


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice is not installed (tools/setup_libreoffice.sh; `make test` installs it)")
def test_pptx_notes_are_the_narration_and_pages_come_from_libreoffice(tmp_path):
    deck = _pptx(tmp_path / "d.pptx", [("Price", "第一页讲价格。"), ("Service", "第二页讲服务。")])
    out = tmp_path / "o.mp4"
    result = render(RenderRequest(deck, template="deck", voice=FAKE, out=out, height_px=240))
    assert [c.text for c in read_srt(out.with_suffix(".srt"))] == ["第一页讲价格", "第二页讲服务"]
    assert result.n_frames > 0 and not result.warnings


def test_a_rundown_item_can_be_a_deck(tmp_path):
    import yaml

    from xiaonuan.batch import load_rundown, run_batch

    write_pdf(tmp_path / "talk.pdf", [{"color": COLOURS[0], "texts": [(60, 460, 40, "Page 1")]}])
    (tmp_path / "talk.md").write_text("## 第1页\n大家好。\n", encoding="utf-8")
    rd = tmp_path / "rundown.yaml"
    rd.write_text(yaml.safe_dump({"defaults": {"voice": FAKE, "template": "news"},
                                  "items": [{"name": "talk", "deck": "talk.pdf"}]}), encoding="utf-8")
    rundown = load_rundown(rd)
    assert rundown.items[0].template == "deck" and rundown.items[0].source == str(tmp_path / "talk.pdf")
    report = run_batch(rundown, tmp_path / "out", jobs=1, height_px=240)
    assert report.succeeded, report.items
    assert [c.text for c in read_srt(tmp_path / "out" / "talk.srt")] == ["大家好"]
    (tmp_path / "talk.md").write_text("## 第1页\n大家晚上好。\n", encoding="utf-8")  # the narration changed:
    assert load_rundown(rd).items[0].script != rundown.items[0].script             # the item renders again


def test_the_web_page_renders_an_uploaded_deck(tmp_path, monkeypatch):
    import asyncio

    from xiaonuan.ui import app as ui

    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path / "data"))
    write_pdf(tmp_path / "talk.pdf", [{"color": COLOURS[0], "texts": [(60, 460, 40, "Page 1")]}])
    demo = ui.build_app()
    fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns
    preview = next(f.fn for f in fns if f.api_name == "bound_1")
    video, files, note = asyncio.run(preview("## 第1页\n大家好。", "news", "default", FAKE, 1.0, "540p",
                                             "", "", "", "", None, None, deck=str(tmp_path / "talk.pdf")))
    srt = next(Path(f) for f in files if f.endswith(".srt"))
    assert [c.text for c in read_srt(srt)] == ["大家好"]  # the script box was the deck's narration


@pytest.mark.parametrize("behaviour, words", [("sleep 30", "was stopped"), ("echo broken >&2; exit 3", "exit 3")])
def test_a_hung_or_failing_libreoffice_is_stopped_and_leaves_nothing(tmp_path, monkeypatch, behaviour, words):
    import os
    import tempfile

    from xiaonuan.deck import pptx
    from xiaonuan.errors import RenderError

    bin_dir, scratch = tmp_path / "bin", tmp_path / "scratch"
    bin_dir.mkdir(), scratch.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text(f"#!/bin/sh\n{behaviour}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(pptx, "SOFFICE_TIMEOUT_S", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    _bad(tmp_path, _pptx(tmp_path / "d.pptx", [("Hello", "你好。")]), RenderError, words)
    assert list(scratch.iterdir()) == []  # the temporary folder (profile, PDF) is gone
