"""What the web page keeps across a reload and names for people (issue 19): the draft in the browser's
localStorage, the renders under way in this server (shown again after a reload), download names from the
headline, and the size choices a template allows."""

from __future__ import annotations

import re
import secrets
import threading
import unicodedata
from pathlib import Path
from typing import Any

from ..paths import data_dir
from ..errors import InputError

DRAFT_KEY = "xiaonuan-draft"
EMPTY_DRAFT = {"script": "", "headline": "", "template": "", "avatar": ""}
SIZE_TEMPLATE = "模板尺寸 template size"
SIZES = {"1080p": 1080, "720p": 720, "540p": 540}  # the canvas's short side, in px
ASPECTS = {"16:9 横屏": (16, 9), "9:16 竖屏": (9, 16), "1:1 方形": (1, 1)}

def app_dir() -> Path:
    """The app's own folder (outputs, thumbnails, uploads): the only one it serves."""
    return data_dir() / "ui"


_LIVE: dict[int, dict[str, Any]] = {}  # history id → {"user", "fraction", "stage"} of a page render under way
_LIVE_LOCK = threading.Lock()


def browser_secret(folder: Path) -> str:
    """The key the draft is encrypted with in the browser, kept in the app's folder so that a server restart
    does not make every saved draft unreadable (Gradio's default is a new key per start)."""
    path = folder / "browser-state.key"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_hex(32))
        tmp.replace(path)
    return path.read_text().strip()


def safe_file_name(text: str, fallback: str = "小暖视频", max_chars: int = 40) -> str:
    """A download name from a headline: letters and digits of any script kept, everything else one '_'
    (no path separators, dots or control characters), at most max_chars."""
    text = unicodedata.normalize("NFKC", text or "")
    name = re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("_-")[:max_chars].strip("_-")
    return name or fallback


def live_started(rid: int, user: str) -> None:
    with _LIVE_LOCK:
        _LIVE[rid] = {"user": user, "fraction": 0.0, "stage": ""}


def live_progress(rid: int, fraction: float, stage: str) -> None:
    with _LIVE_LOCK:
        if rid in _LIVE:
            _LIVE[rid].update(fraction=fraction, stage=stage)


def live_ended(rid: int) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(rid, None)


def live_render(user: str) -> tuple[int, dict[str, Any]] | None:
    """This user's latest page render still under way in this server, or None."""
    with _LIVE_LOCK:
        mine = [(rid, dict(v)) for rid, v in _LIVE.items() if v["user"] == user]
    return max(mine) if mine else None


def size_choices(shapes: list[tuple[int, int]]) -> list[str]:
    """The size menu: the template's own size, heights, and each aspect some template has."""
    have = {a for a, (w, h) in ASPECTS.items() if any(tw * h == th * w for tw, th in shapes)}
    return [SIZE_TEMPLATE, *SIZES, *[a for a in ASPECTS if a in have]]


def size_height(choice: str, width_px: int, height_px: int) -> int | None:
    """The render's height_px for a size choice on a template of width_px x height_px (None: its own size).
    A height choice sets the short side (720p of a 1080x1920 template is 720x1280); an aspect choice is
    the template's own size once the template has that aspect (InputError otherwise)."""
    if choice in ASPECTS:
        w, h = ASPECTS[choice]
        if width_px * h != height_px * w:
            raise InputError(f"the template is {width_px}x{height_px}, not {choice}: pick a {choice} template "
                             "(choosing the size switches to one) or another size")
        return None
    short = SIZES.get(choice)
    if short is None or short >= min(width_px, height_px):
        return None
    return 2 * round(height_px * short / min(width_px, height_px) / 2)


def template_choices(catalogue: dict[str, tuple[int, int, str, bool]]) -> list[tuple[str, str]]:
    """The template menu as (label, name): the name, 我的 mine for one of your own, and the description's
    first part ("news · Studio news"); catalogue maps a name to (width_px, height_px, description, own)."""
    out = []
    for name, (_, _, description, own) in catalogue.items():
        short = description.split(" — ")[0].split(" - ")[0].strip()[:40]
        out.append((" · ".join(p for p in (name, "我的 mine" if own else "", short) if p), name))
    return out


def template_info(name: str | None, catalogue: dict[str, tuple[int, int, str, bool]]) -> str:
    """The line under the menu: the picked template's size and whole description."""
    if name not in catalogue:
        return ""
    w, h, description, own = catalogue[name]
    return f"{'我的模板 your template' if own else '模板 template'} `{name}` · {w}x{h} · {description}"


def template_for_aspect(choice: str, current: str, shapes: dict[str, tuple[int, int]]) -> str:
    """The template to show for an aspect choice: the current one if it has that aspect, else the first that does."""
    if choice not in ASPECTS:
        return current
    w, h = ASPECTS[choice]
    fits = [n for n, (tw, th) in shapes.items() if tw * h == th * w]
    return current if current in fits or not fits else fits[0]
