"""The web page keeps work across a reload (issue 19), in headless Chromium (the set-up of test_app_browser.py):
a presenter enrolled while the page is open is in its lists after a reload, the typed script comes back,
a render started before the reload is shown after it, the 9:16 size picks a vertical template and renders a
9:16 video, a template of your own is listed and rendered, Stop ends a batch whose status a reload
shows again, and History deletes a row with its files only after a confirm. Screenshots go to out/ (docs/ with XIAONUAN_UPDATE_DOCS=1), scaled down to keep docs/ small."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path

import cv2
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
import yaml
from test_app_browser import CHROMIUM, CHROMIUM_FLAGS as FLAGS, serve

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "# 花展开幕\n\n滨江公园的春季花展今天开幕。"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data, people = tmp_path_factory.mktemp("ui-data"), tmp_path_factory.mktemp("avatars")
    with serve(data, XIAONUAN_AVATARS=str(people)) as url:
        yield url, data, people


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: `make test` installs it (tools/setup_chromium.sh)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _open(page, url):
    page.goto(url, wait_until="load")
    page.locator("#script textarea").wait_for(timeout=60_000)
    page.locator("#avatar-gallery").get_by_text("default").wait_for(timeout=30_000)  # the lists are loaded


def _shot(page, name, width_px=1100):
    from PIL import Image

    shot = ROOT / "out" / name
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as im:  # scaled and to 256 colours: a docs/ picture of ~100 KB, not ~400 KB
        im = im.convert("RGB")
        im = im.resize((width_px, round(im.height * width_px / im.width)), Image.LANCZOS)
        im.quantize(256, dither=Image.Dither.NONE).save(shot, optimize=True)
    if os.environ.get("XIAONUAN_UPDATE_DOCS") == "1":
        shutil.copyfile(shot, ROOT / "docs" / name)


def _pick(page, dropdown, option, exact=False):
    page.locator(f"#{dropdown} input").click()
    page.get_by_role("option", name=option, exact=exact).click()


def _rendered_video(page, url, data: Path) -> tuple[int, int]:
    """Wait for the player's video; the (width, height) of the file the page serves."""
    page.wait_for_function("() => { const v = document.querySelector('#result-video video');"
                           " return v && v.src && v.src.length > 0; }", timeout=240_000)
    src = page.locator("#result-video video").get_attribute("src")
    local = data / "served.mp4"
    with urllib.request.urlopen(src if src.startswith("http") else url.rstrip("/") + src) as r:
        local.write_bytes(r.read())
    cap = cv2.VideoCapture(str(local))
    try:
        ok, frame = cap.read()
    finally:
        cap.release()
    assert ok, "the served video has no frame"
    return frame.shape[1], frame.shape[0]


def test_reload_keeps_presenters_the_draft_and_a_render_under_way(server, browser, monkeypatch):
    from xiaonuan.ui import app as ui

    url, data, people = server
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    _open(page, url)
    assert page.locator("#avatar-gallery").get_by_text("probe").count() == 0
    monkeypatch.setenv("XIAONUAN_DATA", str(data))
    monkeypatch.setenv("XIAONUAN_AVATARS", str(people))
    text, _ = ui.enrol_avatar(str(ROOT / "assets" / "avatar" / "default" / "portrait.png"), "probe", "孙丽, 2025-01-31")
    assert text.startswith("**Enrolled"), text  # as the Avatars tab does, in the server's avatar folder
    page.locator("#script textarea").fill(SCRIPT)
    page.get_by_text("句 sentences").wait_for(timeout=15_000)
    page.wait_for_timeout(500)  # the draft reaches localStorage
    page.reload(wait_until="load")
    _open(page, url)
    page.locator("#avatar-gallery").get_by_text("probe").wait_for(timeout=30_000)
    assert page.locator("#script textarea").input_value() == SCRIPT
    page.get_by_role("tab", name="形象 Avatars").click()
    page.locator("#enrolled-gallery").get_by_text("probe").wait_for(timeout=10_000)
    widths = page.eval_on_selector_all("#enrolled-gallery .grid-container img",
                                       "ims => ims.map(i => i.getBoundingClientRect().width)")
    assert widths and max(widths) < 400, widths  # thumbnails, not one picture the page's width cut to a strip
    page.get_by_role("tab", name="创作 Create").click()

    page.locator("#render-btn").click()
    deadline = time.monotonic() + 60
    while not _rows(data, "running"):  # the render is under way (recorded) before the reload
        assert time.monotonic() < deadline, "the render never started"
        time.sleep(0.2)
    page.reload(wait_until="load")
    _open(page, url)
    page.locator("#result-note").get_by_text("正在生成").wait_for(timeout=15_000)
    page.wait_for_function("() => { const v = document.querySelector('#result-video video');"
                           " return v && v.src && v.src.length > 0; }", timeout=240_000)
    names = page.locator("#downloads").inner_text().replace("\n", "")
    assert "花展开幕.mp4" in names and "花展开幕.vtt" in names, names  # named after the headline; VTT offered
    tracks = page.eval_on_selector_all("#result-video track", "ts => ts.map(t => t.getAttribute('src') || '')")
    assert not [t for t in tracks if t], tracks  # subtitles are burned in: no second caption track
    page.wait_for_timeout(1000)
    _shot(page, "ui-reload.png")
    assert _rows(data, "ok")


def test_the_9_16_size_picks_a_vertical_template_and_renders_9_16(server, browser):
    url, data, _ = server
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    _open(page, url)
    assert not page.locator("#template input").input_value().startswith("vertical")
    _pick(page, "size", "9:16 竖屏")
    page.wait_for_function("() => document.querySelector('#template input').value.startsWith('vertical')",
                           timeout=10_000)
    page.locator("#template-info").get_by_text("1080x1920").wait_for(timeout=10_000)  # its size and description
    page.locator("#script textarea").fill("# 竖屏快讯\n\n你好，欢迎收看。")
    _pick(page, "voice", "espeak:cmn", exact=True)  # eSpeak: quick
    page.locator("#render-btn").click()
    width, height = _rendered_video(page, url, data)
    assert (width, height) == (1080, 1920)  # 9:16, the vertical template's own size
    page.wait_for_timeout(1000)
    _shot(page, "ui-vertical.png")


def test_a_template_of_your_own_is_picked_and_rendered(server, browser):
    url, data, _ = server
    own = data / "templates" / "promo"  # the server's <data>/templates: paths.user_templates_dir
    shutil.copytree(ROOT / "templates" / "news", own)
    spec = yaml.safe_load((own / "template.yaml").read_text(encoding="utf-8"))
    spec["description"] = "我的促销模板 — a marketer's copy of news"
    (own / "template.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    _open(page, url)  # the lists are read on each page load: no restart needed
    _pick(page, "template", "promo · 我的 mine · 我的促销模板")
    page.wait_for_function("() => { const t = document.querySelector('#template-info').innerText;"
                           " return t.includes('your template promo') && t.includes(\"a marketer's copy\"); }",
                           timeout=10_000)
    page.locator("#script textarea").fill("# 促销快讯\n\n你好，欢迎光临。")
    _pick(page, "voice", "espeak:cmn", exact=True)
    _pick(page, "size", "540p", exact=True)  # small: quick
    page.locator("#render-btn").click()
    assert _rendered_video(page, url, data) == (960, 540)
    rows = _db(data, "SELECT settings FROM renders WHERE status='ok' AND script LIKE '%促销快讯%'")
    assert rows and json.loads(rows[-1][0])["template"] == "promo"
    page.wait_for_timeout(1000)
    _shot(page, "ui-own-template.png")


def test_stop_on_a_batch(server, browser, tmp_path):
    url, data, _ = server
    rundown = tmp_path / "rundown.yaml"
    rundown.write_text("defaults: {voice: 'fake:cmn'}\nitems:\n" + "".join(
        f"  - {{name: s{i}, text: 第{i}条。今天天气很好。明天多云转晴。后天有小雨，请带伞。}}\n" for i in range(3)),
        encoding="utf-8")
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    _open(page, url)
    page.get_by_role("tab", name="批量 Batch").click()
    page.locator("#batch-start").wait_for()
    page.locator("#batch-rundown input[type=file]").set_input_files(str(rundown))
    # on a busy machine the upload can reach the server after the first click on Start (a fixed 1.5 s wait was
    # too short): Start again while the page says there is no rundown yet
    page.locator("#batch-start").click()
    for attempt in range(12):  # up to 12 waits of 10 s each
        try:
            page.locator("#batch-msg").get_by_text("运行中").wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            msg = page.locator("#batch-msg").inner_text()
            assert attempt < 11, f"the batch did not start: {msg!r}"
            if "请先上传" in msg:
                page.locator("#batch-start").click()
    page.locator("#batch-stop").click()
    page.locator("#batch-msg").get_by_text("已停止 Stopped").wait_for(timeout=120_000)
    statuses = [s for (s,) in _db(data, "SELECT status FROM renders WHERE source='batch'")]
    assert statuses and "running" not in statuses and "cancelled" in statuses, statuses
    leftovers = [p for p in (data / "ui" / "batches").rglob("*") if ".part" in p.name or ".tmp" in p.name]
    assert not leftovers  # nothing half-written left behind
    page.reload(wait_until="load")  # the batch's status survives a reload
    _open(page, url)
    page.get_by_role("tab", name="批量 Batch").click()
    page.locator("#batch-msg").get_by_text("已停止 Stopped").wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('#batch-items').innerText.includes('cancelled')",
                           timeout=10_000)  # the items' table is back, with their status
    _shot(page, "ui-batch-stopped.png")


def _db(data: Path, query: str) -> list:
    with sqlite3.connect(data / "xiaonuan.db") as db:
        return db.execute(query).fetchall()


def _rows(data: Path, status: str) -> list:
    if not (data / "xiaonuan.db").is_file():
        return []
    return _db(data, f"SELECT id FROM renders WHERE source='ui' AND status='{status}'")


def test_history_deletes_a_row_and_its_files_after_a_confirm(server, browser):
    from xiaonuan.store import Store

    url, data, _ = server
    folder = data / "ui" / "renders" / "old" / "render-1"
    folder.mkdir(parents=True)
    mp4, srt = folder / "旧闻.mp4", folder / "旧闻.srt"
    mp4.write_bytes(b"\0" * 64)
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\n旧闻\n", encoding="utf-8")
    store = Store(data / "xiaonuan.db")
    rid = store.start_render("# 旧闻\n\n旧闻一条。", {"template": "news"}, title="旧闻删除测试")
    store.finish_render(rid, mp4=mp4, srt=srt, duration_s=1.0, elapsed_s=1.0)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    _open(page, url)
    page.get_by_role("tab", name="历史 History").click()
    page.locator("#history-table").get_by_text("旧闻删除测试").filter(visible=True).first.click()
    page.locator("#history-info").get_by_text(f"#{rid}").wait_for(timeout=10_000)
    page.locator("#history-delete").click()
    page.get_by_text(f"Delete #{rid} and its files?").wait_for(timeout=10_000)
    assert store.render(rid) is not None and mp4.is_file()  # nothing is deleted before the confirm
    page.locator("#history-delete-yes").click()
    page.locator("#history-info").get_by_text(f"Deleted #{rid}").wait_for(timeout=10_000)
    assert store.render(rid) is None and not mp4.exists() and not srt.exists() and not folder.exists()
    page.wait_for_function("() => !document.querySelector('#history-table').innerText.includes('旧闻删除测试')",
                           timeout=10_000)
