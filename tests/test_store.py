"""The history database: created on first use, versioned migrations, survives a restart."""

from __future__ import annotations

import sqlite3

from xiaonuan.store import MIGRATIONS, Store, data_dir


def test_created_on_first_use_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path / "data"))
    assert data_dir() == (tmp_path / "data").resolve()
    store = Store()
    assert not store.path.exists()
    assert store.renders() == []
    assert store.path == (tmp_path / "data" / "xiaonuan.db").resolve() and store.path.is_file()
    assert store.version == len(MIGRATIONS)


def test_renders_survive_a_restart(tmp_path):
    path = tmp_path / "h.db"
    a = Store(path)
    rid = a.start_render("今天天气很好。", {"template": "news", "voice": "fake:cmn"}, title="天气", user="ann")
    a.finish_render(rid, mp4=tmp_path / "x.mp4", srt=tmp_path / "x.srt", duration_s=2.5, elapsed_s=4.0)
    bad = a.start_render("坏。", {"avatar": "nosuch"})
    a.fail_render(bad, "unknown avatar 'nosuch'")
    b = Store(path)  # a new process would do the same
    latest, first = b.renders()
    assert (latest.id, latest.status, latest.error) == (bad, "failed", "unknown avatar 'nosuch'")
    assert (first.status, first.title, first.user, first.duration_s) == ("ok", "天气", "ann", 2.5)
    assert first.settings == {"template": "news", "voice": "fake:cmn"} and first.mp4.endswith("x.mp4")
    assert b.render(rid).script == "今天天气很好。"
    assert [r.id for r in b.renders(status="ok")] == [rid]


def test_migrations_run_once_from_an_older_version(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # a database made by the first release
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO renders (created_at, status, script) VALUES (1, 'ok', 'old')")
    store = Store(path)
    assert store.migrate() == len(MIGRATIONS) and store.migrate() == len(MIGRATIONS)
    (old,) = store.renders()
    assert old.script == "old" and old.batch_id is None
    bid = store.start_batch("r.yaml", "out")
    store.finish_batch(bid, "ok", {"ok": 1})
    assert store.batches()[0]["summary"] == {"ok": 1}
