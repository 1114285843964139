"""Landmark measurement of a clip: the presenter's 478 face-mesh points in every frame, face counts,
face brightness and sharpness (enrol.py checks quality with them; avatar.py re-measures a pack whose
cache is missing), and the reproducible .npz writer the packs use.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import cv2
import imageio_ffmpeg

from xiaonuan.encode import quiet_frame_size_note, read_frames
from xiaonuan.errors import AvatarError
from xiaonuan.face import mesh
from xiaonuan.saferead import MAX_IMAGE_PIXELS
from xiaonuan.types import Frame

TARGET_FPS = 25               # a pack's video is normalised to (and measured at) this rate
SHARPNESS_EYE_PX = 64
QUALITY_EVERY = 5             # brightness/sharpness are measured on every 5th frame
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, eq=False)
class Measurement:
    """What the face mesh saw in every frame of a clip (or in one image, F = 1)."""

    landmarks: np.ndarray     # (F, 478, 2) float32, NaN where no face
    found: np.ndarray         # (F,) bool
    n_faces: np.ndarray       # (F,) int8: faces seen (0, 1 or 2 = "two or more")
    luma: np.ndarray          # (F,) float32 median luma of the face, NaN where not measured
    sharpness: np.ndarray     # (F,) float32 Laplacian variance of the face, NaN where not measured
    size: tuple[int, int]     # (width, height)


def probe_video(src: Path) -> dict:
    """ffmpeg's metadata of the first video stream; AvatarError when there is none or the file is not media."""
    quiet_frame_size_note()  # a rotation tag: ffmpeg turns the picture on purpose
    try:
        reader = imageio_ffmpeg.read_frames(str(src))
        meta = next(reader)
        reader.close()
    except (OSError, RuntimeError, StopIteration, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise AvatarError(f"{src.name} is not a readable video with a picture ({first[:160]}); "
                          "give a clip (MP4/MOV/WebM/MKV/GIF) or a photo (PNG/JPG/WebP/BMP/TIFF).") from e
    if not meta.get("size") or not meta.get("fps"):
        raise AvatarError(f"{src.name} has no video stream; give a clip with a picture (MP4/MOV/WebM) or a photo.")
    w, h = meta["size"]
    if w * h > MAX_IMAGE_PIXELS:  # checked before a frame is decoded: a 20000x20000 clip is a bomb, as a picture is
        raise AvatarError(f"{src.name} is {w}x{h}, {w * h / 1e6:.0f} million pixels a frame, more than the "
                          f"{MAX_IMAGE_PIXELS // 1_000_000} million this reads: scale it down, e.g. to 1920 wide "
                          "(ffmpeg -i IN -vf scale=1920:-2 OUT.mp4)")
    return meta


def measure_video(video: Path) -> Measurement:
    """Landmarks of the presenter (the face nearest the previous one) in every frame, and face counts."""
    # lazy: mediapipe takes ~0.7 s to import and loads TFLite; only face measurement needs it
    import mediapipe as mp

    meta = probe_video(video)
    w, h = meta["size"]
    lms, found, counts, luma, sharp = [], [], [], [], []
    prev = None
    with mesh.quiet(lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=2, refine_landmarks=True,
                                                    min_detection_confidence=0.5, min_tracking_confidence=0.5)) as fm:
        for i, frame in enumerate(read_frames(video, (w, h), fps=TARGET_FPS)):
            faces = _faces(fm.process(frame), w, h)
            counts.append(min(len(faces), 2))
            if faces:
                lm = _pick(faces, prev)
                prev = lm
                lms.append(lm)
                found.append(True)
            else:
                lms.append(np.full((mesh.N_LANDMARKS, 2), np.nan, np.float32))
                found.append(False)
            if faces and i % QUALITY_EVERY == 0:
                lu, sh = _face_light(frame, lms[-1])
            else:
                lu, sh = np.nan, np.nan
            luma.append(lu)
            sharp.append(sh)
    if not lms:
        raise AvatarError(f"{video.name} has no decodable frames; re-export the clip.")
    return Measurement(np.stack(lms).astype(np.float32), np.array(found), np.array(counts, np.int8),
                       np.array(luma, np.float32), np.array(sharp, np.float32), (w, h))


def _faces(res, w: int, h: int) -> list[np.ndarray]:
    if not res.multi_face_landmarks:
        return []
    return [np.array([[p.x * w, p.y * h] for p in f.landmark], np.float32) for f in res.multi_face_landmarks]


def _pick(faces: list[np.ndarray], prev: np.ndarray | None) -> np.ndarray:
    """The presenter among the faces: nearest the previous frame's face, else the largest."""
    if prev is not None:
        return min(faces, key=lambda f: float(np.linalg.norm(f[:, :].mean(0) - prev.mean(0))))
    return max(faces, key=mesh.eye_distance_px)


def _face_light(frame: Frame, lm: np.ndarray) -> tuple[float, float]:
    """Median luma of the face and Laplacian variance of the face scaled to SHARPNESS_EYE_PX between the eyes."""
    h, w = frame.shape[:2]
    x0, y0 = np.maximum(np.floor(lm.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(lm.max(0)).astype(int), [w, h])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return np.nan, np.nan
    grey = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    s = SHARPNESS_EYE_PX / max(mesh.eye_distance_px(lm), 1.0)
    small = cv2.resize(grey, (max(4, int((x1 - x0) * s)), max(4, int((y1 - y0) * s))), interpolation=cv2.INTER_AREA)
    return float(np.median(grey)), float(cv2.Laplacian(small, cv2.CV_32F).var())


def save_track(path: Path, m: Measurement) -> None:
    """The landmark cache of a clip, written byte-for-byte reproducibly (fixed zip timestamps)."""
    write_npz(path, landmarks=m.landmarks, found=m.found, n_faces=m.n_faces)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """np.savez_compressed with fixed member timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


# A talking clip's own range (issue #16): the inner-lip gap at jaw_open = 1 is the presenter's median open gap
# (frames with a gap of at least OPEN_GAP_EYE) over TYPICAL_OPEN_JAW, the median jaw_open of a speech track's
# open frames (jaw_open > 0.1: 0.33-0.34 on the shared Mandarin, English and Portuguese recordings, aligned, with
# motion/lips.py's dominance blend; 0.37-0.44 before it): the rendered mouth then opens as wide as the person's
# does, and the track's shapes vary it within that range.
OPEN_GAP_EYE = 0.03
TYPICAL_OPEN_JAW = 0.33
MIN_OPEN_FRAMES = 25        # fewer open frames than this: the range is not measured (the rig's own is kept)


def own_jaw_gap_eye(clip, ceiling: float) -> float | None:
    """The inner-lip gap at jaw_open = 1 calibrated to a talking clip's presenter (eye distances), from their
    open frames in the pack's landmark track, at most `ceiling` (the rig's own); None for a clip that does not talk or opens too rarely."""
    if clip is None or not clip.talking:
        return None
    lm = clip.raw[clip.found]
    if len(lm) == 0:
        return None
    eye = np.linalg.norm(lm[:, mesh.LEFT_EYE_OUTER] - lm[:, mesh.RIGHT_EYE_OUTER], axis=1)
    gap = np.linalg.norm(lm[:, mesh.INNER_LIP_TOP] - lm[:, mesh.INNER_LIP_BOTTOM], axis=1) / np.maximum(eye, 1e-6)
    open_gap = gap[gap >= OPEN_GAP_EYE]
    if len(open_gap) < MIN_OPEN_FRAMES:
        return None
    return float(np.clip(np.median(open_gap) / TYPICAL_OPEN_JAW, OPEN_GAP_EYE / TYPICAL_OPEN_JAW, ceiling))
