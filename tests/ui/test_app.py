"""The web UI without a browser: its helpers, and its render and enrol functions called as Gradio calls them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from xiaonuan.ui import app as ui
from xiaonuan.errors import InputError
from xiaonuan.store import Store
from xiaonuan.ui.session import SIZE_TEMPLATE as SIZE

ROOT = Path(__file__).resolve().parents[2]


def test_estimate_counts_characters_sentences_and_seconds():
    line = ui.estimate("# 标题\n\n今天天气很好。[pause 2s]我们出去玩吧。")
    assert "14 字" in line and "2 句" in line and "中文" in line
    spoken_s = int(line.split("≈ ")[1].split(" s")[0])  # the script's estimated speech length, not a timing
    assert 4 <= spoken_s <= 8
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
    portrait = Path(__file__).resolve().parents[2] / "assets" / "avatar" / "default" / "portrait.png"
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
        asyncio.run(_call(render_fn, "今天天气很好。", "/etc", "default", "auto", 1.0, SIZE,
                                 "", "", "", "", None, None))


def _page_fn(demo, api_name: str):
    fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns
    return next(f.fn for f in fns if f.api_name == api_name)


async def _call(fn, *args):
    """fn(*args) as Gradio's queue calls an event's function: awaited, or a plain function in a worker thread."""
    import inspect

    import anyio

    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    return await anyio.to_thread.run_sync(fn, *args)


def test_a_cached_enrolment_shows_no_figures_it_did_not_measure(tmp_path, monkeypatch):
    # a cache hit measures nothing: it showed "face found in 0; eye distance 0 px" beside the stored warnings
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XIAONUAN_AVATARS", str(tmp_path / "avatars"))
    portrait = ROOT / "assets" / "avatar" / "default" / "portrait.png"
    first, _ = ui.enrol_avatar(str(portrait), "probe", "孙丽, 2025-01-31")
    again, image = ui.enrol_avatar(str(portrait), "probe", "孙丽, 2025-01-31")
    assert "face found in 1" in first and "cached" not in first
    assert "cached" in again and "face found" not in again and "eye distance" not in again
    neutral = [line for line in first.splitlines() if "neutral frame" in line]
    assert neutral and neutral == [line for line in again.splitlines() if "neutral frame" in line]
    assert image and Path(image).is_file()


def test_a_preview_is_not_recorded_in_the_history(tmp_path, monkeypatch):
    # a preview renders a cut script at 360p; as an "ok" row it looked like a render of that cut script
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    store = Store(tmp_path / "history.db")
    demo = ui.build_app(store)
    video, files, note = asyncio.run(_call(_page_fn(demo, "bound_1"), "# 快讯\n\n今天天气很好。我们出去玩吧。",
                                           "news", "default", ui.AUTO_VOICE, 1.0, SIZE, "", "", "", "", None, None))
    assert note.startswith("**Preview**") and "#" not in note.split("·")[-1]
    assert Path(files[0]).is_file() and store.renders() == []
    old = store.start_render("# 快讯\n\n今天天气很好。", {"kind": "preview"})  # as earlier versions recorded it
    store.finish_render(old, mp4=files[0])
    assert _page_fn(demo, "history_rows")() == []


def test_stop_ends_a_running_render_and_records_it_cancelled(tmp_path, monkeypatch):
    # Gradio cancels an event by cancelling its task (the Stop button, gradio_client's job.cancel()); the
    # render thread used to run on to the end and be recorded as ok
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    store = Store(tmp_path / "history.db")
    demo = ui.build_app(store)
    script = "# 长稿\n\n" + "今天天气很好，我们一起去公园散步，看看花开了没有。" * 8
    renders = tmp_path / "ui" / "renders"

    async def start_then_cancel():
        # the fake voice: what is cancelled is the frame loop, not the speech (Kokoro took half a minute here)
        task = asyncio.create_task(_call(_page_fn(demo, "bound"), script, "news", "default", "fake:cmn", 1.0, SIZE,
                                         "", "", "", "", None, None))
        while not any(renders.rglob(".*.part*")):  # the video writer started: frames are being made
            assert not task.done(), task
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(start_then_cancel())
    (row,) = store.renders()  # read as the cancel returns: the render thread has already recorded its end
    assert row.status == "cancelled" and row.error == ui.CANCELLED and row.finished_at is not None
    assert _page_fn(demo, "history_rows")()[0][2] == "cancelled"
    assert [p for p in renders.rglob("*") if p.is_file()] == []  # no video, no temporary files


def test_listen_says_the_scripts_first_sentence_in_the_chosen_voice(tmp_path, monkeypatch):
    import wave

    monkeypatch.setattr(ui, "app_dir", lambda: tmp_path)
    first = ui.audition("kokoro:xiaonuan-m", "# 标题\n\n今天天气很好。这是第二句，要长得多得多得多。", 1.0)
    greeting = ui.audition(ui.AUTO_VOICE, "", 1.0)  # nothing typed: a greeting in the default voice
    for path in (first, greeting):
        assert path.parent.is_relative_to(tmp_path) and path.suffix == ".wav"
    with wave.open(str(first)) as a, wave.open(str(greeting)) as b:
        assert a.getframerate() == b.getframerate() == 24000  # Kokoro, both
        assert 0.8 < a.getnframes() / 24000 < b.getnframes() / 24000  # one short sentence, not the whole script
