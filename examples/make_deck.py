"""Regenerates the deck example: examples/deck.pptx (python-pptx: four 16:9 slides in Chinese with speaker
notes) and examples/deck.pdf (the same deck drawn by LibreOffice headless, as `xiaonuan render` draws it).
An illustrative service explainer, not real policy. Run it from anywhere:

    .venv/bin/python examples/make_deck.py      # then: .venv/bin/xiaonuan render examples/deck.pptx
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Emu, Inches, Pt

HERE = Path(__file__).parent
NAVY, BLUE, PAPER, INK, MUTED = (RGBColor(0x10, 0x20, 0x4A), RGBColor(0x1E, 0x6E, 0xF0), RGBColor(0xF6, 0xF8, 0xFC),
                                 RGBColor(0x27, 0x32, 0x4A), RGBColor(0x6B, 0x78, 0x94))
FONT = "Noto Sans CJK SC"  # LibreOffice uses the nearest CJK font it has where this one is missing

# (title, bullets, where the text block sits, speaker notes)
SLIDES = [
    ("家庭医生签约指南", ["小暖社区卫生服务中心", "三分钟看懂怎么签、签了有什么用"], "title",
     "大家好，我是小暖。今天用三分钟，讲清楚家庭医生怎么签约，签了以后有什么用。"),
    ("签约能得到什么", ["固定的家庭医生团队", "慢病随访与用药指导", "优先预约专家号"], "left",
     "签约以后，您会有一个固定的家庭医生团队。高血压、糖尿病这样的慢病，医生会定期随访，指导用药。"
     "需要看专家的时候，还可以优先预约。"),
    ("怎么签约", ["带上身份证和医保卡", "到社区中心一楼服务台", "或在小程序里在线签约"], "right",
     "签约很简单。带上身份证和医保卡，到社区中心一楼服务台就能办理；也可以在小程序里在线签约。"),
    ("常见问题", ["签约免费吗？基本服务免费", "可以换医生吗？每年可调整一次"], "bottom",
     "最后是两个常见问题。基本服务是免费的；如果想换医生，每年可以调整一次。谢谢大家！"),
]


def _text(slide, x, y, w, h, lines, size_pt, color, bold=False):
    box = slide.shapes.add_textbox(x, y, w, h)
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.space_after = Pt(size_pt * 0.5)
        run = p.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.name = Pt(size_pt), bold, FONT
        run.font.color.rgb = color
    return box


def _bar(slide, x, y, w, h, color):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, w, h)
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()


def make_pptx(path: Path) -> Path:
    """The four slides, each with its speaker notes, text placed so the free corner changes from page to page."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    W, H = prs.slide_width, prs.slide_height
    for title, bullets, where, notes in SLIDES:
        slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
        bg = slide.background.fill
        bg.solid()
        bg.fore_color.rgb = PAPER
        _bar(slide, 0, 0, W, Inches(0.18), BLUE)
        if where == "title":
            _bar(slide, 0, 0, Inches(5.2), H, NAVY)
            _text(slide, Inches(0.7), Inches(2.3), Inches(4.2), Inches(2.5), [title], 44, RGBColor(255, 255, 255), True)
            _text(slide, Inches(5.9), Inches(2.6), Inches(6.8), Inches(2.2), bullets, 30, INK)
        elif where == "left":
            _text(slide, Inches(0.8), Inches(0.6), Inches(8), Inches(1.0), [title], 40, NAVY, True)
            _text(slide, Inches(0.8), Inches(2.0), Inches(7.2), Inches(4.5), ["• " + b for b in bullets], 30, INK)
        elif where == "right":
            _text(slide, Inches(5.2), Inches(0.6), Inches(7.5), Inches(1.0), [title], 40, NAVY, True)
            _text(slide, Inches(5.2), Inches(2.0), Inches(7.5), Inches(4.5),
                  [f"{i + 1}. {b}" for i, b in enumerate(bullets)], 30, INK)
            _bar(slide, Inches(0.8), Inches(2.0), Inches(3.6), Emu(int(Inches(3.2))), BLUE)
        else:  # the title at the top right: the presenter moves to the top left
            _text(slide, Inches(9.2), Inches(0.6), Inches(3.8), Inches(1.0), [title], 40, NAVY, True)
            _text(slide, Inches(0.8), Inches(4.6), Inches(11.5), Inches(2.4), ["• " + b for b in bullets], 30, INK)
        _text(slide, W - Inches(2.6), H - Inches(0.6), Inches(2.4), Inches(0.4), ["小暖社区卫生服务中心"], 12, MUTED)
        slide.notes_slide.notes_text_frame.text = notes
    prs.core_properties.title = SLIDES[0][0]
    prs.save(path)
    return path


def make_pdf(pptx: Path, pdf: Path) -> Path:
    """The deck drawn by LibreOffice headless (what a PPTX render draws), copied to `pdf`."""
    from xiaonuan.deck.pptx import to_pdf

    with tempfile.TemporaryDirectory(prefix="make-deck-") as tmp:
        shutil.copyfile(to_pdf(pptx, Path(tmp), str(pptx)), pdf)
    return pdf


if __name__ == "__main__":
    deck = make_pptx(HERE / "deck.pptx")
    print(deck, make_pdf(deck, HERE / "deck.pdf"))
