"""Avatar packs: a folder <avatars>/<name>/ holding avatar.yaml, the presenter's media and cached landmarks.

Packs are looked up in the user's avatars folder (`--avatars-dir`, $XIAONUAN_AVATARS, else assets/avatar/)
and then in the built-in assets/avatar/ (which ships `default`); a user's pack of the same name wins.

A pack is a still portrait or a recorded clip (enrolled by `xiaonuan avatar add`, see enrol.py):

    name: sun                     # must match the folder name
    kind: clip                    # "portrait" (default) or "clip"
    portrait: reference.png       # portrait: the still; clip: its neutral frame (closed, calm mouth)
    video: source.mp4             # clip only: the normalised recording (fps, size, rotation applied)
    landmarks: landmarks.npz      # cache of the 478 face-mesh points (per frame for a clip); rebuilt when missing
    fps: 25                       # clip only
    neutral_frame: 123            # clip only: index of the reference frame
    face_box: [x0, y0, x1, y1]    # clip only: the union of the face's boxes over the clip (px)
    loop: {mode, loop_start, loop_end, seam_jump, median_motion, crossfade}   # clip only, see loop.py
    mouth: {moves: true, gap_p5: 0.0, gap_p95: 0.19, open_ratio: 0.217, samples: mouths.npz, n_samples: 64}
                                  # clip only: does the presenter talk in it (its inner-lip gap spans
                                  # > MOUTH_MOVES_EYE), the open mouth's height/width (face/mouth_ratio.py;
                                  # null: never open) and its mouth samples (face/samples.py)
    source / attribution / licence: free text
    consent: {by: "Sun Li", date: "2025-01-31", file: consent.pdf}   # or free text for a documented basis
    quality: ["…"]                # the enrolment report's warnings, in plain language
    default_voice: espeak:cmn     # optional

A pack without a consent record loads, but render() refuses it unless allow_unconsented=True.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xiaonuan.errors import AvatarError, FaceNotFound
from xiaonuan.paths import avatar_roots
from xiaonuan.saferead import MAX_YAML_BYTES, load_yaml_with_nodes, open_image, read_text
from xiaonuan.types import Frame, Landmarks
from xiaonuan.yamlnodes import describe_validation
from xiaonuan.avatar.loop import LoopPlan, plan_loop
from xiaonuan.face.mesh import detect_landmarks, N_LANDMARKS
from xiaonuan.face.mouth_ratio import track_open_ratio
from xiaonuan.face.samples import build_bank, load_bank, mouth_moves, save_bank
from xiaonuan.face.track import measure_video, save_track

MANIFEST = "avatar.yaml"
DEFAULT_LANDMARKS_FILE = "landmarks.npz"
SMOOTH_SIGMA_FRAMES = 1.2     # temporal smoothing of a clip's landmark track (mouth patch must not shimmer)
MOUTH_MOVES_EYE = 0.05        # a clip whose inner-lip gap spans more than this (p5..p95, eye distances) talks
MOUTHS_FILE = "mouths.npz"


class _Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = Field(min_length=1)
    date: str = Field(min_length=1)
    file: str | None = None


class _Manifest(BaseModel):
    """avatar.yaml as written on disk; validated at the edge, then turned into an Avatar."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    kind: str = Field(default="portrait", pattern="^(portrait|clip)$")
    portrait: str = Field(min_length=1)
    video: str | None = None
    landmarks: str = DEFAULT_LANDMARKS_FILE
    fps: int | None = None
    frames: int | None = None
    size: list[int] | None = None
    neutral_frame: int = 0
    face_box: list[int] | None = None
    loop: dict | None = None
    mouth: dict | None = None
    source: str = ""
    source_sha256: str | None = None
    attribution: str = ""
    licence: str = ""
    consent: _Consent | str | None = None
    quality: list[str] = Field(default_factory=list)
    default_voice: str | None = None


@dataclass(frozen=True)
class ConsentRecord:
    """Who consented to being a presenter, when, and the signed form if one was given (a file in the pack)."""

    by: str
    date: str
    file: str | None = None

    def describe(self) -> str:
        return f"{self.by}, {self.date}" + (f" (form: {self.file})" if self.file else "")


@dataclass(frozen=True, eq=False)
class ClipTrack:
    """Per-frame face data of a recorded clip (F frames)."""

    video: Path                   # the normalised source video in the pack
    fps: int
    landmarks: np.ndarray         # (F, 478, 2) float32, temporally smoothed; NaN where no face
    raw: np.ndarray               # (F, 478, 2) float32 as measured; NaN where no face
    found: np.ndarray             # (F,) bool: a face was found in that frame
    talking: bool = False         # the presenter talks in it: its own mouth is replaced, not moved
    mouths: Path | None = None    # the pack's mouth samples of a talking clip (face/samples.py)
    neutral_frame: int = 0
    open_ratio: float | None = None   # the presenter's own open mouth, height/width (face/mouth_ratio.py)

    @property
    def n_frames(self) -> int:
        return len(self.found)

    def mouth_bank(self):
        """The clip's mouth samples (face.samples.MouthBank), built from the video and cached in the pack
        when the file is missing (packs enrolled before samples existed); None if not a talking clip."""
        if not self.talking or self.mouths is None:
            return None
        if self.mouths.is_file():
            try:
                return load_bank(self.mouths)
            except Exception:  # noqa: BLE001 — unreadable or truncated (BadZipFile, EOFError …): build it again
                pass
        bank = build_bank(self.video, self.fps, self.raw, self.found, self.neutral_frame)
        try:
            save_bank(self.mouths, bank)
        except OSError:
            pass                                          # read-only pack: keep it in memory for this render
        return bank


@dataclass(frozen=True, eq=False)
class Avatar:
    """A presenter: a portrait, or a clip plus its loop plan; `image`/`landmarks` are the (neutral) still."""

    name: str
    image: Frame                # (H, W, 3) uint8 RGB portrait, or the clip's neutral reference frame
    landmarks: Landmarks        # (478, 2) float32, measured on `image`
    attribution: str
    consent: str                # the consent record in words ("" when there is none)
    default_voice: str | None = None
    kind: str = "portrait"      # "portrait" | "clip"
    clip: ClipTrack | None = None
    loop: object | None = None  # loop.LoopPlan for a clip
    neutral_frame: int = 0
    consent_record: ConsentRecord | None = None
    quality: tuple[str, ...] = ()
    folder: Path | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    @property
    def is_clip(self) -> bool:
        return self.kind == "clip" and self.clip is not None

    @property
    def open_ratio(self) -> float | None:
        """The presenter's own open mouth, height/width (face/mouth_ratio.py); None for a portrait or a clip
        whose mouth never opens (they are held to a real talker's typical ratio)."""
        return self.clip.open_ratio if self.is_clip else None

    @property
    def consented(self) -> bool:
        """True when the pack records a consent (or a documented basis, as for the public-domain default)."""
        return bool(self.consent.strip())


def require_consent(avatar: Avatar, allow_unconsented: bool = False) -> None:
    """Raise AvatarError for a pack without a consent record, unless explicitly allowed."""
    if avatar.consented or allow_unconsented:
        return
    where = f" ({avatar.folder / MANIFEST})" if avatar.folder else ""
    raise AvatarError(f"avatar {avatar.name!r} has no consent record{where}: the person shown must have agreed. "
                      f"Re-enrol with --consent FILE or --consent-by \"name, date\", or render with "
                      f"--allow-unconsented (the video is then labelled 未经授权 / unconsented).")


def available_avatars(root: Path | None = None, builtin: bool = True) -> list[str]:
    """Names of the avatar packs in the user's folder (`root`, default avatars_dir()) and, unless
    builtin=False, the built-in ones shipped in assets/avatar/; sorted, each name once."""
    roots = avatar_roots(root) if builtin else avatar_roots(root)[:1]
    names: set[str] = set()
    for folder in roots:
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir()
                         if (p / MANIFEST).is_file() and not p.name.startswith("."))
    return sorted(names)


def avatar_folder(name: str, root: Path | None = None) -> Path | None:
    """The folder of the pack `name`: the user's own (in `root`, default avatars_dir()) if there is one, else the
    built-in one of that name; None when neither exists. Use it rather than `avatars_dir() / name`."""
    for folder in avatar_roots(root):
        if (folder / name / MANIFEST).is_file():
            return folder / name
    return None


def load_avatar(name: str, root: Path | None = None) -> Avatar:
    """Load the avatar pack `name` (the user's, else the built-in one), measuring and caching its landmarks
    if the cache is missing or stale."""
    folder = avatar_folder(name, root)
    if folder is None:
        where = " or ".join(str(r / name) for r in avatar_roots(root))
        found = available_avatars(root)
        listing = ", ".join(found) if found else "none"
        raise AvatarError(f"unknown avatar {name!r}: no {MANIFEST} in {where}. Available avatars: {listing}. "
                          f"Pick one of those, or enrol one with `xiaonuan avatar add PATH --name {name}`.")
    manifest_path = folder / MANIFEST
    manifest = read_manifest(manifest_path)
    if manifest.name != name:
        raise AvatarError(f"{manifest_path}: field 'name' is {manifest.name!r} but the folder is {name!r}; "
                          "make them the same.")
    image = _read_portrait(pack_file(folder, manifest.portrait, "portrait", manifest_path), manifest_path)
    if manifest.kind == "clip":
        clip, plan = _load_clip(folder, manifest, manifest_path)
        if not 0 <= manifest.neutral_frame < len(clip.raw):
            raise AvatarError(f"{manifest_path}: neutral_frame {manifest.neutral_frame} is not one of the clip's "
                              f"{len(clip.raw)} frames; fix the field or re-enrol the clip.")
        landmarks = clip.raw[manifest.neutral_frame]
        if not clip.found[manifest.neutral_frame]:
            raise AvatarError(f"{manifest_path}: neutral_frame {manifest.neutral_frame} has no face; re-enrol the clip.")
    else:
        clip, plan = None, None
        landmarks = _cached_landmarks(pack_file(folder, manifest.landmarks, "landmarks", manifest_path),
                                      pack_file(folder, manifest.portrait, "portrait", manifest_path), image)
    record = manifest.consent if isinstance(manifest.consent, _Consent) else None
    consent_text = (ConsentRecord(record.by, record.date, record.file).describe() if record is not None
                    else (manifest.consent or ""))
    return Avatar(name=name, image=image, landmarks=np.asarray(landmarks, np.float32),
                  attribution=manifest.attribution, consent=consent_text, default_voice=manifest.default_voice,
                  kind=manifest.kind, clip=clip, loop=plan, neutral_frame=manifest.neutral_frame,
                  consent_record=None if record is None else ConsentRecord(record.by, record.date, record.file),
                  quality=tuple(manifest.quality), folder=folder)


def read_manifest(path: Path) -> _Manifest:
    """avatar.yaml, checked: a damaged or hand-edited file is an AvatarError naming the pack and the fix."""
    pack = f"avatar pack {path.parent.name!r}: {MANIFEST}"
    text = read_text(path, pack, AvatarError, MAX_YAML_BYTES)
    try:
        data, node = load_yaml_with_nodes(text)
    except yaml.YAMLError as e:
        raise AvatarError(f"{path} is not valid YAML ({' '.join(str(e).split())}); fix the syntax, or enrol the "
                          f"pack again with `xiaonuan avatar add CLIP --name {path.parent.name} --replace`.") from None
    if not isinstance(data, dict):
        raise AvatarError(f"{path} must be a mapping of fields (name, portrait, attribution, consent, …).")
    try:
        return _Manifest.model_validate(data)
    except ValidationError as e:
        raise AvatarError(f"{path}: invalid avatar pack:\n{describe_validation(e, node)}") from e


def pack_file(folder: Path, rel: str, field: str, manifest_path: Path) -> Path:
    """The file a pack's field names, confined to the pack's folder like a template's assets: an absolute
    path, '..' or a link out of the folder is refused (a hand-edited avatar.yaml must not read other files)."""
    p = Path(rel)
    path = (folder / p).resolve()
    if p.is_absolute() or ".." in p.parts or not path.is_relative_to(folder.resolve()):
        raise AvatarError(f"{manifest_path}: field {field!r} is {rel!r}, which leaves the pack's folder; give a file "
                          "name inside the pack (e.g. portrait.png) and copy the file there.")
    return path


def _read_portrait(path: Path, manifest_path: Path) -> Frame:
    if not path.exists():
        raise AvatarError(f"{manifest_path}: field 'portrait' names {path.name}, which does not exist; "
                          "put the portrait there or fix the field.")
    with open_image(path, f"avatar pack {manifest_path.parent.name!r}: the portrait", AvatarError) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def _load_clip(folder: Path, manifest: _Manifest, manifest_path: Path):
    if not manifest.video or not pack_file(folder, manifest.video, "video", manifest_path).is_file():
        raise AvatarError(f"{manifest_path}: kind is clip but its video {manifest.video!r} is missing; re-enrol it "
                          "with `xiaonuan avatar add`.")
    video = pack_file(folder, manifest.video, "video", manifest_path)
    cache = pack_file(folder, manifest.landmarks, "landmarks", manifest_path)
    raw = found = None
    if cache.is_file():
        try:
            with np.load(cache) as z:
                raw, found = z["landmarks"].astype(np.float32), z["found"].astype(bool)
            if raw.ndim != 3 or raw.shape[1:] != (478, 2) or found.shape != raw.shape[:1]:
                raw = None
        except Exception:  # noqa: BLE001 — truncated or damaged: BadZipFile, EOFError, zlib.error, OSError …
            raw = None
    if raw is None:                                       # missing or unreadable cache: measure again

        m = measure_video(video)
        raw, found = m.landmarks, m.found
        try:
            save_track(cache, m)
        except OSError:
            pass

    mouth = manifest.mouth or {}
    talking = bool(mouth["moves"]) if "moves" in mouth else mouth_moves(raw, found, MOUTH_MOVES_EYE)
    # packs enrolled before the ratio was stored: measured from the landmark track (a few ms)
    ratio = mouth["open_ratio"] if "open_ratio" in mouth else track_open_ratio(raw, found)[0]
    clip = ClipTrack(video=video, fps=int(manifest.fps or 25), landmarks=smooth_track(raw, found), raw=raw,
                     found=found, talking=talking, neutral_frame=manifest.neutral_frame,
                     open_ratio=None if ratio is None else float(ratio),
                     mouths=pack_file(folder, str(mouth.get("samples") or MOUTHS_FILE), "mouth.samples", manifest_path))
    try:
        plan = LoopPlan.from_dict(manifest.loop) if manifest.loop else plan_loop(clip.landmarks, found)
    except (KeyError, TypeError, ValueError) as e:
        raise AvatarError(f"{manifest_path}: field 'loop' is damaged ({e!r}); delete the field (it is planned "
                          "again) or re-enrol the clip.") from None
    return clip, plan


def smooth_track(raw: np.ndarray, found: np.ndarray, sigma: float = SMOOTH_SIGMA_FRAMES) -> np.ndarray:
    """Zero-phase Gaussian smoothing of a landmark track along time, within each run of found frames."""
    out = raw.copy()
    radius = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).astype(np.float32)
    edges = np.diff(np.concatenate([[0], found.astype(np.int8), [0]]))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        seg = raw[a:b].astype(np.float32)
        n = b - a
        acc = np.zeros_like(seg)
        wsum = np.zeros((n, 1, 1), np.float32)
        for j, w in enumerate(k):
            off = j - radius
            lo, hi = max(0, -off), min(n, n - off)
            if hi <= lo:
                continue
            acc[lo:hi] += w * seg[lo + off:hi + off]
            wsum[lo:hi] += w
        out[a:b] = acc / wsum
    return out


def _cached_landmarks(cache: Path, portrait: Path, image: Frame) -> Landmarks:
    """Landmarks from the cache when it matches the portrait's hash, else measured and written back."""
    digest = hashlib.sha256(portrait.read_bytes()).hexdigest()
    if cache.is_file():
        try:
            with np.load(cache) as z:
                lm = z["landmarks"].astype(np.float32)
                stored = str(z["portrait_sha256"]) if "portrait_sha256" in z else digest
            if lm.shape == (N_LANDMARKS, 2) and stored == digest:
                return lm
        except Exception:  # noqa: BLE001 — unreadable or truncated cache (BadZipFile, EOFError …): measure again
            pass
    lm = detect_landmarks(image)
    if lm is None:
        raise FaceNotFound(f"no face found in {portrait}; use a well-lit, roughly frontal portrait "
                           "with the whole face visible.")
    try:
        np.savez_compressed(cache, landmarks=lm, portrait_sha256=np.array(digest))
    except OSError:
        pass                                        # read-only pack: keep the measurement in memory
    return lm
