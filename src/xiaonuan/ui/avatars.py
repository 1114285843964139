"""The web page's presenters: thumbnails framed on the face (from the pack's face box or landmarks, so a
wide clip frame is not cut to its centre and the face lost) and enrolment from the page, its status
streamed while it runs (a clip takes about a minute)."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError, XiaonuanError
from ..fileio import image_bytes, write_atomic
from ..saferead import MAX_IMAGE_BYTES, open_image, read_bytes
from .session import app_dir
from ..avatar import enrol as enrolment
from ..avatar.enrol import VIDEO_SUFFIXES
from ..avatar.pack import avatar_folder, load_avatar, MANIFEST, pack_file, read_manifest
from ..avatar.sheet import contact_sheet

THUMB_PX = 240        # the square thumbnail's side
FACE_SPAN = 2.4       # the crop's side in face-box sizes: the head, hair and a little of the shoulders
FACE_DROP = 0.12      # the crop's centre sits this many crop sides below the face's: the chin and neck show
ENROL_POLL_S = 1.0    # how often the page's status line is rewritten while an enrolment runs


def thumbnail_box(width_px: int, height_px: int, face: tuple[float, float, float, float] | None) -> tuple[int, ...]:
    """The square (x0, y0, x1, y1) a thumbnail shows of a width_px x height_px picture: centred a little
    below the face box (x0, y0, x1, y1) and FACE_SPAN times its size, inside the picture; the centre
    square when there is no face box."""
    short = min(width_px, height_px)
    if face is None:
        side, cx, cy = short, width_px / 2, height_px / 2
    else:
        x0, y0, x1, y1 = face
        side = min(short, max(8.0, FACE_SPAN * max(x1 - x0, y1 - y0)))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + FACE_DROP * side
    left = int(round(min(max(cx - side / 2, 0), width_px - side)))
    top = int(round(min(max(cy - side / 2, 0), height_px - side)))
    return left, top, left + int(round(side)), top + int(round(side))


def pack_face_box(folder: Path) -> tuple[float, float, float, float] | None:
    """The face box of a pack's portrait (its neutral frame for a clip): the manifest's face_box, else the box
    of the cached landmarks; None when neither is there (nothing is measured for a thumbnail)."""
    try:
        manifest = read_manifest(folder / MANIFEST)
        if manifest.face_box and len(manifest.face_box) == 4:
            x0, y0, x1, y1 = (float(v) for v in manifest.face_box)
            return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None
        cache = pack_file(folder, manifest.landmarks, "landmarks", folder / MANIFEST)
        with np.load(cache) as z:
            points = np.asarray(z["landmarks"], np.float32)
        if points.ndim == 3:  # a clip's track: the neutral frame
            points = points[min(manifest.neutral_frame, len(points) - 1)]
    except (XiaonuanError, OSError, KeyError, ValueError, IndexError):
        return None
    points = points[np.isfinite(points).all(axis=-1)] if points.ndim == 2 else points[:0]
    if len(points) < 3:
        return None
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def avatar_thumbnail(name: str) -> Path | None:
    """A small square of the pack's portrait (or reference frame) framed on the face, in the app folder."""
    folder = avatar_folder(name)  # the user's pack, else the built-in one (default)
    if folder is None:
        return None
    try:
        src = pack_file(folder, read_manifest(folder / MANIFEST).portrait, "portrait", folder / MANIFEST)
    except XiaonuanError:
        src = next((c for c in [folder / "reference.png", folder / "portrait.png"] if c.is_file()), None)
    if src is None or not src.is_file():
        return None
    face = pack_face_box(folder)
    thumbs = app_dir() / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    try:
        digest = hashlib.sha256(read_bytes(src, "portrait", max_bytes=MAX_IMAGE_BYTES))
        digest.update(repr(face).encode())
        out = thumbs / f"avatar-{digest.hexdigest()[:12]}.jpg"
        if not out.is_file():
            with open_image(src, f"avatar pack {name!r}: the portrait") as im:  # a bomb or a broken file:
                im = im.convert("RGB")                                       # no thumbnail, the UI still starts
            im = im.crop(thumbnail_box(im.width, im.height, face)).resize((THUMB_PX, THUMB_PX))
            write_atomic(out, image_bytes(im, "JPEG", quality=88))
    except InputError:
        return None
    return out


def enrol_avatar(path: str, name: str, consent_by: str) -> tuple[str, str | None]:
    """Enrol an uploaded clip or photo; returns (report as Markdown, contact sheet or portrait image path).

    The one place the UI touches enrolment.
    """
    if not path:
        return "Upload a clip (MP4/MOV/WebM) or a photo (PNG/JPG) first.", None
    if not consent_by.strip():
        return "Who consented? Give the presenter's name and the date, e.g. `孙丽, 2025-01-31`.", None
    try:
        consent = enrolment.parse_consent_by(consent_by)
        result = enrolment.enrol(Path(path), name.strip(), consent=consent)
    except XiaonuanError as e:
        return f"**Not enrolled.** {e}", None
    r = result.report
    if result.cached:  # the stored pack is reused and nothing is measured, so there are no figures to show (as the CLI)
        lines = [f"**Enrolled `{result.name}`** (cached: the same file, name and consent as before; the pack is "
                 "unchanged)"]
    else:
        lines = [f"**Enrolled `{result.name}`** in {result.seconds:.1f} s",
                 f"- frames: {r.n_frames}, face found in {r.face_frames}; eye distance {r.eye_px:.0f} px"]
    lines.append(f"- neutral frame: {r.neutral_frame}")
    lines += [f"- ⚠ {i.message}" for i in r.warnings] or ["- no quality warnings"]
    sheet = None
    for candidate in ("contact_sheet.png", "contact.png", "reference.png", "portrait.png"):
        if (result.folder / candidate).is_file():
            sheet = _copy_into_app(result.folder / candidate, "avatar")
            break
    try:
        out = app_dir() / "thumbs" / f"sheet-{uuid.uuid4().hex[:8]}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        sheet = str(contact_sheet(load_avatar(result.name, root=result.folder.parent), out))
    except ImportError:
        pass  # no contact sheets in this version: the reference frame is shown
    except Exception as e:  # the report is still worth showing
        lines.append(f"- (contact sheet failed: {e})")
    return "\n".join(lines), sheet


def enrol_steps(path: str, name: str, consent_by: str, poll_s: float = ENROL_POLL_S,
                ) -> Iterator[tuple[str, str | None, bool]]:
    """enrol_avatar in a worker thread, for the page: yields (status, None, False) every poll_s while it runs,
    with the seconds so far, then (report, sheet, True) once. A clip takes about a minute; the page shows
    that it is working instead of nothing."""
    out: dict[str, object] = {}

    def work() -> None:
        try:
            out["result"] = enrol_avatar(path, name, consent_by)
        except BaseException as e:  # re-raised below, in the page's thread
            out["error"] = e

    started = time.monotonic()
    worker = threading.Thread(target=work, name="xiaonuan-enrol", daemon=True)
    worker.start()
    kind = "视频 clip" if Path(path or "").suffix.lower() in VIDEO_SUFFIXES else "照片 photo"
    while True:
        worker.join(poll_s)
        if not worker.is_alive():
            break
        seconds = time.monotonic() - started
        yield (f"⏳ 正在登记 `{name.strip()}`（{kind}）… 已用 {seconds:.0f} s — 视频约需 1 分钟，请勿关闭页面。\n\n"
               f"Enrolling `{name.strip()}` ({kind.split()[-1]}) … {seconds:.0f} s so far; a clip takes about a "
               "minute: finding the face in every frame, the loop and the mouth samples."), None, False
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    report, sheet = out["result"]  # type: ignore[misc]
    yield report, sheet, True


def _copy_into_app(src: Path, kind: str) -> str:
    out = app_dir() / "thumbs" / f"{kind}-{uuid.uuid4().hex[:8]}{src.suffix.lower()}"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, out)
    return str(out)
