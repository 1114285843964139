"""Where the project's data folders are: templates/, assets/avatar/, out/, and the user's cache.

The folders sit at the project root (beside `src/`). `XIAONUAN_HOME` points elsewhere,
e.g. for an installed (non-editable) package or a shared data folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("XIAONUAN_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[2]


def templates_dir() -> Path:
    return project_root() / "templates"


def avatars_dir() -> Path:
    return Path(os.environ.get("XIAONUAN_AVATARS") or project_root() / "assets" / "avatar")


def cache_root() -> Path | None:
    """The cache folder (speech, the word segmenter's dictionary): `XIAONUAN_CACHE`, else
    ~/.cache/xiaonuan; None when XIAONUAN_CACHE is off/0/none/false."""
    env = os.environ.get("XIAONUAN_CACHE", "")
    if env.lower() in ("off", "0", "none", "false"):
        return None
    return Path(env).expanduser() if env else Path.home() / ".cache" / "xiaonuan"
