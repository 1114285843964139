"""Batch items that do not finish end as cancelled (issue 19): Ctrl-C leaves no `running` row in the history
and no worker traceback, the page's Stop ends a running batch, and `batch --height` renders smaller."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import yaml

from xiaonuan.batch import load_rundown, run_batch
from xiaonuan.store import Store

LONG = "第{i}条新闻，今天天气很好。明天多云转晴。后天有小雨，请带伞。"


def _rundown(folder: Path, n: int) -> Path:
    path = folder / "rundown.yaml"
    items = [{"name": f"k{i}", "text": LONG.format(i=i)} for i in range(1, n + 1)]
    path.write_text(yaml.safe_dump({"defaults": {"voice": "fake:cmn"}, "items": items}, allow_unicode=True),
                    encoding="utf-8")
    return path


def _statuses(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT title, status FROM renders WHERE source='batch'").fetchall())


def test_ctrl_c_leaves_items_cancelled_in_the_history_and_no_traceback(tmp_path):
    rundown, out, data = _rundown(tmp_path, 3), tmp_path / "out", tmp_path / "data"
    err = tmp_path / "stderr.txt"
    with open(err, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "xiaonuan", "batch", str(rundown), "--out", str(out),
                                 "--jobs", "1"], cwd=tmp_path, env={**os.environ, "XIAONUAN_DATA": str(data)},
                                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        deadline = time.monotonic() + 120
        while not (out / ".xiaonuan" / "k1.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the first item never finished"
            time.sleep(0.05)
        time.sleep(0.5)  # into the second item
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group, workers included
        assert proc.wait(timeout=20) == 130
    time.sleep(1.0)  # the workers' last words, if any, reach the file
    assert "Traceback" not in err.read_text(), err.read_text()
    status = _statuses(data / "xiaonuan.db")
    assert status["k1"] == "ok" and status["k2"] == "cancelled" and status["k3"] == "cancelled", status
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["interrupted"] and report["counts"]["cancelled"] == 2


def test_stop_ends_a_running_batch_and_its_items_are_cancelled(tmp_path):
    rundown, out, store = _rundown(tmp_path, 3), tmp_path / "out", Store(tmp_path / "h.db")
    stop = threading.Event()

    def on_event(e) -> None:
        if e.status == "running" and e.fraction > 0:  # a worker reports progress: the render is under way
            stop.set()

    report = run_batch(load_rundown(rundown), out, jobs=1, on_event=on_event, store=store, stop=stop)
    assert report.interrupted and not report.succeeded
    assert [r.status for r in report.items] == ["cancelled"] * 3, report.items
    assert not list(out.glob("*.mp4")) and not [p for p in out.rglob(".*") if p.is_file()]
    assert sorted(r.status for r in store.renders()) == ["cancelled"] * 3


def test_batch_height_renders_every_item_at_that_height(tmp_path):
    rundown, out = tmp_path / "r.yaml", tmp_path / "out"
    rundown.write_text(yaml.safe_dump({"defaults": {"voice": "fake:cmn"}, "items": [{"name": "a", "text": "你好。"}]},
                                      allow_unicode=True), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "xiaonuan", "batch", str(rundown), "--out", str(out),
                           "--height", "360", "--no-history"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "XIAONUAN_DATA": str(tmp_path / "data")})
    assert proc.returncode == 0, proc.stderr
    ok, frame = cv2.VideoCapture(str(out / "a.mp4")).read()
    assert ok and frame.shape[:2] == (360, 640)
    proc = subprocess.run([sys.executable, "-m", "xiaonuan", "batch", str(rundown), "--out", str(out),
                           "--no-history"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XIAONUAN_DATA": str(tmp_path / "data")})
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["items"][0]["status"] == "ok"  # another height is another output: rendered again, not skipped


def test_an_old_history_gains_the_cancelled_status(tmp_path):
    from xiaonuan.store import MIGRATIONS

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as con:
        for m in MIGRATIONS[:2]:
            con.executescript(m)
        con.execute("PRAGMA user_version = 2")
        con.execute("INSERT INTO renders (created_at, status, script, error) VALUES "
                    "(1, 'failed', 'x', 'cancelled from the page before it finished'), (2, 'running', 'y', NULL)")
    store = Store(db)
    assert [r.status for r in store.renders()] == ["running", "cancelled"]
    store.cancel_render(store.renders()[0].id, "stopped")
    assert [r.status for r in store.renders()] == ["cancelled", "cancelled"]


def test_page_renders_left_running_by_a_stopped_server_are_cancelled_when_it_starts(tmp_path):
    store = Store(tmp_path / "h.db")
    page, batch = store.start_render("x", {}, source="ui"), store.start_render("y", {}, source="batch")
    assert store.cancel_running("ui", "the web app stopped before it finished") == 1
    assert store.render(page).status == "cancelled" and store.render(batch).status == "running"
