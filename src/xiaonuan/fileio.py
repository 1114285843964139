"""Files: atomic output (write beside the destination under a temporary name, then move into place), the
output lock, and the sweep of temporary files that dead processes left behind."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import signal
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from .errors import OutputError, RenderError, XiaonuanError


# .<name>.xn<pid>-<8 random>.part…/.tmp…: the pid tells a later run whether the writer is still alive
_TEMP_NAME = re.compile(r"^\..+\.xn(\d+)-[a-z0-9_]{8}\.(?:part|tmp)")
STALE_TEMP_S = 60  # a dead writer's temp file is left alone this long (another machine may share the folder)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: raised in the main thread so every clean-up (`except BaseException`,
    `finally`, the VideoWriter's abort) runs, instead of the process dying with its temp files. Not a
    KeyboardInterrupt: click would turn that into "Aborted!" and exit 1 before the CLI could say what happened."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def raise_on_termination() -> None:
    """SIGTERM and SIGHUP raise Terminated from now on (main thread only; Python's default is to die at once)."""
    def handler(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def temp_beside(path: Path, suffix: str = ".part") -> Path:
    """A new, empty temporary file in `path`'s folder (same filesystem, so the final move is atomic), named
    with this process's id; stale ones of dead processes in that folder are removed first."""
    sweep_stale_temps(path.parent)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.xn{os.getpid()}-", suffix=suffix)
    os.close(fd)
    return Path(name)


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files in `folder` that a process which no longer runs left behind (killed with
    SIGKILL, or the machine lost power): a 300 MB .part.video.mp4 is otherwise never removed. Returns them."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if m is None or int(m.group(1)) == os.getpid() or pid_alive(int(m.group(1))):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_S:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # gone already, or not ours to remove
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process of that id runs (on this machine, as far as this process can see)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a number that is no pid): leave its files alone
    return True


def write_atomic(path: Path, data: bytes) -> Path:
    """`data` written to `path` through a temporary file beside it: a reader sees the old file or the
    whole new one, never part of it; nothing is left behind if writing fails."""
    tmp = temp_beside(path, ".tmp")
    try:
        tmp.write_bytes(data)
        return publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def image_bytes(im, fmt: str, **options) -> bytes:
    """A PIL image encoded in memory (for write_atomic): a bad destination never leaves half a file."""
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def publish(tmp: Path, path: Path) -> Path:
    """Move a finished temporary file into place with ordinary permissions (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def output_lock(path: Path, busy: XiaonuanError | None = None) -> Iterator[None]:
    """Hold an exclusive lock on an output name (a video, an avatar pack's folder) while it is written.

    A second writer of the same name fails at once with `busy` (default: a RenderError about a render)
    instead of racing the first. The lock file lives in the temp folder (not beside the output) and the OS
    frees it if the process dies.
    """
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    lock_dir = Path(tempfile.gettempdir()) / "xiaonuan-locks"
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / f"{key}.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy or RenderError(f"another render is writing {path} right now: wait for it to finish "
                                      "or choose another output name") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)



def writable_output(path: str | Path, what: str = "output", suffixes: tuple[str, ...] = ()) -> Path:
    """`path` when a file can be written there (its folder created if needed); OutputError otherwise — a
    folder, a FIFO or device, a read-only folder, a wrong suffix — with the fix. One rule for every command."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{what} {str(p)!r} is a folder: give a file name, e.g. {str(p / ('out' + (suffixes or ('',))[0]))!r}")
    if suffixes and p.suffix.lower() not in suffixes:
        raise OutputError(f"{what} {str(p)!r} must end in {' or '.join(suffixes)}: e.g. out/{p.stem or 'out'}{suffixes[0]}")
    if p.exists() and not p.is_file():
        raise OutputError(f"{what} {str(p)!r} exists and is not a regular file: choose another name")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the folder {str(p.parent)!r} for the {what} ({e.strerror or e}): "
                          "choose another path") from None
    if not os.access(p.parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise OutputError(f"{what} {str(p)!r} cannot be written there (read-only): choose another path")
    return p


_OURS = {  # what an earlier render's sidecar starts with: such a file may be replaced, any other may not
    ".srt": re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:\d+\s*\r?\n\d\d:\d\d:\d\d,\d{3} -->|$)"),
    ".vtt": re.compile(rb"^(?:\xef\xbb\xbf)?WEBVTT"),
}
COVER_MARK = b"xiaonuan cover"  # a JPEG comment in every cover written, so the next render may replace it


def check_sidecars(outputs: Mapping[str, Path], inputs: Iterable[Path]) -> None:
    """OutputError unless every output (the video and the files written beside it: cover, SRT, VTT) can be
    written without losing data: none may be one of the inputs (the script, a slide image, the voice-over),
    and a sidecar may replace only a file an earlier render wrote (a `news.jpg` photo beside `-o news.mp4` is
    not overwritten by the cover)."""
    seen = {_key(p): p for p in inputs if p is not None}
    for label, out in outputs.items():
        clash = seen.get(_key(out))
        if clash is not None:
            raise OutputError(f"the {label} {str(out)!r} would replace the input {str(clash)!r}: "
                              "choose another -o name")
        if label != "video" and out.exists() and not _ours(out):
            raise OutputError(f"the {label} would be written to {str(out)!r}, which already holds a file this did "
                              "not write: choose another -o name, or move that file away")


def _key(p: Path) -> tuple:
    """The same file by identity where it exists (hard links, case-insensitive disks), else by resolved path."""
    try:
        st = os.stat(p)
        return (st.st_dev, st.st_ino)
    except OSError:
        return (str(Path(p).resolve()),)


def _ours(p: Path) -> bool:
    try:
        with open(p, "rb", opener=lambda f, fl: os.open(f, fl | os.O_NONBLOCK)) as f:
            if not os.path.isfile(p):
                return False
            head = f.read(64 * 1024)
    except OSError:
        return False
    if p.suffix.lower() in _OURS:
        return bool(_OURS[p.suffix.lower()].match(head))
    return COVER_MARK in head
