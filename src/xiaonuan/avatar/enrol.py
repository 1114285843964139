"""Enrolment: a recorded clip (MP4/MOV/WebM) or a photo (PNG/JPG) becomes an avatar pack.

    enrol(path, name, consent=...) → EnrolResult(folder, report, seconds, cached)

Steps for a clip (10–60 s; under MIN_CLIP_S it is refused, under SHORT_CLIP_S warned): normalise the
source with ffmpeg (25 fps, rotation applied, longer side at most 1280 px, at most 60 s, no audio,
bit-exact flags so the same input gives the same bytes); measure the 478 landmarks of every frame
with MediaPipe Face Mesh (two faces allowed, to notice a second person); check quality; pick the
neutral frame (mouth closed, calm, eyes open); plan the loop (loop.py); write avatar.yaml,
source.mp4, reference.png and landmarks.npz.

The pack is built in a hidden temp folder beside its destination and renamed into place only when
complete, so a failed enrolment leaves nothing in the avatars folder. Enrolling the same file again
with the same name and consent is a cache hit (nothing is recomputed) and gives the same pack.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
import imageio_ffmpeg
from PIL import Image, ImageOps

from xiaonuan.avatar.loop import MAX_SEAM_PIXEL_RATIO, calmness_cost, plan_on_pixels
from xiaonuan.avatar.notes import QualityIssue, drawn_face_issues, frown_issues
from xiaonuan.avatar.pack import (MANIFEST, MOUTH_MOVES_EYE, MOUTHS_FILE, ConsentRecord, available_avatars,
                                  avatar_folder, read_manifest, smooth_track)
from xiaonuan.encode import read_frames
from xiaonuan.errors import AvatarError, OutputError
from xiaonuan.face import mesh
from xiaonuan.face.mouth_ratio import track_open_ratio
# measurement lives in face/track.py (avatar.py re-measures a pack with it); its names stay importable here
from xiaonuan.face.track import (FIXED_ZIP_TIME, QUALITY_EVERY, SHARPNESS_EYE_PX, TARGET_FPS,  # noqa: F401
                                 Measurement, _face_light, _faces, measure_video, probe_video, save_track, write_npz)
from xiaonuan.fileio import output_lock, pid_alive
from xiaonuan.paths import avatars_dir
from xiaonuan.saferead import open_image, regular_file
from xiaonuan.types import Frame
from xiaonuan.face.samples import build_bank, MID_GAP, mouth_moves, mouth_shape, save_bank

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".m4v")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
MEDIA_SUFFIXES = VIDEO_SUFFIXES + IMAGE_SUFFIXES + (".gif",)  # what enrolment reads (a GIF: still or animated)
MAX_SIDE_PX = 1280            # the normalised clip's longer side
MAX_CLIP_S = 60.0             # longer recordings are cut to this
MIN_CLIP_S = 3.0              # shorter clips are refused: too little motion to loop without visible repeats
SHORT_CLIP_S = 10.0           # shorter clips are enrolled with a warning (the loop repeats every few seconds)
ENCODE_CRF = 16               # near-lossless: the pack's video is the presenter's picture from now on
# Quality thresholds (see quality_report for the messages).
MIN_EYE_PX = 160              # outer eye corner to outer eye corner, at the pack's (render) size
HEAD_REGION = (1.2, 0.8, 2.2)  # the pack keeps the face oval plus these shares of its width (each side), its
                               # height above and below (hair; neck and shoulders for framing)
MIN_CROP_GAIN = 1.15          # crop to the head region only when it gives the face this much more resolution
CHIN_ROOM_EYE = 0.5           # less room than this below the chin (eye distances) is warned about
MAX_YAW_DEG = 30.0
MAX_ROLL_DEG = 20.0
UPRIGHT_MARGIN = 0.1          # a turned picture's face must score this much better to turn the clip (upright_turn_deg)
NOSE_DEPTH_EYE = 0.45         # nose tip in front of the eye corners, in eye distances (for the yaw estimate)
TWO_FACES_SHARE = 0.10        # a second face in this share of frames is an error
MIN_FACE_SHARE = 0.5          # a face in fewer frames than this is an error ("face lost in most frames")
DARK_LUMA = 60.0              # median luma of the face below this: too dark
MIN_SHARPNESS = 12.0          # Laplacian variance of the face at 64 px between the eyes: below is blurred
MOUTH_OPEN_GAP = 0.12         # inner-lip gap / eye distance above which the mouth counts as open
MOUTH_OPEN_SHARE = 0.6        # open in more than this share of frames: warn


@dataclass(frozen=True)
class EnrolReport:
    issues: tuple[QualityIssue, ...]
    n_frames: int
    face_frames: int
    eye_px: float
    neutral_frame: int
    loop: dict | None = None

    @property
    def errors(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def notes(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.severity == "info"]


@dataclass(frozen=True)
class EnrolResult:
    name: str
    folder: Path
    report: EnrolReport
    seconds: float
    cached: bool = False
    timings: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- entry point

# a date in a consent text: 2025-03-01, 2025/3/1, 2025.3.1 or 2025年3月1日
_CONSENT_DATE = re.compile(r"(?<!\d)(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"
                           r"|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?)(?!\d)")
_CONSENT_EXAMPLE = '"Li Na, 2025-03-01"'  # the same words for --consent-by and the web page's field


def parse_consent_by(text: str, today: str | None = None) -> ConsentRecord:
    """'Sun Li, 2025-01-31' → ConsentRecord(by='Sun Li', date='2025-01-31'). The text must name the person and
    the real date they consented (also 2025/1/31 or 2025年1月31日; stored as ISO); AvatarError otherwise."""
    text = " ".join(text.split())
    dates = list(_CONSENT_DATE.finditer(text))
    if not dates:
        raise AvatarError(f"the consent record {text!r} has no date; give who consented and the day they did, "
                          f"e.g. {_CONSENT_EXAMPLE} (2025/3/1 and 2025年3月1日 work too).")
    found = dates[-1]
    year, month, day = (int(g) for g in found.groups() if g is not None)
    try:
        date = _dt.date(year, month, day)
    except ValueError:
        raise AvatarError(f"the consent date {found.group(0)!r} is not a real day; give the day the person "
                          f"consented, e.g. {_CONSENT_EXAMPLE}.") from None
    now = _dt.date.fromisoformat(today) if today else _dt.date.today()
    if date > now + _dt.timedelta(days=1):
        raise AvatarError(f"the consent date {date.isoformat()} is in the future; give the day the person "
                          f"consented, e.g. {_CONSENT_EXAMPLE}.")
    by = " ".join((text[:found.start()] + " " + text[found.end():]).split()).strip(" ,，;；、:：-–—")
    if not by:
        raise AvatarError(f"the consent record {text!r} does not say who consented; give their name and the date, "
                          f"e.g. {_CONSENT_EXAMPLE}.")
    return ConsentRecord(by=by, date=date.isoformat())


MAX_CONSENT_BYTES = 64 * 1024 * 1024  # a scanned, signed form


def enrol(path: Path | str, name: str, root: Path | None = None, consent: ConsentRecord | None = None,
          consent_file: Path | None = None, replace: bool = False, default_voice: str | None = None) -> EnrolResult:
    """Enrol a clip or a photo at `path` as the avatar `name` under `root` (default: the avatars folder).

    Raises AvatarError (nothing written) for unreadable media, a clip shorter than MIN_CLIP_S, no face, more
    than one face, or a face in too few frames. Warnings (clip under SHORT_CLIP_S, small face, turned, dark,
    blurred, mouth open, lost frames) are in the report and in avatar.yaml.
    """
    t0 = time.perf_counter()
    src = Path(path)
    root = Path(root) if root is not None else avatars_dir()
    _check_name(name)
    regular_file(src, "the clip or photo", AvatarError)  # a folder or FIFO is named as one (a FIFO would hang)
    if consent_file is not None:
        regular_file(consent_file, "the consent file", AvatarError, MAX_CONSENT_BYTES)
    if consent_file is not None and consent is None:
        consent = ConsentRecord(by=Path(consent_file).stem, date=_dt.date.today().isoformat())
    digest = _sha256(src)
    dest = root / name
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot write to the avatars folder {str(root)!r} ({e.strerror or e}): make it writable, "
                          "or point XIAONUAN_AVATARS at a folder you can write") from None
    busy = AvatarError(f"another `xiaonuan avatar add` is enrolling {name!r} right now; wait for it to finish, "
                       "then check `xiaonuan avatar list` (or pick another --name)")
    with output_lock(dest, busy):  # one enrolment of a name at a time: checked, built and moved in under the lock
        return _enrol_locked(src, name, root, dest, digest, consent, consent_file, replace, default_voice, t0)


def _enrol_locked(src: Path, name: str, root: Path, dest: Path, digest: str, consent: ConsentRecord | None,
                  consent_file: Path | None, replace: bool, default_voice: str | None, t0: float) -> EnrolResult:
    """enrol() once it holds the name's lock: the pack is built in a hidden folder and moved into place in one
    rename; an existing pack is replaced only with `replace`, and restored if the move fails."""
    cached = _cached_result(dest, digest, consent, name)
    if cached is not None:
        return EnrolResult(name, dest, cached, time.perf_counter() - t0, cached=True)
    if dest.exists() and not replace:
        raise AvatarError(f"an avatar named {name!r} already exists in {root} (from another source or consent); "
                          f"pick another --name, or remove it first with `xiaonuan avatar remove {name}`.")
    for stale in [*root.glob(f".enrol-{name}-*"), *root.glob(f".old-{name}-*")]:  # of a killed enrolment
        pid = stale.name.rsplit("-", 1)[-1]
        if stale.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = root / f".enrol-{name}-{os.getpid()}"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    except OSError as e:
        raise OutputError(f"cannot write to the avatars folder {str(root)!r} ({e.strerror or e}): make it writable, "
                          "or point XIAONUAN_AVATARS at a folder you can write") from None
    try:
        kind = _media_kind(src)
        timings: dict[str, float] = {}
        if kind == "video":
            report, fields = _enrol_clip(src, tmp, timings)
        else:
            report, fields = _enrol_image(src, tmp, timings)
        if report.errors:
            raise AvatarError(f"{src.name} cannot be used as a presenter: "
                              + " ".join(i.message for i in report.errors))
        consent_field: dict | None = None
        if consent is not None:
            consent_field = {"by": consent.by, "date": consent.date}
            if consent_file is not None:
                fname = "consent" + Path(consent_file).suffix.lower()
                shutil.copyfile(consent_file, tmp / fname)
                consent_field["file"] = fname
        manifest = {"name": name, **fields,
                    "source": f"enrolled from {src.name}", "source_sha256": digest,
                    "attribution": "", "licence": "",
                    "consent": consent_field,
                    "quality": [i.message for i in report.warnings]}
        if default_voice:
            manifest["default_voice"] = default_voice
        (tmp / MANIFEST).write_text(_manifest_text(manifest), encoding="utf-8")
        _move_into_place(tmp, dest)
    except OSError as e:  # a full disk or a read-only folder while the pack was built
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write the avatar pack {name!r} in {str(root)!r} ({e.strerror or e}): free some "
                          "space or make the folder writable, then run it again") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return EnrolResult(name, dest, report, time.perf_counter() - t0, timings=timings)


def _move_into_place(tmp: Path, dest: Path) -> None:
    """`tmp` becomes `dest` in one rename; an old pack there is moved aside first and put back if that fails,
    so a failure never leaves the name with no pack or half of one."""
    old = dest.with_name(f".old-{dest.name}-{os.getpid()}") if dest.exists() else None
    if old is not None:
        os.replace(dest, old)
    try:
        os.rename(tmp, dest)  # fails (not replaces) if another pack appeared there
    except BaseException:
        if old is not None:
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_avatar(name: str, root: Path | None = None) -> Path:
    """Delete the pack `name` from the user's avatars folder; AvatarError if there is none there. A built-in
    pack (assets/avatar/) is never deleted from another folder's command."""
    root = Path(root) if root is not None else avatars_dir()
    folder = root / name
    if not (folder / MANIFEST).is_file():
        builtin = avatar_folder(name, root)
        if builtin is not None:
            raise AvatarError(f"{name!r} is a built-in avatar (in {builtin.parent}), not one of yours in {root}, so it "
                              f"is not removed; to use another presenter under that name, enrol it with "
                              f"`xiaonuan avatar add PATH --name {name}` (your pack takes precedence).")
        listing = ", ".join(available_avatars(root, builtin=False)) or "none"
        raise AvatarError(f"no avatar named {name!r} in {root}; avatars there: {listing}.")
    shutil.rmtree(folder)
    return folder


# --------------------------------------------------------------------------- clip

def _enrol_clip(src: Path, out: Path, timings: dict) -> tuple[EnrolReport, dict]:
    t = time.perf_counter()
    size, fps, n_source = normalise_video(src, out / "source.mp4")
    probe_frame = int(min(n_source, MAX_CLIP_S * fps)) // 2      # the middle frame (n_source is from the duration)
    turn = upright_turn_deg(_read_frame(out / "source.mp4", probe_frame, size))
    if turn:  # filmed on its side or upside down (a phone held so, no rotation tag): turned upright
        size, fps, n_source = normalise_video(src, out / "source.mp4", turn)
    timings["normalise_s"] = time.perf_counter() - t
    t = time.perf_counter()
    m = measure_video(out / "source.mp4")
    timings["landmarks_s"] = time.perf_counter() - t
    region = _head_region(m, size, src, turn)
    if region is not None:   # more pixels around the face in the source: crop there, not the whole frame scaled
        t = time.perf_counter()
        size, fps, n_source = normalise_video(src, out / "source.mp4", turn, region)
        m = measure_video(out / "source.mp4")
        timings["crop_s"] = time.perf_counter() - t
    issues = quality_issues(m, fps)
    src_px = (region[2] if region is not None else _upright_size(src, turn)[0]) / size[0]   # source px per pack px
    issues = _resolution_notes(issues, m, src_px) + _edge_issues(m, size)
    if turn:
        issues.insert(0, _turned_note(turn))
    if n_source > MAX_CLIP_S * fps:
        issues.append(QualityIssue("too_long", "warning", f"The clip is {n_source / fps / 60:.1f} minutes long; only "
                                   f"its first {MAX_CLIP_S:.0f} s are used — trim it to the best "
                                   f"{MAX_CLIP_S:.0f} s to choose which."))
    issues.extend(_length_issues(max(n_source, len(m.found)), fps))
    if any(i.severity == "error" for i in issues):
        return EnrolReport(tuple(issues), len(m.found), int(m.found.sum()), _median_eye(m), 0), {}
    t = time.perf_counter()
    smooth = smooth_track(m.landmarks, m.found)
    neutral = _neutral_frame(smooth, m.found)
    plan = plan_on_pixels(out / "source.mp4", size, fps, smooth, m.found, m.landmarks)
    timings["plan_s"] = time.perf_counter() - t
    issues.extend(_seam_issues(plan))
    ref = _read_frame(out / "source.mp4", neutral, size)
    issues.extend(drawn_face_issues(ref, m.landmarks[neutral]))
    _write_png(out / "reference.png", ref)
    save_track(out / "landmarks.npz", m)
    box = _face_box(m, size)
    t = time.perf_counter()
    mouth = _mouth_samples(out, m, fps, int(neutral))
    timings["mouths_s"] = time.perf_counter() - t
    fields = {"kind": "clip", "portrait": "reference.png", "video": "source.mp4", "landmarks": "landmarks.npz",
              "fps": fps, "frames": int(len(m.found)), "size": [int(size[0]), int(size[1])],
              "neutral_frame": int(neutral), "face_box": box, "loop": plan.to_dict(), "mouth": mouth}
    report = EnrolReport(tuple(issues), len(m.found), int(m.found.sum()), _median_eye(m), int(neutral), plan.to_dict())
    return report, fields


def _head_region(m: Measurement, size: tuple[int, int], src: Path, turn_deg: int
                 ) -> tuple[int, int, int, int] | None:
    """Where to crop the upright source (x, y, w, h px) so the head and shoulders keep the source's own
    resolution (issue 17: a 1080x1920 clip scaled to 1280 px lost a third of its face pixels), or None
    when that gains less than MIN_CROP_GAIN (the whole frame already fits at full resolution)."""
    if not m.found.any():
        return None
    sw, sh = _upright_size(src, turn_deg)
    k = sw / size[0]                                          # source px per normalised px
    oval = m.landmarks[m.found][:, list(mesh.FACE_OVAL)].reshape(-1, 2)
    (x0, y0), (x1, y1) = np.percentile(oval, 1, axis=0) * k, np.percentile(oval, 99, axis=0) * k
    fw, fh = x1 - x0, y1 - y0
    x0, x1 = max(0.0, x0 - HEAD_REGION[0] * fw), min(float(sw), x1 + HEAD_REGION[0] * fw)
    y0, y1 = max(0.0, y0 - HEAD_REGION[1] * fh), min(float(sh), y1 + HEAD_REGION[2] * fh)
    x, y = int(x0) // 2 * 2, int(y0) // 2 * 2
    w, h = int(x1 - x) // 2 * 2, int(y1 - y) // 2 * 2
    gain = min(1.0, MAX_SIDE_PX / max(w, h)) / min(1.0, MAX_SIDE_PX / max(sw, sh))
    return (x, y, w, h) if gain >= MIN_CROP_GAIN else None


def _resolution_notes(issues: list[QualityIssue], m: Measurement, src_px: float) -> list[QualityIssue]:
    """"Record closer" only where it helps: a face small at the pack's size but not in the source (the
    pack keeps at most MAX_SIDE_PX around the head) gets a note saying so instead of the warning.
    src_px: source pixels per pack pixel."""
    eye = _median_eye(m)
    if not any(i.code == "face_small" for i in issues) or eye * src_px < MIN_EYE_PX:
        return issues
    return [i if i.code != "face_small" else QualityIssue(
        "face_small", "info", f"The face is {eye:.0f} px between the outer eye corners in the pack (more in the "
        f"source: the head region is kept at most {MAX_SIDE_PX} px tall); lip-sync will be a little soft at 1080p "
        "— a tighter shot of the head and shoulders would give it more pixels.") for i in issues]


def _edge_issues(m: Measurement, size: tuple[int, int]) -> list[QualityIssue]:
    """The chin close to the bottom of the frame: the framing has no room below it, so a template's
    headline strap or lower third may have to sit over the neck, or the presenter is shown smaller."""
    if not m.found.any():
        return []
    lm = m.landmarks[m.found]
    eye = _eyes(lm)
    room = (size[1] - lm[:, list(mesh.FACE_OVAL), 1].max(axis=1)) / eye
    if np.median(room) >= CHIN_ROOM_EYE:
        return []
    return [QualityIssue("chin_low", "warning", f"The chin is only {max(np.median(room), 0):.2f} eye distances above "
                         "the bottom of the frame; templates must show the presenter smaller or move their "
                         "graphics to keep the face clear — record with the shoulders in the frame.")]


def _seam_issues(plan) -> list[QualityIssue]:
    """What the loop seam will look like, measured on rendered pixels (loop.plan_on_pixels)."""
    ratio = plan.seam_pixel_ratio
    if ratio is None or ratio <= MAX_SEAM_PIXEL_RATIO:
        return []
    return [QualityIssue("seam_visible", "warning",
                         f"The face changes {ratio:.1f}× more across the loop seam than between ordinary frames, so "
                         "a jump may show where the clip repeats; record a clip that ends as it began (same pose, "
                         "mouth closed) or a longer one.")]


def _length_issues(n_frames: int, fps: int) -> list[QualityIssue]:
    """A clip under MIN_CLIP_S is refused (error), one under SHORT_CLIP_S is a warning: its loop repeats visibly."""
    seconds = n_frames / fps
    if seconds < MIN_CLIP_S:
        return [QualityIssue("too_short", "error", f"The clip lasts only {seconds:.1f} s ({n_frames} frames); at least "
                             f"{MIN_CLIP_S:.0f} s is needed to loop it naturally — record {SHORT_CLIP_S:.0f}–"
                             f"{MAX_CLIP_S:.0f} s of the presenter (or use a photo).")]
    if seconds < SHORT_CLIP_S:
        return [QualityIssue("short", "warning", f"The clip lasts only {seconds:.1f} s, so its loop repeats every few "
                             f"seconds; record at least {SHORT_CLIP_S:.0f} s for a natural idle loop.")]
    return []


def _mouth_samples(out: Path, m: Measurement, fps: int, neutral: int) -> dict:
    """Does the presenter talk in the clip? If so, cut its mouth samples (face/samples.py) into the pack."""
    gap = mouth_shape(m.landmarks[m.found])[:, MID_GAP]
    p5, p95 = (float(v) for v in np.percentile(gap, [5, 95]))
    moves = mouth_moves(m.landmarks, m.found, MOUTH_MOVES_EYE)
    ratio, _ = track_open_ratio(m.landmarks, m.found)      # the presenter's own open mouth (#17), None if never open
    info = {"moves": moves, "gap_p5": round(p5, 4), "gap_p95": round(p95, 4),
            "open_ratio": None if ratio is None else round(ratio, 4)}
    if moves:
        bank = build_bank(out / "source.mp4", fps, m.landmarks, m.found, neutral)
        save_bank(out / MOUTHS_FILE, bank)
        info |= {"samples": MOUTHS_FILE, "n_samples": bank.n_samples}
    return info


def _upright_size(src: Path, turn_deg: int) -> tuple[int, int]:
    """The source's frame size (w, h) with its rotation tag and `turn_deg` applied."""
    meta = probe_video(src)
    w, h = meta["size"]
    if (int(meta.get("rotate") or 0) + turn_deg) % 180 == 90:
        w, h = h, w
    return int(w), int(h)


def normalise_video(src: Path, dst: Path, turn_deg: int = 0, region: tuple[int, int, int, int] | None = None
                    ) -> tuple[tuple[int, int], int, int]:
    """Re-encode `src` to `dst`: TARGET_FPS, rotation applied, longer side ≤ MAX_SIDE_PX (even sizes), ≤ MAX_CLIP_S.
    `turn_deg` (90, 180 or 270, clockwise) turns a picture that was filmed on its side upright; `region`
    (x, y, w, h in upright source px) crops the source there first (the head and shoulders, _head_region)."""
    meta = probe_video(src)
    w, h = _upright_size(src, turn_deg)
    crop = ""
    if region is not None:
        x, y, w, h = region
        crop = f"crop={w}:{h}:{x}:{y},"
    scale = min(1.0, MAX_SIDE_PX / max(w, h))
    tw, th = max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2)
    turn = {90: "transpose=clock,", 180: "hflip,vflip,", 270: "transpose=cclock,"}.get(turn_deg % 360, "")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-i", str(src), "-map", "0:v:0",
           "-t", f"{MAX_CLIP_S}", "-vf", f"{turn}{crop}fps={TARGET_FPS},scale={tw}:{th}:flags=area,setsar=1",
           "-an", "-sn", "-dn", "-map_metadata", "-1", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(ENCODE_CRF),
           "-pix_fmt", "yuv420p", "-g", str(TARGET_FPS), "-fflags", "+bitexact", "-flags:v", "+bitexact",
           "-movflags", "+faststart", str(dst)]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or not dst.is_file():
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise AvatarError(f"{src.name} could not be decoded as video ({tail[0]}); re-export it as MP4 (H.264).")
    n = int(round(float(meta.get("duration") or 0) * TARGET_FPS))
    return (tw, th), TARGET_FPS, n


# --------------------------------------------------------------------------- image

def _enrol_image(src: Path, out: Path, timings: dict) -> tuple[EnrolReport, dict]:
    # lazy: mediapipe takes ~0.7 s to import and loads TFLite; only face measurement needs it
    import mediapipe as mp

    t = time.perf_counter()
    with open_image(src, "the photo", AvatarError) as im:  # pixel cap: a decompression bomb is refused
        im = ImageOps.exif_transpose(im).convert("RGB")
    scale = min(1.0, MAX_SIDE_PX / max(im.size))
    if scale < 1.0:
        im = im.resize((max(2, round(im.width * scale)), max(2, round(im.height * scale))), Image.LANCZOS)
    img = np.asarray(im, np.uint8)
    turn = upright_turn_deg(img)
    if turn:  # a photo on its side or upside down without an EXIF orientation: turned upright
        img = np.ascontiguousarray(np.rot90(img, k=-turn // 90))
    with mesh.quiet(lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=2, refine_landmarks=True,
                                                    min_detection_confidence=0.5)) as fm:
        faces = _faces(fm.process(np.ascontiguousarray(img)), img.shape[1], img.shape[0])
    lm = max(faces, key=mesh.eye_distance_px) if faces else np.full((mesh.N_LANDMARKS, 2), np.nan, np.float32)
    lu, sh = _face_light(img, lm) if faces else (np.nan, np.nan)
    m = Measurement(lm[None], np.array([bool(faces)]), np.array([min(len(faces), 2)], np.int8),
                    np.array([lu], np.float32), np.array([sh], np.float32), (img.shape[1], img.shape[0]))
    issues = quality_issues(m, 1) + (drawn_face_issues(img, lm) + _edge_issues(m, m.size) if faces else [])
    if turn:
        issues.insert(0, _turned_note(turn))
    timings["landmarks_s"] = time.perf_counter() - t
    report = EnrolReport(tuple(issues), 1, int(bool(faces)), _median_eye(m) if faces else 0.0, 0)
    if report.errors:
        return report, {}
    _write_png(out / "portrait.png", img)
    digest = hashlib.sha256((out / "portrait.png").read_bytes()).hexdigest()
    write_npz(out / "landmarks.npz", landmarks=lm.astype(np.float32), portrait_sha256=np.array(digest))
    return report, {"kind": "portrait", "portrait": "portrait.png", "landmarks": "landmarks.npz"}


# --------------------------------------------------------------------------- quality

def quality_issues(m: Measurement, fps: int) -> list[QualityIssue]:
    """The enrolment report: plain-language findings, each with what to do about it."""
    n = len(m.found)
    issues: list[QualityIssue] = []
    still = n == 1
    what = "the photo" if still else "the clip"
    if not m.found.any():
        return [QualityIssue("no_face", "error", f"No face was found in {what}; use a well-lit recording in "
                                                 "which the presenter faces the camera with the whole face visible.")]
    two = m.n_faces >= 2
    if two.mean() > (0 if still else TWO_FACES_SHARE):
        where = "" if still else f" ({int(two.sum())} of {n} frames)"
        issues.append(QualityIssue("two_faces", "error", f"More than one face is visible{where}; a presenter clip "
                                   "must show one person only — crop or re-record it with the presenter alone."))
    if not still and m.found.mean() < MIN_FACE_SHARE:
        issues.append(QualityIssue("face_lost_most", "error",
                                   f"The face is found in only {int(m.found.sum())} of {n} frames; record the "
                                   "presenter facing the camera for the whole clip."))
    eye = _median_eye(m)
    if eye < MIN_EYE_PX:
        issues.append(QualityIssue("face_small", "warning",
                                   f"The face is {eye:.0f} px between the outer eye corners; at least {MIN_EYE_PX} px "
                                   f"is needed for sharp lip-sync — record closer or at a higher resolution."))
    yaw, roll = _pose_deg(m.landmarks[m.found])
    if np.median(np.abs(yaw)) > MAX_YAW_DEG or np.median(np.abs(roll)) > MAX_ROLL_DEG:
        issues.append(QualityIssue("turned", "warning",
                                   f"The face is turned too far from the camera (about {np.median(np.abs(yaw)):.0f}° "
                                   f"sideways, {np.median(np.abs(roll)):.0f}° tilted; at most {MAX_YAW_DEG:.0f}° and "
                                   f"{MAX_ROLL_DEG:.0f}° work well) — have the presenter look into the lens."))
    if not still and not m.found.all():
        issues.append(QualityIssue("face_lost", "warning",
                                   f"The face is lost in {int((~m.found).sum())} of {n} frames ({_spans(~m.found, fps)}); "
                                   "those frames are passed through untouched, without lip-sync. Trim them or "
                                   "re-record if the presenter should talk there."))
    luma = np.nanmedian(m.luma) if np.isfinite(m.luma).any() else np.nan
    if np.isfinite(luma) and luma < DARK_LUMA:
        issues.append(QualityIssue("dark", "warning", f"The face is too dark (brightness {luma:.0f} of 255; at least "
                                   f"{DARK_LUMA:.0f} is needed) — add light in front of the presenter."))
    sharp = np.nanmedian(m.sharpness) if np.isfinite(m.sharpness).any() else np.nan
    if np.isfinite(sharp) and sharp < MIN_SHARPNESS:
        issues.append(QualityIssue("blurred", "warning", f"The face is blurred (sharpness {sharp:.1f}; at least "
                                   f"{MIN_SHARPNESS:.0f} is needed) — focus on the face and avoid motion blur."))

    lm = m.landmarks[m.found]
    gap = np.linalg.norm(lm[:, mesh.INNER_LIP_TOP] - lm[:, mesh.INNER_LIP_BOTTOM], axis=1) / _eyes(lm)
    open_most = not still and np.mean(gap > MOUTH_OPEN_GAP) > MOUTH_OPEN_SHARE
    if open_most:
        issues.append(QualityIssue("mouth_open", "warning",
                                   f"The mouth is open in most frames ({np.mean(gap > MOUTH_OPEN_GAP) * 100:.0f} %), "
                                   "so no calm closed-mouth frame is left to rest on: pauses and p/b/m closures will "
                                   "be drawn, not the presenter's own — include a few seconds with the mouth closed "
                                   "(talking in the rest of the clip is fine)."))
    # said whenever the pack records `mouth: {moves: true}` (enrol._mouth_samples asks the same function), so
    # the report never contradicts the pack (issue 17: a mostly-open talking clip had samples but no such note)
    if not still and mouth_moves(m.landmarks, m.found, MOUTH_MOVES_EYE):
        issues.append(QualityIssue("mouth_moves", "info",
                                   f"The presenter talks in the clip (mouth open in "
                                   f"{np.mean(gap > MOUTH_OPEN_GAP) * 100:.0f} % of frames); "
                                   + ("" if open_most else "fine: ") + "the lip-sync replaces the mouth, reusing "
                                   "these talking frames as mouth samples."))
    return issues + frown_issues(lm, still)


def _eyes(lm: np.ndarray) -> np.ndarray:
    return np.linalg.norm(lm[:, mesh.LEFT_EYE_OUTER] - lm[:, mesh.RIGHT_EYE_OUTER], axis=1)


def _median_eye(m: Measurement) -> float:
    return float(np.median(_eyes(m.landmarks[m.found]))) if m.found.any() else 0.0


def upright_turn_deg(image: Frame) -> int:
    """How far to turn `image` clockwise (0, 90, 180 or 270 degrees) so that its face stands upright: the turn
    whose face detection (MediaPipe's full-range detector, which does see turned faces, but less surely) scores
    best, by UPRIGHT_MARGIN over the picture as it is; 0 when no face is found at all. The face mesh cannot
    be asked: on an upside-down face it fits an upright one, eyes on the eyes and chin on the forehead."""
    # lazy: mediapipe takes ~0.7 s to import and loads TFLite; only face measurement needs it
    import mediapipe as mp

    scores = {}
    with mesh.quiet(lambda: mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.2)) as fd:
        for turn in (0, 90, 180, 270):
            res = fd.process(np.ascontiguousarray(np.rot90(image, k=-turn // 90)))
            scores[turn] = max((float(d.score[0]) for d in res.detections), default=0.0) if res.detections else 0.0
    best = max(scores, key=scores.get)
    return best if best and scores[best] >= scores[0] + UPRIGHT_MARGIN else 0


def _turned_note(turn_deg: int) -> QualityIssue:
    how = "upside down" if turn_deg == 180 else "on its side"
    return QualityIssue("rotated", "info", f"The picture was {how}; it is turned upright ({turn_deg}° clockwise) "
                                           "in the pack.")


def _pose_deg(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rough yaw (nose tip off the eye-corner midline) and roll (eye line tilt) per frame, degrees."""
    r, l_ = lm[:, mesh.RIGHT_EYE_OUTER], lm[:, mesh.LEFT_EYE_OUTER]
    axis = l_ - r
    eye = np.linalg.norm(axis, axis=1)
    unit = axis / eye[:, None]
    roll = np.degrees(np.arctan2(axis[:, 1], axis[:, 0]))
    off = np.einsum("ij,ij->i", lm[:, mesh.NOSE_TIP] - 0.5 * (r + l_), unit)
    # the eye distance shrinks with cos(yaw) while the nose offset grows with sin(yaw)
    yaw = np.degrees(np.arctan2(off, NOSE_DEPTH_EYE * eye))
    return yaw, roll


def _spans(mask: np.ndarray, fps: int, limit: int = 4) -> str:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
    text = ", ".join(f"{a / fps:.1f}–{b / fps:.1f} s" for a, b in runs[:limit])
    return text + (f" and {len(runs) - limit} more" if len(runs) > limit else "")


# --------------------------------------------------------------------------- helpers

def _neutral_frame(lm: np.ndarray, found: np.ndarray) -> int:
    """The calmest closed-mouth frame near the face's median position."""
    cost = calmness_cost(lm, found)
    centre = np.nanmedian(lm[found].mean(axis=1), axis=0)
    dist = np.linalg.norm(lm.mean(axis=1) - centre, axis=1) / np.nanmedian(_eyes(lm[found]))
    return int(np.argmin(cost + 0.5 * np.nan_to_num(dist, nan=np.inf)))


def _face_box(m: Measurement, size: tuple[int, int]) -> list[int]:
    lm = m.landmarks[m.found]
    lo, hi = lm.min(axis=(0, 1)), lm.max(axis=(0, 1))
    return [int(max(0, np.floor(lo[0]))), int(max(0, np.floor(lo[1]))),
            int(min(size[0], np.ceil(hi[0]))), int(min(size[1], np.ceil(hi[1])))]


def _read_frame(video: Path, index: int, size: tuple[int, int]) -> Frame:
    gen = read_frames(video, size, fps=TARGET_FPS)
    try:
        for i, f in enumerate(gen):
            if i == index:
                return f.copy()
    finally:
        gen.close()
    raise AvatarError(f"{video.name}: frame {index} could not be decoded; re-enrol the clip.")


def _write_png(path: Path, image: Frame) -> None:
    Image.fromarray(image).save(path, format="PNG", optimize=False)


def _manifest_text(manifest: dict) -> str:
    head = "# Avatar pack written by `xiaonuan avatar add`; see src/xiaonuan/avatar/pack.py for the fields.\n"
    return head + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=200)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _media_kind(src: Path) -> str:
    suffix = src.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix == ".gif":                             # a still GIF is a photo, an animated one a clip

        try:
            with Image.open(src) as im:
                return "video" if getattr(im, "n_frames", 1) > 1 else "image"
        except Exception:  # noqa: BLE001 — OSError, a decompression bomb …: open_image or the video reader says what
            return "video"                           # let the video reader say what is wrong
    if suffix in VIDEO_SUFFIXES:
        return "video"
    with open(src, "rb") as f:                       # unknown suffix: sniff PNG/JPEG, else try as video
        head = f.read(8)
    return "image" if head.startswith(b"\x89PNG") or head[:3] == b"\xff\xd8\xff" else "video"


def _check_name(name: str) -> None:
    ok = name and not name.startswith(".") and all(c.isalnum() or c in "-_" for c in name)
    if not ok:
        raise AvatarError(f"avatar name {name!r} must be letters, digits, '-' or '_' (it becomes a folder name).")


def _cached_result(dest: Path, digest: str, consent: ConsentRecord | None, name: str) -> EnrolReport | None:
    """The stored report when `dest` already holds this very source with this consent (enrolment is cached)."""
    path = dest / MANIFEST
    if not path.is_file():
        return None
    try:
        man = read_manifest(path)
    except AvatarError:
        return None
    same_consent = (consent is None and man.consent is None) or (
        consent is not None and not isinstance(man.consent, str) and man.consent is not None
        and man.consent.by == consent.by and man.consent.date == consent.date)
    if man.source_sha256 != digest or not same_consent or man.name != name:
        return None
    issues = tuple(QualityIssue("cached", "warning", q) for q in man.quality)
    return EnrolReport(issues, int(man.frames or 1), 0, 0.0, man.neutral_frame, man.loop)
