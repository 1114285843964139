"""Atomic output: write beside the destination under a temporary name, then move into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temp_beside(path: Path, suffix: str = ".part") -> Path:
    """A new, empty temporary file in `path`'s folder (same filesystem, so the final move is atomic)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    return Path(name)


def publish(tmp: Path, path: Path) -> Path:
    """Move a finished temporary file into place with ordinary permissions (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
    return path
