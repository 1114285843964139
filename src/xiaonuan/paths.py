"""Where the project's data folders are: templates/, assets/avatar/, out/, data/, and the user's cache.

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


def data_dir() -> Path:
    """The folder for the history database, the web app's outputs and your own templates: $XIAONUAN_DATA,
    else <project>/data."""
    env = os.environ.get("XIAONUAN_DATA")
    return Path(env).expanduser().resolve() if env else project_root() / "data"


def user_templates_dir() -> Path:
    """Your own templates, picked by name beside the built-in ones (the web page lists them too):
    $XIAONUAN_TEMPLATES, else <data folder>/templates."""
    env = os.environ.get("XIAONUAN_TEMPLATES")
    return Path(env).expanduser() if env else data_dir() / "templates"


def builtin_avatars_dir() -> Path:
    """The avatars shipped with the project (assets/avatar/: at least `default`)."""
    return project_root() / "assets" / "avatar"


def avatars_dir() -> Path:
    """The user's avatars folder, where enrolment writes: `XIAONUAN_AVATARS`, else the built-in folder."""
    return Path(os.environ.get("XIAONUAN_AVATARS") or builtin_avatars_dir())


def avatar_roots(root: Path | str | None = None) -> tuple[Path, ...]:
    """The folders an avatar is looked up in, first match wins: the user's (`root`, else avatars_dir()),
    then the built-in one when it is a different folder, so `default` stays available beside your own."""
    user = Path(root) if root is not None else avatars_dir()
    builtin = builtin_avatars_dir()
    return (user,) if _same_dir(user, builtin) else (user, builtin)


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.expanduser().resolve() == b.expanduser().resolve()
    except OSError:
        return a == b


def cache_root() -> Path | None:
    """The cache folder (speech, the word segmenter's dictionary): `XIAONUAN_CACHE`, else
    ~/.cache/xiaonuan; None when XIAONUAN_CACHE is off/0/none/false."""
    env = os.environ.get("XIAONUAN_CACHE", "")
    if env.lower() in ("off", "0", "none", "false"):
        return None
    return Path(env).expanduser() if env else Path.home() / ".cache" / "xiaonuan"
