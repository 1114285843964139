"""Face-aware framing: crop the presenter frame around the avatar's face so that the face reaches a
usable size in the template's presenter box.

A clip recorded wide (sun.mp4: 77 px between the outer eye corners in a 576x768 frame) would show a
face ~99 px wide in the news template's box — too small to read lips, and too small for MediaPipe's
face detector to find in a 1920x1080 frame. `frame_presenter` replaces the box's `crop` by a FIXED
rectangle (one per render, from the pack's whole landmark track, so it never moves) that scales the
face to `presenter.face_px` between the eye corners, as far as the head (face oval plus margins)
still fits. The crop has the box's aspect ratio, so `fit: cover` crops nothing more.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from xiaonuan.avatar import Avatar
from xiaonuan.face import mesh
from xiaonuan.templates import PresenterBox, Template

# Margins around the face oval that must stay inside the crop, in eye distances.
MARGIN_SIDE_EYE = 0.45
MARGIN_TOP_EYE = 0.55        # hair above the forehead landmarks
MARGIN_BOTTOM_EYE = 1.1      # chin, neck and a bit of the shoulders
EYE_LINE_SHARE = 0.40        # the eye line sits this far down the crop (classic head-and-shoulders headroom)
MIN_GAIN = 1.02              # below this the crop would hardly change anything: leave the box as it is


def face_extent(avatar: Avatar) -> tuple[np.ndarray, np.ndarray, float]:
    """(eye-line centre, (x0, y0, x1, y1) face-oval extent, eye distance) in avatar px, over the whole
    landmark track of a clip (percentiles, so the crop holds the head wherever it goes) or the still."""
    if avatar.is_clip and avatar.clip.found.any():
        lm = avatar.clip.landmarks[avatar.clip.found]
    else:
        lm = avatar.landmarks[None]
    oval = lm[:, list(mesh.FACE_OVAL)]
    eye = float(np.median(np.linalg.norm(lm[:, mesh.LEFT_EYE_OUTER] - lm[:, mesh.RIGHT_EYE_OUTER], axis=1)))
    centre = np.median(0.5 * (lm[:, mesh.LEFT_EYE_OUTER] + lm[:, mesh.RIGHT_EYE_OUTER]), axis=0)
    lo = np.percentile(oval.reshape(-1, 2), 1, axis=0)
    hi = np.percentile(oval.reshape(-1, 2), 99, axis=0)
    return centre, np.array([lo[0], lo[1], hi[0], hi[1]]), eye


def face_crop(box: PresenterBox, avatar: Avatar) -> tuple[float, float, float, float] | None:
    """The crop (fractions of the avatar frame) that frames the face at box.face_px, or None to keep box.crop."""
    if box.face_px <= 0 or box.fit != "cover":
        return None
    w, h = avatar.size
    bx0, by0, bx1, by1 = box.crop[0] * w, box.crop[1] * h, box.crop[2] * w, box.crop[3] * h
    bw, bh = bx1 - bx0, by1 - by0
    centre, (fx0, fy0, fx1, fy1), eye = face_extent(avatar)
    if eye <= 1:
        return None
    base_scale = max(box.width_px / bw, box.height_px / bh)          # what `cover` does today
    scale = box.face_px / eye
    need_w = (fx1 - fx0) + 2 * MARGIN_SIDE_EYE * eye
    need_h = (fy1 - fy0) + (MARGIN_TOP_EYE + MARGIN_BOTTOM_EYE) * eye
    scale = min(scale, box.width_px / need_w, box.height_px / need_h)  # the head must fit
    if scale < base_scale * MIN_GAIN:
        return None
    cw, ch = box.width_px / scale, box.height_px / scale
    x0 = float(np.clip(centre[0] - cw / 2, bx0, bx1 - cw))
    y0 = centre[1] - EYE_LINE_SHARE * ch
    y0 = min(y0, fy0 - MARGIN_TOP_EYE * eye)                          # keep the top of the head
    y0 = max(y0, fy1 + MARGIN_BOTTOM_EYE * eye - ch)                  # ... and the chin
    y0 = float(np.clip(y0, by0, by1 - ch))
    return (x0 / w, y0 / h, min((x0 + cw) / w, 1.0), min((y0 + ch) / h, 1.0))


def frame_presenter(template: Template, avatar: Avatar) -> Template:
    """`template` with its presenter crop set around `avatar`'s face (unchanged when no zoom is needed)."""
    box = template.spec.presenter
    crop = face_crop(box, avatar)
    if crop is None:
        return template
    spec = dataclasses.replace(template.spec, presenter=dataclasses.replace(box, crop=crop))
    return dataclasses.replace(template, spec=spec)


def face_px_on_canvas(template: Template, avatar: Avatar) -> float:
    """Outer-eye-corner distance of the avatar's face on the canvas with the template's (current) crop."""
    box = template.spec.presenter
    w, h = avatar.size
    bw, bh = (box.crop[2] - box.crop[0]) * w, (box.crop[3] - box.crop[1]) * h
    scale = {"cover": max, "contain": min}.get(box.fit, max)(box.width_px / bw, box.height_px / bh)
    return face_extent(avatar)[2] * scale
