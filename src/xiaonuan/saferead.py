"""Safe reading of the user's files: one layer every reader goes through, so a tiny hostile input cannot
cause unbounded work, a hang or a traceback.

- files: opened only when they are regular files under a size cap (a folder, a FIFO, /dev/zero or a
  socket is named as what it is, never read — a FIFO would block for ever, /dev/zero never ends);
- YAML: a size cap, then the event stream is checked BEFORE any node or object is built: aliases
  (`*name`, the "billion laughs") are refused, nesting depth and node count are capped; a value Python
  cannot build (a 5000-digit integer, the date 2024-99-99) is a YAML error, not a ValueError;
- images: a pixel cap checked from the header before any pixel is decoded (a 388 KB PNG of 20000x20000
  would take 1.6 GB), and every decoder failure becomes one clear error;
- voice-overs: a length cap relative to the script (a 2-hour recording for one sentence is refused).
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from .errors import InputError, VoiceError, XiaonuanError

MAX_TEXT_BYTES = 4 * 1024 * 1024    # a script or rundown: ~1.3 M Chinese characters, hours of speech
MAX_YAML_BYTES = 1024 * 1024        # any YAML document (template, pack, lexicon, rundown, front matter)
MAX_YAML_DEPTH = 64                 # nesting of lists/mappings: real files use < 8
MAX_YAML_NODES = 200_000            # scalars + collections in one document
MAX_IMAGE_BYTES = 64 * 1024 * 1024  # a picture file
MAX_IMAGE_PIXELS = 40_000_000       # width x height: 8000x5000; 160 MB as RGBA once decoded
VOICEOVER_BASE_S = 60.0             # a voice-over may last this long plus VOICEOVER_PER_UNIT_S per
VOICEOVER_PER_UNIT_S = 1.5          # syllable/word of its script (a slow read is ~0.5 s a unit): a minute
# of leeway for an intro, music or a script that reads only part of it (Whisper then searches its start)
VOICEOVER_MAX_S = 3 * 3600.0        # and never longer than this


def file_kind(st: os.stat_result) -> str:
    """What a non-regular file is, in words, for an error message."""
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file(path: str | Path, what: str, error: type[XiaonuanError] = InputError,
                 max_bytes: int | None = None) -> Path:
    """`path` when it is an existing regular file (links followed) of at most `max_bytes`; else `error`
    saying what it is instead ("a folder", "a named pipe (FIFO)", "does not exist", "is 3.2 GB") and the fix."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"{what} {str(p)!r} does not exist: check the path") from None
    except OSError as e:
        raise error(f"{what} {str(p)!r} cannot be read ({e.strerror or e}): check the path and its permissions") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what} {str(p)!r} is {file_kind(st)}, not a file: give the path of a file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise error(f"{what} {str(p)!r} is {_size(st.st_size)}, more than the {_size(max_bytes)} this reads: "
                    "check that it is the right file, or split it")
    return p


def read_bytes(path: str | Path, what: str, error: type[XiaonuanError] = InputError,
               max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file under `max_bytes`. Opened non-blocking and checked again once open, so a
    FIFO swapped in after the check cannot block, and at most `max_bytes` + 1 bytes are ever read."""
    p = regular_file(path, what, error, max_bytes)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise error(f"{what} {str(p)!r} cannot be read ({e.strerror or e}): check its permissions") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{what} {str(p)!r} is {file_kind(st)}, not a file: give the path of a file")
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise error(f"{what} {str(p)!r} cannot be read ({e.strerror or e}): check the disk and the file") from None
    if len(data) > max_bytes:
        raise error(f"{what} {str(p)!r} is more than the {_size(max_bytes)} this reads: check that it is the right file")
    return data


def read_text(path: str | Path, what: str, error: type[XiaonuanError] = InputError,
              max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A regular file's UTF-8 text (a byte-order mark is dropped) under `max_bytes`; `error` otherwise."""
    data = read_bytes(path, what, error, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(f"{what} {str(path)!r} is not UTF-8 text ({e.reason} at byte {e.start}): save it as UTF-8") from None


# --- YAML -----------------------------------------------------------------------------------------

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster, same results


class YamlRefused(yaml.MarkedYAMLError):
    """A YAML document refused before it is built (an alias, too deep, too many nodes, too large) or one
    whose values Python cannot build. A YAMLError, so each reader's own message about bad YAML applies."""


def check_yaml(text: str) -> None:
    """YamlRefused unless `text` is small, alias-free and shallow: checked on libyaml's event stream, before
    any node exists, so 400 bytes of nested aliases cannot expand into gigabytes."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise YamlRefused(problem=f"it is {_size(size)}; at most {_size(MAX_YAML_BYTES)} is read")
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(problem=f"the alias *{event.anchor} is not allowed (aliases can expand without "
                                      "limit); write the value out in full", problem_mark=event.start_mark)
        if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise YamlRefused(problem=f"more than {MAX_YAML_NODES} values; split it",
                                  problem_mark=event.start_mark)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlRefused(problem=f"nested more than {MAX_YAML_DEPTH} levels deep",
                                  problem_mark=event.start_mark)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def load_yaml(text: str) -> Any:
    """yaml.safe_load after check_yaml; every failure (a bad date, a huge integer) is a YAMLError."""
    check_yaml(text)
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as e:  # built by Python: int(), date()
        raise YamlRefused(problem=f"a value cannot be read ({e})") from None


def compose_yaml(text: str) -> yaml.Node | None:
    """yaml.compose after check_yaml (the node tree, with line numbers, for messages): a tree, never a
    graph, so walking it always ends."""
    check_yaml(text)
    return yaml.compose(text, Loader=_Loader)


def load_yaml_with_nodes(text: str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of one checked YAML document."""
    return load_yaml(text), compose_yaml(text)


# --- images ---------------------------------------------------------------------------------------


class _BadImage(Exception):
    """Why a picture cannot be used, in words that follow its name ("is 20000x20000 pixels, …")."""


def open_image(path: str | Path, what: str, error: type[XiaonuanError] = InputError,
               max_pixels: int = MAX_IMAGE_PIXELS):
    """A decoded PIL image from a regular file: its size checked from the header before any pixel is
    decoded, and any decoder failure turned into `error` naming the file and the fix."""
    p = regular_file(path, what, error, MAX_IMAGE_BYTES)
    try:
        return _decoded(p, max_pixels)
    except _BadImage as e:
        raise error(f"{what} {str(p)!r} {e}") from None


def image_problem(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS) -> str | None:
    """Why the picture at `path` cannot be used ("is not a picture this can read (…): save it as PNG or JPEG",
    "is 20000x20000 pixels, …"), or None when it is a file that decodes within the caps."""
    try:
        st = Path(path).stat()
    except OSError as e:
        return f"cannot be read ({e.strerror or e}): check the path"
    if not stat.S_ISREG(st.st_mode):
        return f"is {file_kind(st)}, not a picture: give the path of a PNG or JPEG"
    if st.st_size > MAX_IMAGE_BYTES:
        return f"is {_size(st.st_size)}, more than the {_size(MAX_IMAGE_BYTES)} this reads: save it smaller"
    try:
        _decoded(Path(path), max_pixels).close()
    except _BadImage as e:
        return str(e)
    return None


def _decoded(p: Path, max_pixels: int):
    """PIL (imported here: every caller pays for it already) opens the header, the size is checked, then decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(p)
            width_px, height_px = im.size
            if width_px * height_px > max_pixels:
                im.close()
                raise _BadImage(_too_many(width_px * height_px, max_pixels, f" ({width_px}x{height_px})"))
            im.load()
            return im
    except _BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:  # raised by open() itself
        found = re.search(r"\((\d+) pixels\)", str(e))
        raise _BadImage(_too_many(int(found.group(1)) if found else max_pixels + 1, max_pixels, "")) from None
    except Exception as e:  # noqa: BLE001 — PIL's decoders raise OSError, SyntaxError, ValueError, EOFError, zlib.error …
        raise _BadImage(f"is not a picture this can read ({e.__class__.__name__}): save it as PNG or JPEG") from None


def _too_many(pixels: int, max_pixels: int, size: str) -> str:
    return (f"is {pixels / 1e6:.0f} million pixels{size}, more than the {max_pixels // 1_000_000} million this reads "
            "(a decompression bomb, or a picture far larger than a video): scale it down, e.g. to 1920 wide")


# --- voice-overs ----------------------------------------------------------------------------------


def voiceover_limit_s(n_units: int) -> float:
    """The longest voice-over accepted for a script of `n_units` syllables/words (a slow read is far shorter)."""
    return min(VOICEOVER_MAX_S, VOICEOVER_BASE_S + VOICEOVER_PER_UNIT_S * max(0, n_units))


def check_voiceover_length(duration_s: float, limit_s: float, name: str) -> None:
    """VoiceError when a voice-over (decoded up to `limit_s`) reached the limit: it is far longer than its script."""
    if duration_s >= limit_s:
        raise VoiceError(f"the voice-over {name} lasts {limit_s:.0f} s or more, far longer than its script can be "
                         f"read in (at most {limit_s:.0f} s is allowed for this script): trim the recording to the "
                         "script, or give the whole script it reads")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"
