"""Kokoro voices a user adds: upstream Kokoro publishes real Mandarin voices (zf_*, zm_*) as style tables.

`xiaonuan voices add FILE` takes a NumPy file: a `.npy` of one voice, or an `.npz`/`.bin` archive of
several (kokoro-onnx's voices-v1.0.bin is one), each a (510, 1, 256) or (510, 256) float table. Each
voice is checked and stored as NAME.npy in the voices folder (`$XIAONUAN_VOICES`, else
~/.local/share/xiaonuan/voices), and is then `kokoro:NAME`.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from ..errors import InputError, VoiceError
from ..fileio import publish, temp_beside

STYLE_ROWS, STYLE_DIM = 510, 256
MAX_FILE_BYTES = 256 * 1024 * 1024  # the whole upstream voices file is ~28 MB
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def voices_dir() -> Path:
    env = os.environ.get("XIAONUAN_VOICES")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "xiaonuan" / "voices"


def user_voices() -> list[str]:
    folder = voices_dir()
    return sorted(p.stem for p in folder.glob("*.npy")) if folder.is_dir() else []


def load_user_voice(name: str) -> np.ndarray:
    path = voices_dir() / f"{name}.npy"
    try:
        return check_style(np.load(path, allow_pickle=False), f"voice {name!r} ({path})")
    except (OSError, ValueError) as e:
        raise VoiceError(f"voice {name!r} ({path}) cannot be read ({e}): add it again with "
                         "`xiaonuan voices add FILE`, or remove the file") from e


def check_style(table: np.ndarray, what: str) -> np.ndarray:
    """A (510, 256) float32 style table, or VoiceError saying what is wrong with it."""
    arr = np.asarray(table)
    if arr.dtype.kind != "f" or arr.size != STYLE_ROWS * STYLE_DIM:
        raise VoiceError(f"{what} is not a Kokoro voice: expected {STYLE_ROWS}x{STYLE_DIM} floats, "
                         f"found {arr.dtype} {arr.shape}")
    arr = arr.reshape(STYLE_ROWS, STYLE_DIM).astype(np.float32)
    if not np.isfinite(arr).all() or float(np.abs(arr).max()) > 100:
        raise VoiceError(f"{what} is not a Kokoro voice: its values are not finite or out of range")
    return arr


def read_voice_file(path: Path, name: str | None = None, reserved: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """The voices in a .npy / .npz / .bin file, checked; InputError names what is wrong and the fix."""
    if not path.is_file():
        raise InputError(f"{path} is not a file: give a Kokoro voices file (.npy, .npz or .bin)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path} is larger than {MAX_FILE_BYTES >> 20} MB: not a Kokoro voices file")
    data = path.read_bytes()
    try:
        if data[:4] == b"PK\x03\x04":
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                found = {k: npz[k] for k in npz.files}
        else:
            found = {name or path.stem: np.load(io.BytesIO(data), allow_pickle=False)}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise InputError(f"{path} is not a NumPy voices file ({e}); a PyTorch .pt voice must be converted "
                         "first: numpy.save('NAME.npy', torch.load('NAME.pt').numpy())") from e
    if not found:
        raise InputError(f"{path} holds no voices")
    if name is not None and len(found) > 1:
        raise InputError(f"{path} holds {len(found)} voices; --name is for a file of one voice")
    out = {}
    for key, table in found.items():
        voice = name or key
        if not _NAME.fullmatch(voice):
            raise InputError(f"voice name {voice!r} is not usable: letters, digits, _ . - (e.g. zf_xiaobei)")
        if voice in reserved:
            raise InputError(f"{voice!r} is a built-in voice's name: add the file with --name OTHER")
        out[voice] = check_style(table, f"{path.name}:{key}")
    return out


def add_voices(path: Path, name: str | None = None, reserved: frozenset[str] = frozenset()) -> list[str]:
    """Store every voice of `path` in the voices folder; the names added (kokoro:NAME)."""
    voices = read_voice_file(path, name, reserved)
    folder = voices_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for voice, table in voices.items():
        dest = folder / f"{voice}.npy"
        tmp = temp_beside(dest)
        try:
            with open(tmp, "wb") as f:
                np.save(f, table, allow_pickle=False)
            publish(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
    return sorted(voices)
