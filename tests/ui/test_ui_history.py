"""The History tab (issue 19): rows in words rather than JSON, Re-render asks for the same render again, Delete
removes the row and the page's files for it (files a command line wrote elsewhere are kept)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2

from xiaonuan.store import RenderRecord, Store
from xiaonuan.ui import app as ui
from xiaonuan.ui.history import delete_entry, history_detail, rerender_args, settings_text
from xiaonuan.ui.session import SIZE_TEMPLATE

SCRIPT = "# 小暖快讯\n\n今天天气很好。"


def _page_fn(demo, name: str):
    fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns
    return next(f.fn for f in fns if getattr(f.fn, "__name__", "") == name or f.api_name == name)


def _size(mp4: str) -> tuple[int, int]:
    cap = cv2.VideoCapture(mp4)
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()


def test_settings_read_as_words_and_rows_from_elsewhere_render_again():
    words = settings_text({"template": "news", "avatar": "default", "voice": "espeak:cmn", "speed": 1.2,
                           "size": "720p", "fields": {"headline": "快讯", "date": "3月4日"}})
    assert "{" not in words and "模板 template: `news`" in words and "headline = 快讯" in words
    batch_row = RenderRecord(1, 0.0, 1.0, "ok", "batch", "", "k1", "今天。", {"template": "bulletin", "avatar": "sun",
                             "voice": None, "fields": {"headline": "头条", "ticker": "滚动"}, "seed": 0, "name": "k1"},
                             None, None, None, None, None, None, None)
    assert rerender_args(batch_row, ui.AUTO_VOICE, SIZE_TEMPLATE) == (
        "今天。", "bulletin", "sun", ui.AUTO_VOICE, 1.0, SIZE_TEMPLATE, "头条", "", "", "ticker=滚动")


def test_rerender_then_delete_from_the_history(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    store = Store(tmp_path / "history.db")
    demo = ui.build_app(store)
    render = _page_fn(demo, "bound")
    asyncio.run(render(SCRIPT, "news", "default", "espeak:cmn", 1.0, "540p", "", "", "", "date=3月4日", None, None))
    (first,) = store.renders()
    video, files, note = asyncio.run(_page_fn(demo, "again_fn")(first.id, None))
    assert note.startswith("**Rendered**")
    second, _ = store.renders()
    assert second.id != first.id and second.status == "ok" and second.mp4 != first.mp4
    assert (second.script, dict(second.settings)) == (first.script, dict(first.settings))  # the same request
    assert _size(second.mp4) == _size(first.mp4) == (960, 540)
    _, _, info = history_detail(store, second.id)
    assert "尺寸 size: `540p`" in info and "date = 3月4日" in info

    outside = tmp_path / "elsewhere.mp4"  # a command line's output, recorded in the same history
    outside.write_bytes(b"\0" * 16)
    cli = store.start_render("你好。", {"template": "news"}, source="cli")
    store.finish_render(cli, mp4=outside)
    running = store.start_render("你好。", {"template": "news"})

    page_files = [Path(p) for p in (second.mp4, second.srt, second.cover) if p]
    assert all(p.is_file() for p in page_files)
    note = delete_entry(store, second.id, tmp_path / "ui")
    assert note.startswith(f"已删除 Deleted #{second.id}") and store.render(second.id) is None
    assert not any(p.exists() for p in page_files) and not Path(second.mp4).parent.exists()  # its folder too
    assert Path(first.mp4).is_file()  # the other render is untouched
    note = delete_entry(store, cli, tmp_path / "ui")
    assert store.render(cli) is None and outside.is_file() and str(outside) in note
    assert "nothing deleted" in delete_entry(store, running, tmp_path / "ui") and store.render(running)
