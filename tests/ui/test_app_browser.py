"""The web UI in a real browser: start `xiaonuan ui`, type a script in headless Chromium, click Render,
wait for the video, take a screenshot. Debian's chromium (installed by `make test`) driven by Playwright.

The screenshot goes to out/ui.png (not tracked), so `make test` leaves the working tree clean;
`XIAONUAN_UPDATE_DOCS=1 make test` also refreshes the committed docs/ui.png."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("XIAONUAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCRIPT = "# 小暖快讯\n\n今天天气很好，欢迎收看。"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(data: Path, **env: str):
    """`xiaonuan ui` on a free port with its data in `data` (and `env`); yields its URL, stops it after."""
    port = _free_port()
    env = {**os.environ, "XIAONUAN_DATA": str(data), "XIAONUAN_UI_AUTH": "", **env}
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "xiaonuan", "ui", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the UI did not start:\n" + (data / "server.log").read_text())
            time.sleep(0.5)
    try:
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("ui-data")
    with serve(data) as url:
        yield url, data


def test_type_render_and_watch_in_headless_chromium(server):
    from playwright.sync_api import sync_playwright

    url, data = server
    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: `make test` installs it (tools/setup_chromium.sh)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
            page.goto(url, wait_until="load")
            page.locator("#script textarea").wait_for(timeout=60_000)
            page.locator("#script textarea").fill(SCRIPT)
            page.get_by_text("句 sentences").wait_for(timeout=15_000)  # the live estimate updated
            page.locator("#render-btn").click()
            video = page.locator("#result-video video")
            video.wait_for(state="attached", timeout=150_000)
            page.wait_for_function("() => { const v = document.querySelector('#result-video video');"
                                   " return v && v.src && v.src.length > 0; }", timeout=30_000)
            src = video.get_attribute("src")
            page.get_by_text("Rendered").wait_for(timeout=10_000)
            page.wait_for_timeout(1500)  # let the first frame paint for the screenshot
            shot = ROOT / "out" / "ui.png"
            shot.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("XIAONUAN_UPDATE_DOCS") == "1":
                shutil.copyfile(shot, ROOT / "docs" / "ui.png")
            # the video is served from the app's own folder and is a real MP4
            with urllib.request.urlopen(src if src.startswith("http") else url.rstrip("/") + src) as r:
                head = r.read(64)
            assert b"ftyp" in head
        finally:
            browser.close()
    with sqlite3.connect(data / "xiaonuan.db") as db:
        rows = db.execute("SELECT status, source, mp4 FROM renders").fetchall()
    assert rows and rows[-1][0] == "ok" and rows[-1][1] == "ui"
    assert Path(rows[-1][2]).is_relative_to(data / "ui")


def test_only_the_app_folder_is_served(server):
    url, data = server
    for path in [ROOT / "pyproject.toml", data / "xiaonuan.db", Path("/etc/passwd")]:
        try:
            with urllib.request.urlopen(f"{url}gradio_api/file={path}") as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        assert status in (403, 404), (path, status)
