"""Batches: rundown parsing, a 4-item run with one broken item, resume by hash, a killed run, Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xiaonuan.batch import Item, input_hash, load_rundown
from xiaonuan.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xiaonuan", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def write_rundown(folder: Path, items: list[dict], defaults: dict | None = None) -> Path:
    import yaml

    path = folder / "rundown.yaml"
    path.write_text(yaml.safe_dump({"defaults": defaults or {"voice": "fake:cmn"}, "items": items},
                                   allow_unicode=True), encoding="utf-8")
    return path


# --- reading rundowns ---------------------------------------------------------------------------


def test_yaml_rundown_items_files_defaults_and_bulletin(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "weather.md").write_text("---\nname: 李明\n---\n# 天气\n\n明天有雨。", encoding="utf-8")
    path = write_rundown(tmp_path, [
        {"name": "weather", "script": "s/weather.md"},
        {"name": "hello", "text": "大家好。", "fields": {"name": "小暖"}, "avatar": "default"},
        {"name": "weekly", "bulletin": {"title": "本周要闻", "stories": [
            {"script": "s/weather.md", "fields": {"name": "李明"}},
            {"headline": "地铁", "text": "五号线通车。"}]}},
        {"name": "missing", "script": "s/nope.md"},
        {"name": "off", "text": "不播。", "skip": True},
    ], defaults={"voice": "fake:cmn", "fields": {"channel": "小暖新闻"}, "seed": 3})
    rd = load_rundown(path)
    by = {it.name: it for it in rd.items}
    assert list(by) == ["weather", "hello", "weekly", "missing", "off"]
    assert by["weather"].script.endswith("明天有雨。") and by["weather"].voice == "fake:cmn"
    assert by["hello"].fields == {"channel": "小暖新闻", "name": "小暖"} and by["hello"].seed == 3
    weekly = by["weekly"].script
    assert weekly.startswith("# 本周要闻") and "## 天气 {name: \"李明\"}" in weekly and "## 地铁" in weekly
    assert "---" not in weekly and "明天有雨。" in weekly
    assert by["missing"].error and "does not exist" in by["missing"].error
    assert by["off"].skip


def test_csv_rundown_extra_columns_are_fields(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("name,text,voice,headline,name2\na,你好。,fake:cmn,头条,\nb,再见。,,,x\n", encoding="utf-8")
    a, b = load_rundown(path).items
    assert (a.name, a.script, a.voice, dict(a.fields)) == ("a", "你好。", "fake:cmn", {"headline": "头条"})
    assert b.voice is None and dict(b.fields) == {"name2": "x"}


@pytest.mark.parametrize("text,message", [
    ("items: []", "no items"),
    ("items: [{name: '../x', text: 'a'}]", "plain file name"),
    ("items: [{name: a, text: x}, {name: a, text: y}]", "unique"),
    ("items: [{name: a, txt: x}]", "unknown key"),
    ("stuff: 1", "unknown key"),
    ("items: [oops", "not valid YAML"),
    ("items: [{name: a, text: x, seed: -5}]", "from 0 up"),         # numpy refused it mid-render
])
def test_unusable_rundowns_say_why(tmp_path, text, message):
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_rundown(path)


def test_a_template_folder_is_found_beside_the_rundown_and_hashed(tmp_path, monkeypatch):
    import shutil

    from xiaonuan.paths import templates_dir

    shutil.copytree(templates_dir() / "news", tmp_path / "jobs" / "promo")
    path = write_rundown(tmp_path / "jobs", [{"name": "a", "text": "你好。", "template": "./promo"}])
    monkeypatch.chdir(tmp_path)                      # not where the rundown is
    (item,) = load_rundown(path).items
    assert item.template == str((tmp_path / "jobs" / "promo").resolve())
    before = input_hash(item, "v1")
    (tmp_path / "jobs" / "promo" / "template.yaml").write_text(
        (tmp_path / "jobs" / "promo" / "template.yaml").read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    assert input_hash(item, "v1") != before          # a tuned template renders the item again on resume


def test_uploaded_rundowns_cannot_read_server_files(tmp_path):
    path = write_rundown(tmp_path, [{"name": "x", "script": "/etc/passwd"},
                                    {"name": "y", "text": "你好。", "template": "/srv/some/template"}])
    for item in load_rundown(path, allow_files=False).items:
        assert item.error and "not allowed" in item.error and item.script == ""


def test_hash_covers_every_input():
    base = Item("a", "你好。", "inline", voice="fake:cmn")
    h = input_hash(base, "v1")
    assert input_hash(base, "v1") == h
    for changed in [Item("a", "你好！", "inline", voice="fake:cmn"), Item("a", "你好。", "inline", voice="fake:en-us"),
                    Item("a", "你好。", "inline", voice="fake:cmn", fields={"name": "x"}),
                    Item("a", "你好。", "inline", voice="fake:cmn", avatar="other"),
                    Item("a", "你好。", "inline", voice="fake:cmn", seed=1)]:
        assert input_hash(changed, "v1") != h
    assert input_hash(base, "v2") != h


# --- running --------------------------------------------------------------------------------


def items4() -> list[dict]:
    return [{"name": "one", "text": "第一条。"},
            {"name": "two", "text": "第二条。", "fields": {"name": "李明"}},
            {"name": "broken", "text": "坏的。", "avatar": "nosuch"},
            {"name": "four", "text": "第四条。"}]


def test_reasons_with_brackets_are_printed_as_written(tmp_path):
    # rich reads [..] as markup: the summary table showed "line 1:  is longer than …", the marker eaten
    rundown, out = write_rundown(tmp_path, [{"name": "long", "text": "测试。[pause 30s]"}]), tmp_path / "out"
    proc = run_cli("batch", str(rundown), "--out", str(out), "--jobs", "1", "--no-history", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("[pause 30s]") == 2, proc.stderr     # the item's log line and the summary table


def test_four_items_one_broken_then_resume_skips_the_finished(tmp_path):
    rundown, out = write_rundown(tmp_path, items4()), tmp_path / "out"
    env = {"XIAONUAN_DATA": str(tmp_path / "data")}
    first = run_cli("batch", str(rundown), "--out", str(out), "--jobs", "2", cwd=tmp_path, env=env)
    assert first.returncode == 1, first.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    status = {r["name"]: r for r in report["items"]}
    assert {n: r["status"] for n, r in status.items()} == {"one": "ok", "two": "ok", "broken": "failed",
                                                           "four": "ok"}
    assert "unknown avatar 'nosuch'" in status["broken"]["reason"]
    assert report["counts"] == {"ok": 3, "failed": 1, "skipped": 0} and not report["succeeded"]
    for name in ("one", "two", "four"):
        assert (out / f"{name}.mp4").stat().st_size > 1000 and (out / f"{name}.srt").is_file()
    assert not (out / "broken.mp4").exists()
    assert "failed" in first.stderr and "broken" in first.stderr  # the summary table
    mtimes = {n: (out / f"{n}.mp4").stat().st_mtime_ns for n in ("one", "two", "four")}

    second = run_cli("batch", str(rundown), "--out", str(out), "--jobs", "2", cwd=tmp_path, env=env)
    assert second.returncode == 1, second.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    status = {r["name"]: r for r in report["items"]}
    assert [status[n]["status"] for n in ("one", "two", "four")] == ["skipped"] * 3
    assert all(status[n]["reason"].startswith("up to date") for n in ("one", "two", "four"))
    # and the report still says what they are (these were null on a resumed run)
    assert all(status[n]["srt"].endswith(f"{n}.srt") and status[n]["duration_s"] > 0 for n in ("one", "two", "four"))
    assert status["broken"]["status"] == "failed"
    assert {n: (out / f"{n}.mp4").stat().st_mtime_ns for n in mtimes} == mtimes  # not rewritten
    # the renders are in the history
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "xiaonuan.db") as db:
        rows = db.execute("SELECT title, status FROM renders WHERE source='batch'").fetchall()
    assert sorted(rows) == sorted([("one", "ok"), ("two", "ok"), ("broken", "failed"), ("four", "ok"),
                                   ("broken", "failed")])


def test_killed_batch_resumes_without_losing_finished_items(tmp_path):
    items = [{"name": f"k{i}", "text": f"第{i}条新闻，今天天气很好。"} for i in range(1, 4)]
    rundown, out = write_rundown(tmp_path, items), tmp_path / "out"
    env = {**os.environ, "XIAONUAN_DATA": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "xiaonuan", "batch", str(rundown), "--out", str(out),
                             "--jobs", "1"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    state = out / ".xiaonuan" / "k1.json"
    deadline = time.monotonic() + 120
    while not state.exists():
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "the first item never finished"
        time.sleep(0.05)
    time.sleep(1.0)  # well into the second item
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, as a crash would
    proc.wait()
    assert not (out / "k3.mp4").exists()
    # whatever is at an output path is complete: no half-written MP4 under a final name
    from xiaonuan.encode import probe

    for mp4 in out.glob("k*.mp4"):
        assert probe(mp4).video_duration_s > 0.5

    again = run_cli("batch", str(rundown), "--out", str(out), "--jobs", "1", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    status = {r["name"]: r["status"] for r in report["items"]}
    assert status["k1"] == "skipped" and status["k3"] == "ok"
    assert report["succeeded"]
    leftovers = [p.name for p in out.rglob(".*") if p.is_file()]
    assert leftovers == [], leftovers  # temporary files of the killed run were cleaned up
    assert sorted(p.name for p in out.glob("*.mp4")) == ["k1.mp4", "k2.mp4", "k3.mp4"]


def test_ray_engine_runs_the_same_items(tmp_path):
    items = [{"name": "r1", "text": "瑞一。"}, {"name": "r2", "text": "瑞二。", "voice": "fake:nope"}]
    rundown, out = write_rundown(tmp_path, items), tmp_path / "out"
    env = {"XIAONUAN_DATA": str(tmp_path / "data"), "RAY_ADDRESS": "", "RAY_USAGE_STATS_ENABLED": "0"}
    proc = run_cli("batch", str(rundown), "--out", str(out), "--jobs", "2", "--engine", "ray", cwd=tmp_path,
                   env=env)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["engine"] == "ray"
    status = {r["name"]: r for r in report["items"]}
    assert status["r1"]["status"] == "ok" and (out / "r1.mp4").is_file()
    assert status["r2"]["status"] == "failed" and "nope" in status["r2"]["reason"]


def test_a_typo_in_defaults_and_an_unusable_out_folder_are_errors(tmp_path: Path) -> None:
    from xiaonuan.batch import run_batch

    rd = tmp_path / "r.yaml"
    rd.write_text("defaults: {templte: vertical}\nitems:\n  - {name: a, text: 你好。}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key.* in defaults: templte"):   # every item went to news
        load_rundown(rd)
    rd.write_text("bulletin:\n  stories:\n    - {headlin: 天气, text: 晴。}\n", encoding="utf-8")
    assert "story 1: unknown key(s) headlin" in load_rundown(rd).items[0].error  # the key was not named
    rd.write_text("items:\n  - {name: a, text: 你好。}\n", encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile", tmp_path / "afile" / "sub"):                  # tracebacks before
        with pytest.raises(InputError, match="choose another --out folder"):
            run_batch(load_rundown(rd), out)


def _start_batch(tmp_path: Path, n: int = 3) -> tuple[subprocess.Popen, Path]:
    """A batch of n items, each a few seconds long, in its own process group; returns once k1 is done."""
    items = [{"name": f"k{i}", "text": f"第{i}条新闻，今天天气很好。明天多云转晴。后天有小雨，请带伞。"} for i in range(1, n + 1)]
    rundown, out = write_rundown(tmp_path, items), tmp_path / "out"
    env = {**os.environ, "XIAONUAN_DATA": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "xiaonuan", "batch", str(rundown), "--out", str(out),
                             "--jobs", "1"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out / ".xiaonuan" / "k1.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the first item never finished"
        time.sleep(0.05)
    time.sleep(0.5)  # into the second item
    return proc, out


def _group_gone(pgid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_stops_the_batch_at_once_and_the_report_matches_the_disk(tmp_path):
    proc, out = _start_batch(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)                     # a terminal's Ctrl-C reaches the whole group
    assert proc.wait(timeout=10) == 130
    assert _group_gone(proc.pid, 5), "a worker or its ffmpeg is still running after Ctrl-C"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for item in report["items"]:                           # a worker used to render the queued item after Ctrl-C
        assert (out / f"{item['name']}.mp4").exists() == (item["status"] == "ok"), item
    assert not (out / "k3.mp4").exists()


def test_a_killed_batch_does_not_leave_its_worker_rendering(tmp_path):
    proc, out = _start_batch(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)                      # the batch alone: its worker is orphaned
    proc.wait()
    assert _group_gone(proc.pid, 8), "the orphaned worker rendered on"
    assert not (out / "k3.mp4").exists()


def test_a_worker_that_dies_fails_only_its_own_item(tmp_path):
    proc, out = _start_batch(tmp_path)
    kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    workers = [int(k) for k in kids if b"multiprocessing" in Path(f"/proc/{k}/cmdline").read_bytes()
               and b"resource_tracker" not in Path(f"/proc/{k}/cmdline").read_bytes()]
    assert workers, kids
    for pid in workers:
        os.kill(pid, signal.SIGKILL)                       # as the out-of-memory killer would
    assert proc.wait(timeout=180) == 1
    status = {r["name"]: r for r in json.loads((out / "report.json").read_text(encoding="utf-8"))["items"]}
    assert status["k1"]["status"] == "ok" and status["k2"]["status"] == "failed"
    assert "worker process failed" in status["k2"]["reason"]
    assert status["k3"]["status"] == "ok" and (out / "k3.mp4").exists()   # it failed with k2 before


def test_an_item_switched_off_in_the_rundown_does_not_fail_the_batch() -> None:
    from xiaonuan.batch import BatchReport, ItemResult

    report = BatchReport("r.yaml", "out", "local", "v", 0.0)
    report.items = [ItemResult("a", "ok"), ItemResult("b", "skipped", "disabled in the rundown (skip: true)"),
                    ItemResult("c", "skipped", "up to date: output exists, inputs unchanged")]
    assert report.succeeded                      # the docs' own example rundown exited 1 with nothing failed
    report.items.append(ItemResult("d", "skipped", "not run: the batch was interrupted"))
    assert not report.succeeded


def test_a_worker_hands_back_the_render_result_or_why_not(tmp_path: Path) -> None:
    """render_item returns an ItemOutcome: the render's own RenderResult when it rendered, a reason otherwise;
    the resume state on disk says the same."""
    from xiaonuan.batch import _spec, render_item
    from xiaonuan.render import RenderResult

    ok = _spec(Item("ok", "你好。", "inline", template="news", voice="fake:cmn"), "h1", height_px=240)
    done = render_item(ok, str(tmp_path))
    assert done.status == "ok" and isinstance(done.result, RenderResult)
    assert done.result.mp4 == tmp_path / "ok.mp4" and done.result.mp4.is_file() and done.result.n_frames > 0
    state = json.loads((tmp_path / ".xiaonuan" / "ok.json").read_text(encoding="utf-8"))
    assert state["mp4"] == str(done.result.mp4) and state["input_hash"] == "h1"

    bad = render_item(_spec(Item("bad", "你好。", "inline", voice="fake:nope"), "h2"), str(tmp_path))
    assert bad.status == "failed" and bad.result is None and "nope" in bad.reason
    assert not (tmp_path / ".xiaonuan" / "bad.json").exists()


def test_a_deck_gone_before_its_turn_fails_its_item(tmp_path: Path) -> None:
    """The rundown read the deck to hash it; if the file is gone when the worker starts, the item fails naming
    the file (it must not speak the item's hash text instead)."""
    from xiaonuan.batch import _spec, render_item

    gone = tmp_path / "gone.pdf"
    item = Item("d", "deck gone.pdf sha256:00", str(gone), template="deck", voice="fake:cmn")
    done = render_item(_spec(item, "h"), str(tmp_path))
    assert done.status == "failed" and "gone.pdf" in done.reason and not (tmp_path / "d.mp4").exists()


def test_a_text_item_without_a_headline_shows_the_templates_not_its_first_sentence() -> None:
    """Issue 19: the strap repeated the first sentence right above the same sentence as a subtitle."""
    from xiaonuan.batch import _render_fields

    plain = Item(name="a", script="五号线今天通车。乘客可以换乘。", source="inline", template="news")
    assert _render_fields(plain)["headline"] == "小暖新闻"  # news's own headline
    titled = Item(name="b", script="# 地铁新线\n\n五号线今天通车。", source="inline", template="news")
    assert "headline" not in _render_fields(titled)  # the script's own title stays
    given = Item(name="c", script="五号线今天通车。", source="inline", fields={"headline": "头条"})
    assert _render_fields(given) == {"headline": "头条"}
    front = Item(name="d", script="---\nheadline: 通车\n---\n五号线今天通车。", source="inline")
    assert "headline" not in _render_fields(front)
