"""Files: atomic output (write beside the destination under a temporary name, then move into place), and
whether a picture decodes."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import RenderError


def temp_beside(path: Path, suffix: str = ".part") -> Path:
    """A new, empty temporary file in `path`'s folder (same filesystem, so the final move is atomic)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    return Path(name)


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


def publish(tmp: Path, path: Path) -> Path:
    """Move a finished temporary file into place with ordinary permissions (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def output_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on an output name for the length of a render.

    A second render to the same file fails at once instead of racing the first. The lock
    file lives in the temp folder (not beside the output) and the OS frees it if the process dies.
    """
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    lock_dir = Path(tempfile.gettempdir()) / "xiaonuan-locks"
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / f"{key}.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RenderError(f"another render is writing {path} right now: wait for it to finish "
                              "or choose another output name") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def unreadable_picture(path: Path) -> str | None:
    """Why the image at `path` cannot be decoded (the exception's class name), or None when it can: slide
    images and template images are checked when their file is read, not found broken mid-render."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        return e.__class__.__name__
    return None
