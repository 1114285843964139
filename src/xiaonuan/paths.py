"""Where the project's data folders are: templates/, assets/avatar/, out/.

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
