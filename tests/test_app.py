"""The web UI's helpers, without a browser: estimates, fields, auth, previews, enrolment fallback."""

from __future__ import annotations

import pytest

from xiaonuan import ui
from xiaonuan.errors import InputError


def test_estimate_counts_characters_sentences_and_seconds():
    line = ui.estimate("# 标题\n\n今天天气很好。[pause 2s]我们出去玩吧。")
    assert "14 字" in line and "2 句" in line and "中文" in line
    seconds = int(line.split("≈ ")[1].split(" s")[0])
    assert 4 <= seconds <= 8
    assert ui.estimate("") == "0 字 chars"
    assert ui.estimate("   ").startswith("0")


def test_fields_and_first_sentence():
    assert ui.parse_fields("头条", "", " 记者 ", "date=3月4日\n\n") == {"headline": "头条", "title": "记者",
                                                                      "date": "3月4日"}
    assert ui.parse_fields("", "", "", "channel＝小暖台") == {"channel": "小暖台"}    # typed with a Chinese IME
    with pytest.raises(InputError, match="key=value"):
        ui.parse_fields("", "", "", "novalue")
    assert ui.first_sentence_script("# 快讯\n\n第一句。第二句。") == "# 快讯\n\n第一句。"
    assert ui.rate_for("你好。", 1.0) is None and ui.rate_for("你好。", 1.5) == 255


def test_auth_parsing():
    assert ui.parse_auth(None) is None and ui.parse_auth("") is None
    assert ui.parse_auth("ann:pw, bob:x:y") == [("ann", "pw"), ("bob", "x:y")]
    with pytest.raises(ValueError):
        ui.parse_auth("nopassword")


def test_outputs_and_thumbnails_stay_in_the_app_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    out = ui.new_output("render")
    assert out.suffix == ".mp4" and out.parent.is_relative_to(tmp_path / "ui")
    thumb = ui.template_thumbnail("news")
    assert thumb is not None and thumb.is_relative_to(tmp_path / "ui") and thumb.stat().st_size > 1000
    assert ui.template_thumbnail("news") == thumb  # cached
    assert ui.avatar_thumbnail("default").is_relative_to(tmp_path / "ui")


def test_enrol_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    text, image = ui.enrol_avatar("", "x", "孙丽")
    assert image is None and ("Upload" in text or "not available" in text)
    text, _ = ui.enrol_avatar(str(tmp_path / "a.png"), "x", "  ")
    assert "consent" in text.lower() or "not available" in text


def test_the_app_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    demo = ui.build_app()
    assert demo.title.startswith("小暖")


def test_enrol_from_the_page_shows_report_and_sheet(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XIAONUAN_AVATARS", str(tmp_path / "avatars"))
    portrait = Path(__file__).resolve().parents[1] / "assets" / "avatar" / "default" / "portrait.png"
    text, image = ui.enrol_avatar(str(portrait), "probe", "孙丽, 2025-01-31")
    assert text.startswith("**Enrolled `probe`**") and "eye distance" in text
    assert image and Path(image).is_file() and Path(image).is_relative_to(tmp_path / "data" / "ui")


def test_the_page_renders_only_the_templates_it_lists(tmp_path, monkeypatch):
    # render() takes a template folder's path (a marketer's copy); a request from the page must not reach one
    import gradio as gr
    import pytest

    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    demo = ui.build_app()
    fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns
    render_fn = next(f.fn for f in fns if getattr(f.fn, "__name__", "") == "bound")
    with pytest.raises(gr.Error, match="Unknown template"):
        render_fn("今天天气很好。", "/etc", "default", "auto", 1.0, "", "", "", "", None)
