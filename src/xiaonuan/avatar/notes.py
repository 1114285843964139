"""Enrolment findings that say what will go wrong in a render before one is made (issue 17): a drawn face,
a frown kept through the clip. enrol.py gathers them with its own checks into the report.

The rules are measured, each on a number the report can show:
- drawn: a cartoon or flat-shaded face has large areas of one colour where a filmed face has skin texture
  and sensor grain. The face's skin (face oval less eyes, brows and lips), at most FLAT_EYE_PX between the
  eyes (never enlarged: upscaling smooths), is "flat" where the grey level's standard deviation over 3x3
  pixels is under FLAT_STD; more than MAX_FLAT_SHARE of it flat reads as drawn. Real recordings measure
  0.0005 (the default portrait), 0.07 (presenter_man), 0.12 (sun, a compressed 576x768 clip) and 0.20
  (presenter_young); a posterised copy of the default portrait 0.42.
- frown: the mouth corners (61/291) below the middle of the lip line (13/14) by more than FROWN_DROP_EYE
  eye distances, along the face's own down axis, in more than FROWN_SHARE of the frames. Relaxed mouths
  sit a little below (presenter_man: median 0.028, 90th percentile 0.058; presenter_young 0.018 / 0.042);
  smiles above (sun -0.037, the default portrait -0.12). No real frowning clip was at hand: the limit is
  set clear of those two talkers' 90th percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from xiaonuan.face import mesh
from xiaonuan.types import Frame, Landmarks

FLAT_EYE_PX = 100.0       # the face is measured at most this big (outer eye corners)
FLAT_STD = 0.5            # grey levels: a 3x3 patch flatter than this has no texture
MAX_FLAT_SHARE = 0.3      # more of the skin flat than this: a drawn face
FROWN_DROP_EYE = 0.08     # mouth corners this far below the lip line (eye distances) ...
FROWN_SHARE = 0.6         # ... in more than this share of frames: a frown kept through the clip


@dataclass(frozen=True)
class QualityIssue:
    """One finding of the enrolment check: a code for programs, a sentence (with the fix) for people."""

    code: str          # no_face | two_faces | face_small | turned | face_lost | dark | blurred | mouth_open | …
    severity: str      # "error" (the pack is not written) | "warning" (written, listed in avatar.yaml)
                       # | "info" (said at enrolment, nothing to fix)
    message: str


def skin_mask(shape: tuple[int, ...], lm: Landmarks) -> np.ndarray:
    """(h, w) bool: the face oval less the eyes, brows and lips (and a 2 px margin round each)."""
    m = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(lm[list(mesh.FACE_OVAL)]).astype(np.int32)], 255)
    eyes = (mesh.RIGHT_EYE_UPPER + mesh.RIGHT_EYE_LOWER, mesh.LEFT_EYE_UPPER + mesh.LEFT_EYE_LOWER)
    for part in (mesh.LIPS_OUTER, *eyes, mesh.RIGHT_BROW, mesh.LEFT_BROW):
        cv2.fillConvexPoly(m, cv2.convexHull(np.round(lm[list(part)]).astype(np.int32)), 0)
    return cv2.erode(m, np.ones((5, 5), np.uint8)) > 0


def flat_share(image: Frame, lm: Landmarks) -> float:
    """Share of the face's skin without texture (see the module's note); NaN when no skin is visible."""
    s = min(1.0, FLAT_EYE_PX / max(mesh.eye_distance_px(lm), 1.0))
    small = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1.0 else image
    mask = skin_mask(small.shape, lm * s)
    if mask.sum() < 50:
        return float("nan")
    g = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY).astype(np.float32)
    mu, sq = cv2.blur(g, (3, 3)), cv2.blur(g * g, (3, 3))
    sd = np.sqrt(np.maximum(sq - mu * mu, 0.0))
    return float((sd[mask] < FLAT_STD).mean())


def drawn_face_issues(image: Frame, lm: Landmarks) -> list[QualityIssue]:
    """A drawn (cartoon, flat-shaded) face: the lip-sync warps and pastes photographic mouth pixels, and
    the face will not move as a drawing would."""
    flat = flat_share(image, lm)
    if not flat > MAX_FLAT_SHARE:
        return []
    return [QualityIssue("drawn_face", "warning",
                         f"The face looks drawn, not filmed ({flat * 100:.0f} % of its skin is flat colour without "
                         f"texture; a photographed face has under {MAX_FLAT_SHARE * 100:.0f} %): the lip-sync draws "
                         "a photographic mouth and moves it like a real one, which shows on a cartoon — use a "
                         "recording or photo of a real person.")]


def corner_drop_eye(lm: np.ndarray) -> np.ndarray:
    """How far the mouth corners sit below the middle of the lip line, per eye distance (negative: above,
    a smile), along the face's own down axis; lm (..., 478, 2)."""
    r = lm[..., mesh.LEFT_EYE_OUTER, :] - lm[..., mesh.RIGHT_EYE_OUTER, :]
    eye = np.maximum(np.linalg.norm(r, axis=-1), 1e-6)
    right = r / eye[..., None]
    down = np.stack([-right[..., 1], right[..., 0]], -1)
    corners = 0.5 * (lm[..., mesh.MOUTH_CORNER_RIGHT, :] + lm[..., mesh.MOUTH_CORNER_LEFT, :])
    mid = 0.5 * (lm[..., mesh.INNER_LIP_TOP, :] + lm[..., mesh.INNER_LIP_BOTTOM, :])
    return ((corners - mid) * down).sum(-1) / eye


def frown_issues(lm: np.ndarray, still: bool) -> list[QualityIssue]:
    """Mouth corners turned down in most frames (lm: the found frames' landmarks, F x 478 x 2)."""
    if len(lm) == 0:
        return []
    down = corner_drop_eye(lm) > FROWN_DROP_EYE
    if down.mean() <= FROWN_SHARE:
        return []
    where = "in the photo" if still else f"in {down.mean() * 100:.0f} % of the clip's frames"
    return [QualityIssue("frown", "warning",
                         f"The mouth corners are turned down {where} (a frown): the presenter keeps it through "
                         "every story, cheerful news included; the lip-sync moves the lips, not the mood — record "
                         "the presenter with a relaxed or slightly smiling mouth.")]
