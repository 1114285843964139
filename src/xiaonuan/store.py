"""Render history and batch runs, kept in SQLite so they survive restarts.

The database is `<data folder>/xiaonuan.db` (paths.data_dir: `$XIAONUAN_DATA`, else `data/`
at the project root), created on first use. Its schema is versioned with `PRAGMA user_version`:
MIGRATIONS[i] takes a database from version i to i + 1, and each runs once, in a transaction.
Every call opens its own short connection, so the store can be shared by threads (the web UI)
and by processes (WAL mode, busy timeout).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import warnings
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from .paths import data_dir

DB_NAME = "xiaonuan.db"

MIGRATIONS: tuple[str, ...] = (
    # 1: one row per render, from the UI, the CLI or a batch
    """
    CREATE TABLE renders (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at  REAL NOT NULL,
        finished_at REAL,
        status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
        source      TEXT NOT NULL DEFAULT 'ui',
        user        TEXT NOT NULL DEFAULT '',
        title       TEXT NOT NULL DEFAULT '',
        script      TEXT NOT NULL,
        settings    TEXT NOT NULL DEFAULT '{}',
        mp4         TEXT,
        srt         TEXT,
        cover       TEXT,
        duration_s  REAL,
        elapsed_s   REAL,
        error       TEXT
    );
    CREATE INDEX renders_created ON renders (created_at DESC);
    """,
    # 2: batch runs and their items
    """
    CREATE TABLE batches (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at  REAL NOT NULL,
        finished_at REAL,
        rundown     TEXT NOT NULL,
        out_dir     TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'running',
        summary     TEXT NOT NULL DEFAULT '{}'
    );
    ALTER TABLE renders ADD COLUMN batch_id INTEGER REFERENCES batches (id);
    """,
    # 3: a 'cancelled' status (Ctrl-C, Stop). SQLite cannot change a CHECK, so the table is rebuilt; renders
    # the page stopped before (status failed with the page's cancel text) become cancelled
    """
    CREATE TABLE renders_new (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at  REAL NOT NULL,
        finished_at REAL,
        status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'cancelled')),
        source      TEXT NOT NULL DEFAULT 'ui',
        user        TEXT NOT NULL DEFAULT '',
        title       TEXT NOT NULL DEFAULT '',
        script      TEXT NOT NULL,
        settings    TEXT NOT NULL DEFAULT '{}',
        mp4         TEXT,
        srt         TEXT,
        cover       TEXT,
        duration_s  REAL,
        elapsed_s   REAL,
        error       TEXT,
        batch_id    INTEGER REFERENCES batches (id)
    );
    INSERT INTO renders_new (id, created_at, finished_at, status, source, user, title, script, settings, mp4, srt,
                             cover, duration_s, elapsed_s, error, batch_id)
        SELECT id, created_at, finished_at, status, source, user, title, script, settings, mp4, srt, cover,
               duration_s, elapsed_s, error, batch_id FROM renders;
    DROP TABLE renders;
    ALTER TABLE renders_new RENAME TO renders;
    CREATE INDEX renders_created ON renders (created_at DESC);
    UPDATE renders SET status='cancelled' WHERE status='failed' AND error='cancelled from the page before it finished';
    """,
)


@dataclass(frozen=True)
class RenderRecord:
    """One row of the history."""

    id: int
    created_at: float
    finished_at: float | None
    status: str
    source: str
    user: str
    title: str
    script: str
    settings: Mapping[str, Any]
    mp4: str | None
    srt: str | None
    cover: str | None
    duration_s: float | None
    elapsed_s: float | None
    error: str | None
    batch_id: int | None


class Store:
    """The history database at `path` (default: data_dir()/xiaonuan.db), migrated on first use."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_NAME
        self._migrated = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._migrated:
            self.migrate()
        with closing(self._open()) as db, db:
            yield db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @property
    def version(self) -> int:
        with closing(self._open()) as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> int:
        """Apply the migrations this database has not had yet; returns the schema version. A damaged file
        (not a database, or malformed) is moved aside, named in a warning, and a new history is started:
        the UI and batches keep working and nothing is deleted."""
        try:
            return self._migrate()
        except sqlite3.DatabaseError as e:
            if not self.path.is_file() or isinstance(e, sqlite3.OperationalError):  # locked, read-only: not damage
                raise
            aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, aside)
            for extra in ("-wal", "-shm"):
                Path(f"{self.path}{extra}").unlink(missing_ok=True)
            warnings.warn(f"the history database {self.path} was damaged ({e}); it was moved to {aside.name} and a "
                          "new, empty history started", RuntimeWarning, stacklevel=2)
            return self._migrate()

    def _migrate(self) -> int:
        with closing(self._open()) as db:
            db.isolation_level = None  # explicit transactions: executescript would commit early otherwise
            db.execute("BEGIN IMMEDIATE")
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for i in range(version, len(MIGRATIONS)):
                    for statement in _statements(MIGRATIONS[i]):
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {i + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self._migrated = True
        return max(version, len(MIGRATIONS))

    # --- renders ---------------------------------------------------------------------------

    def start_render(self, script: str, settings: Mapping[str, Any], *, title: str = "", source: str = "ui",
                     user: str = "", batch_id: int | None = None) -> int:
        """Record a render that has started; returns its id."""
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO renders (created_at, status, source, user, title, script, settings, batch_id) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                (time.time(), source, user, title, script, json.dumps(dict(settings), ensure_ascii=False),
                 batch_id))
            return int(cur.lastrowid)

    def finish_render(self, render_id: int, *, mp4: str | Path, srt: str | Path | None = None,
                      cover: str | Path | None = None, duration_s: float | None = None,
                      elapsed_s: float | None = None, title: str | None = None) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE renders SET status='ok', finished_at=?, mp4=?, srt=?, cover=?, duration_s=?, elapsed_s=?, "
                "title=COALESCE(?, title) WHERE id=?",
                (time.time(), str(mp4), _str(srt), _str(cover), duration_s, elapsed_s, title, render_id))

    def fail_render(self, render_id: int, error: str, *, elapsed_s: float | None = None) -> None:
        with self._connect() as db:
            db.execute("UPDATE renders SET status='failed', finished_at=?, error=?, elapsed_s=? WHERE id=?",
                       (time.time(), error, elapsed_s, render_id))

    def cancel_render(self, render_id: int, reason: str, *, elapsed_s: float | None = None) -> None:
        """Record a render stopped before it finished (Ctrl-C, Stop): not a failure, nothing to fix."""
        with self._connect() as db:
            db.execute("UPDATE renders SET status='cancelled', finished_at=?, error=?, elapsed_s=? "
                       "WHERE id=? AND status='running'", (time.time(), reason, elapsed_s, render_id))

    def cancel_running(self, source: str, reason: str) -> int:
        """Mark `source`'s renders still 'running' as cancelled (a server that starts: its earlier process was
        stopped mid-render, and nothing will finish them); returns how many."""
        with self._connect() as db:
            cur = db.execute("UPDATE renders SET status='cancelled', finished_at=?, error=? "
                             "WHERE status='running' AND source=?", (time.time(), reason, source))
            return cur.rowcount

    def renders(self, limit: int = 100, *, status: str | None = None) -> list[RenderRecord]:
        """The latest renders, newest first."""
        query = "SELECT * FROM renders" + (" WHERE status=?" if status else "") + " ORDER BY id DESC LIMIT ?"
        with self._connect() as db:
            rows = db.execute(query, (status, limit) if status else (limit,)).fetchall()
        return [_record(r) for r in rows]

    def render(self, render_id: int) -> RenderRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM renders WHERE id=?", (render_id,)).fetchone()
        return _record(row) if row else None

    def delete_render(self, render_id: int) -> RenderRecord | None:
        """Remove a finished render's row (the caller removes its files); returns the row, or None when there
        is none. A render still running is kept: its worker would write the row again when it ends."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM renders WHERE id=? AND status != 'running'", (render_id,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM renders WHERE id=?", (render_id,))
        return _record(row) if row else None

    # --- batches ---------------------------------------------------------------------------

    def start_batch(self, rundown: str | Path, out_dir: str | Path) -> int:
        with self._connect() as db:
            cur = db.execute("INSERT INTO batches (created_at, rundown, out_dir) VALUES (?, ?, ?)",
                             (time.time(), str(rundown), str(out_dir)))
            return int(cur.lastrowid)

    def finish_batch(self, batch_id: int, status: str, summary: Mapping[str, Any]) -> None:
        with self._connect() as db:
            db.execute("UPDATE batches SET finished_at=?, status=?, summary=? WHERE id=?",
                       (time.time(), status, json.dumps(dict(summary), ensure_ascii=False), batch_id))

    def batches(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM batches ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [{**dict(r), "summary": json.loads(r["summary"])} for r in rows]


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _str(p: str | Path | None) -> str | None:
    return None if p is None else str(p)


def _record(row: sqlite3.Row) -> RenderRecord:
    d = dict(row)
    d["settings"] = json.loads(d["settings"] or "{}")
    return RenderRecord(**d)
