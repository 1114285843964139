"""Avatar packs: a folder assets/avatar/<name>/ holding avatar.yaml, a portrait and its cached landmarks.

    name: default                 # must match the folder name
    portrait: portrait.png        # RGB still of the presenter, face roughly frontal
    landmarks: landmarks.npz      # cache of the 478 face-mesh points; rebuilt when missing or stale
    source / attribution / licence / consent: free text (consent is required)
    default_voice: espeak:cmn     # optional

The landmarks are measured once with face.mesh and cached beside the portrait, keyed by its SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xiaonuan.errors import AvatarError, FaceNotFound
from xiaonuan.paths import avatars_dir
from xiaonuan.types import Frame, Landmarks

MANIFEST = "avatar.yaml"
DEFAULT_LANDMARKS_FILE = "landmarks.npz"


class _Manifest(BaseModel):
    """avatar.yaml as written on disk; validated at the edge, then turned into an Avatar."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    portrait: str = Field(min_length=1)
    landmarks: str = DEFAULT_LANDMARKS_FILE
    source: str = ""
    attribution: str = Field(min_length=1)
    licence: str = ""
    consent: str = Field(min_length=1)
    default_voice: str | None = None


@dataclass(frozen=True, eq=False)
class Avatar:
    """A presenter: the portrait (RGB), its 478 landmarks (pixels) and the pack's metadata."""

    name: str
    image: Frame                # (H, W, 3) uint8 RGB portrait
    landmarks: Landmarks        # (478, 2) float32, measured on `image`
    attribution: str
    consent: str
    default_voice: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


def available_avatars(root: Path | None = None) -> list[str]:
    """Names of the avatar packs under `root` (default: the project's assets/avatar/), sorted."""
    root = Path(root) if root is not None else avatars_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def load_avatar(name: str, root: Path | None = None) -> Avatar:
    """Load the avatar pack `name`, measuring and caching its landmarks if the cache is missing or stale."""
    root = Path(root) if root is not None else avatars_dir()
    folder = root / name
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        found = available_avatars(root)
        listing = ", ".join(found) if found else "none"
        raise AvatarError(f"unknown avatar {name!r}: no {MANIFEST} in {folder}. Available avatars: {listing}. "
                          f"Pick one of those, or create {folder}/ with a portrait and an {MANIFEST}.")
    manifest = _read_manifest(manifest_path)
    if manifest.name != name:
        raise AvatarError(f"{manifest_path}: field 'name' is {manifest.name!r} but the folder is {name!r}; "
                          "make them the same.")
    image = _read_portrait(folder / manifest.portrait, manifest_path)
    landmarks = _cached_landmarks(folder / manifest.landmarks, folder / manifest.portrait, image)
    return Avatar(name=name, image=image, landmarks=landmarks, attribution=manifest.attribution,
                  consent=manifest.consent, default_voice=manifest.default_voice)


def _read_manifest(path: Path) -> _Manifest:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise AvatarError(f"{path} is not valid YAML ({e}); fix the syntax.") from e
    if not isinstance(data, dict):
        raise AvatarError(f"{path} must be a mapping of fields (name, portrait, attribution, consent, …).")
    try:
        return _Manifest.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"field {'.'.join(str(p) for p in err['loc']) or '?'}: {err['msg']}" for err in e.errors())
        raise AvatarError(f"{path} is invalid — {problems}. Fix these fields.") from e


def _read_portrait(path: Path, manifest_path: Path) -> Frame:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise AvatarError(f"{manifest_path}: field 'portrait' names {path.name}, which does not exist; "
                          "put the portrait there or fix the field.")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as e:
        raise AvatarError(f"{path} cannot be read as an image ({e}); use a PNG or JPEG.") from e


def _cached_landmarks(cache: Path, portrait: Path, image: Frame) -> Landmarks:
    """Landmarks from the cache when it matches the portrait's hash, else measured and written back."""
    from xiaonuan.face.mesh import N_LANDMARKS, detect_landmarks

    digest = hashlib.sha256(portrait.read_bytes()).hexdigest()
    if cache.is_file():
        try:
            with np.load(cache) as z:
                lm = z["landmarks"].astype(np.float32)
                stored = str(z["portrait_sha256"]) if "portrait_sha256" in z else digest
            if lm.shape == (N_LANDMARKS, 2) and stored == digest:
                return lm
        except (OSError, ValueError, KeyError):
            pass                                    # unreadable cache: measure again
    lm = detect_landmarks(image)
    if lm is None:
        raise FaceNotFound(f"no face found in {portrait}; use a well-lit, roughly frontal portrait "
                           "with the whole face visible.")
    try:
        np.savez_compressed(cache, landmarks=lm, portrait_sha256=np.array(digest))
    except OSError:
        pass                                        # read-only pack: keep the measurement in memory
    return lm
