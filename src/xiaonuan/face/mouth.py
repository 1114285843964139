"""Mouth interior: what shows between parted lips — a shaded cavity, upper teeth, lower teeth when
wide open, and a tongue — drawn inside the target inner-lip polygon with soft edges.

Everything is laid out in mouth coordinates (u along the corner-to-corner axis, v across it) and
sized in eye distances, so the teeth keep a human size whatever the opening. Colours come from the
avatar: teeth are sampled from the portrait when its lips are apart, and all tones follow its lighting.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from xiaonuan.face import mesh
from xiaonuan.types import Frame, Landmarks

# Sizes, in eye distances (outer eye corner to outer eye corner ≈ 9 cm on an adult).
UPPER_TEETH_HEIGHT = 0.085        # visible height of the upper incisors below the lip edge
LOWER_TEETH_HEIGHT = 0.045        # visible height of the lower incisors above the lower lip
LOWER_TEETH_FROM_GAP = (0.13, 0.24)   # the lower teeth fade in over this range of lip gap
TONGUE_FROM_GAP = (0.06, 0.16)    # the tongue fades in over this range of lip gap
TOOTH_WIDTHS = (0.095, 0.075, 0.08, 0.075)   # central incisor, lateral incisor, canine, premolar
TOOTH_EDGE_ROUNDING = 0.08        # how far (share of teeth height) a tooth's bottom corners rise (more looks like fangs)
MIN_GAP_PX = 0.6                  # below this lip gap only the seam between the lips is drawn
SEAM_DARKEN = 0.38                # closed lips: darkening of the line where they meet
SEAM_SIGMA_PX = 0.9               # softness of that line
# Shading.
LIP_SHADOW_PX = 2.0               # the lips' shadow on the interior, from the lip edge inwards
CAVITY_DEPTH_DARKEN = 0.55        # the back of the mouth is this much darker than the rim
TEETH_TOP_SHADOW = 0.35           # upper teeth are this much darker just under the lip
TEETH_SIDE_FADE = (0.25, 0.65)    # teeth fade into the dark between these shares of the mouth half-width
SEPARATION_DARKEN = 0.06          # darkening of the lines between teeth (stronger reads as separate fangs)
CORNER_TAPER = (0.5, 0.92)        # the drawn interior turns to lip colour towards the corners between these
                                  # shares of the half-width: a real opening is lens-shaped, not a wide dark grin
EDGE_SOFTEN_SIGMA_PX = 0.6        # blur of the polygon mask's edge
INTERIOR_BLUR_PX = 0.5           # the drawn interior is softened to match the photo's sharpness
# Default colours (sRGB) for a neutrally lit face; scaled by the avatar's skin brightness.
DEFAULT_TEETH_RGB = (236, 226, 208)
CAVITY_RGB = (66, 24, 22)
TONGUE_RGB = (170, 84, 80)
REFERENCE_SKIN_LUMA = 175.0
TEETH_SAMPLE_MIN_GAP = 0.05       # the portrait's teeth are sampled when its lips are this far apart


@dataclass(frozen=True)
class MouthStyle:
    """Colours of the mouth interior for one avatar (sRGB floats 0..255)."""

    teeth_rgb: tuple[float, float, float]
    cavity_rgb: tuple[float, float, float]
    tongue_rgb: tuple[float, float, float]


def mouth_style(image: Frame, landmarks: Landmarks) -> MouthStyle:
    """Colours for this portrait: its own teeth if visible, tones scaled to its skin brightness."""
    eye = mesh.eye_distance_px(landmarks)
    cheek_idx = [50, 280, 205, 425, 101, 330]      # cheeks, below the eyes: plain skin
    skin = np.array([image[int(y), int(x)] for x, y in landmarks[cheek_idx]], np.float32)
    light = float(np.clip(np.median(skin @ np.array([0.299, 0.587, 0.114], np.float32)) / REFERENCE_SKIN_LUMA, 0.5, 1.3))
    teeth = np.array(DEFAULT_TEETH_RGB, np.float32) * min(light, 1.08)
    gap = np.linalg.norm(landmarks[mesh.INNER_LIP_TOP] - landmarks[mesh.INNER_LIP_BOTTOM]) / eye
    if gap > TEETH_SAMPLE_MIN_GAP:
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(landmarks[list(mesh.LIPS_INNER)]).astype(np.int32)], 1)
        px = image[mask > 0].astype(np.float32)
        luma = px @ np.array([0.299, 0.587, 0.114], np.float32)
        bright = px[luma >= np.percentile(luma, 70)]
        if len(bright) >= 10:
            teeth = np.clip(np.median(bright, axis=0) * 1.03, 0, 255)
    scale = np.float32(light)
    return MouthStyle(tuple(float(v) for v in teeth),
                      tuple(float(v) for v in np.array(CAVITY_RGB, np.float32) * scale),
                      tuple(float(v) for v in np.array(TONGUE_RGB, np.float32) * scale))


def teeth_from_samples(patches: np.ndarray, landmarks_local: np.ndarray, eye_px: float) -> np.ndarray | None:
    """The presenter's own teeth colour (RGB) from its mouth samples: the bright pixels between the inner lips
    of the samples whose lips are apart; None when no sample shows teeth."""
    found = []
    for patch, lm in zip(patches, landmarks_local):
        if np.linalg.norm(lm[mesh.INNER_LIP_TOP] - lm[mesh.INNER_LIP_BOTTOM]) / eye_px <= TEETH_SAMPLE_MIN_GAP:
            continue
        mask = np.zeros(patch.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(lm[list(mesh.LIPS_INNER)]).astype(np.int32)], 1)
        px = patch[mask > 0].astype(np.float32)
        if len(px) >= 10:
            luma = px @ np.array([0.299, 0.587, 0.114], np.float32)
            found.append(px[luma >= np.percentile(luma, 80)])
    if not found:
        return None
    bright = np.concatenate(found)
    return np.clip(np.median(bright, axis=0), 0, 255) if len(bright) >= 10 else None


def _smoothstep(x: np.ndarray | float, a: float, b: float) -> np.ndarray:
    t = np.clip((np.asarray(x, np.float32) - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _tooth_edges(eye: float) -> np.ndarray:
    """Each tooth's [start, end) as |u| (px from the midline): the lines between teeth are at ±edges."""
    return np.concatenate([[0.0], np.cumsum(TOOTH_WIDTHS) * eye]).astype(np.float32)


def _draw_seam(crop: Frame, line_px: np.ndarray, pad: int) -> tuple[slice, slice] | None:
    """Darken the line where the lips meet (soft, anti-aliased), as a closed mouth shows it."""
    h, w = crop.shape[:2]
    x0, y0 = np.maximum(np.floor(line_px.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(line_px.max(axis=0)).astype(int) + pad + 1, [w, h])
    if x1 <= x0 or y1 <= y0:
        return None
    line = np.zeros((y1 - y0, x1 - x0), np.uint8)
    fixed = np.round((line_px - [x0, y0]) * 16).astype(np.int32)
    cv2.polylines(line, [fixed], False, 255, thickness=1, lineType=cv2.LINE_AA, shift=4)
    a = cv2.GaussianBlur(line, (0, 0), SEAM_SIGMA_PX).astype(np.float32) * (SEAM_DARKEN / 255.0 * 2.0)
    roi = crop[y0:y1, x0:x1]
    roi[...] = (roi.astype(np.float32) * (1.0 - np.clip(a, 0, SEAM_DARKEN))[..., None] + 0.5).astype(np.uint8)
    return slice(y0, y1), slice(x0, x1)


def fill_mouth(crop: Frame, upper_px: np.ndarray, lower_px: np.ndarray, eye_px: float, style: MouthStyle
               ) -> tuple[slice, slice] | None:
    """Draw the mouth interior into `crop` in place between the inner lip contours.

    upper_px / lower_px: (11, 2) inner-lip points (crop px), corner to corner, as
    mesh.LIPS_INNER_UPPER / LIPS_INNER_LOWER. Returns the region drawn, or None if the lips touch.
    """
    gap_px = np.linalg.norm(lower_px - upper_px, axis=1).max()
    poly = np.concatenate([upper_px, lower_px[-2:0:-1]]).astype(np.float32)
    h, w = crop.shape[:2]
    pad = 3
    seam_region = _draw_seam(crop, 0.5 * (upper_px + lower_px), pad)
    if gap_px < MIN_GAP_PX:
        return seam_region
    x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + pad + 1, [w, h])
    if x1 <= x0 or y1 <= y0:
        return None
    region = (slice(y0, y1), slice(x0, x1))
    rh, rw = y1 - y0, x1 - x0

    mask8 = np.zeros((rh, rw), np.uint8)
    fixed = np.round((poly - [x0, y0]) * 16).astype(np.int32)
    cv2.fillPoly(mask8, [fixed], 255, lineType=cv2.LINE_AA, shift=4)
    mask = cv2.GaussianBlur(mask8, (0, 0), EDGE_SOFTEN_SIGMA_PX).astype(np.float32) / 255.0
    inside = (mask8 > 127).astype(np.uint8)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 3) if inside.any() else np.zeros((rh, rw), np.float32)

    # mouth coordinates: u along the corners' axis from the mouth centre, v across it (down positive)
    left, right = upper_px[0], upper_px[-1]
    centre = 0.5 * (left + right)
    ex = (right - left) / max(float(np.linalg.norm(right - left)), 1e-6)
    ey = np.array([-ex[1], ex[0]], np.float32)
    gx = (np.arange(x0, x1, dtype=np.float32) - centre[0])[None, :]     # broadcast, not meshgrid (#7)
    gy = (np.arange(y0, y1, dtype=np.float32) - centre[1])[:, None]
    u = gx * ex[0] + gy * ex[1]
    v = gx * ey[0] + gy * ey[1]
    uu = (upper_px - centre) @ ex
    vu = (upper_px - centre) @ ey
    vl = (lower_px - centre) @ ey
    top = np.interp(u, uu, vu).astype(np.float32)                  # upper lip edge at each pixel's u
    bottom = np.interp(u, (lower_px - centre) @ ex, vl).astype(np.float32)
    half_w = max(float(uu[-1] - uu[0]) * 0.5, 1.0)
    gap_eye = gap_px / eye_px
    rel_u = np.abs(u) / half_w

    # cavity: dark, darker towards the back (away from the lip rim)
    depth = 1.0 - np.exp(-dist / max(0.22 * gap_px, 1.0))
    shade = 1.0 - CAVITY_DEPTH_DARKEN * depth
    img = np.empty((rh, rw, 3), np.float32)
    img[...] = np.array(style.cavity_rgb, np.float32)
    img *= shade[..., None]

    # tongue: a soft ellipse resting on the lower teeth
    tongue_a = float(_smoothstep(gap_eye, *TONGUE_FROM_GAP))
    if tongue_a > 0:
        t_cy = bottom - 0.12 * gap_px
        t = (u / (0.62 * half_w)) ** 2 + ((v - t_cy) / max(0.42 * gap_px, 1.0)) ** 2
        tongue = np.clip(1.0 - t, 0.0, 1.0) ** 0.7 * tongue_a * 0.9
        tcol = np.array(style.tongue_rgb, np.float32) * (0.55 + 0.45 * (1 - depth))[..., None]
        img += (tcol - img) * tongue[..., None]

    edges = _tooth_edges(eye_px)
    side = 1.0 - _smoothstep(rel_u, *TEETH_SIDE_FADE)
    # separation lines and rounded incisal corners, shared by both rows; the lines sit at ±edges, so
    # the nearest one to a pixel is one of the two edges around |u|
    au = np.abs(u)
    k = np.clip(np.searchsorted(edges, au) - 1, 0, len(edges) - 2)
    e_lo, e_hi = edges[k], edges[k + 1]
    dline = np.minimum(au - e_lo, np.abs(e_hi - au))
    sep = 1.0 - SEPARATION_DARKEN * np.exp(-(dline / 0.7) ** 2)
    local = np.clip((au - e_lo) / (e_hi - e_lo), 0.0, 1.0)      # 0..1 across one tooth
    rounding = TOOTH_EDGE_ROUNDING * (np.abs(2 * local - 1) ** 4)
    teeth_rgb = np.array(style.teeth_rgb, np.float32)

    # upper teeth hang from the upper lip
    h_up = UPPER_TEETH_HEIGHT * eye_px
    below = v - top
    edge_up = h_up * (1.0 - rounding)
    a_up = np.clip(edge_up - below + 0.5, 0.0, 1.0) * side
    tshade = 1.0 - TEETH_TOP_SHADOW * np.exp(-np.maximum(below, 0) / max(0.25 * h_up, 0.5))
    tshade *= 0.92 + 0.08 * np.clip(1 - below / np.maximum(edge_up, 1), 0, 1)      # incisal edge a bit translucent
    col_up = teeth_rgb * (tshade * sep * (0.6 + 0.4 * side))[..., None]
    img += (col_up - img) * a_up[..., None]

    # lower teeth rise from the lower lip when the mouth is wide open
    low_a = float(_smoothstep(gap_eye, *LOWER_TEETH_FROM_GAP))
    if low_a > 0:
        h_lo = LOWER_TEETH_HEIGHT * eye_px
        above = bottom - v
        edge_lo = h_lo * (1.0 - rounding)
        a_lo = np.clip(edge_lo - above + 0.5, 0.0, 1.0) * side * low_a * 0.85
        lshade = 0.72 - 0.2 * np.exp(-np.maximum(above, 0) / max(0.3 * h_lo, 0.5))
        col_lo = teeth_rgb * (lshade * sep * (0.6 + 0.4 * side))[..., None]
        img += (col_lo - img) * a_lo[..., None]

    # the lips shade the interior next to their edge
    img *= (0.7 + 0.3 * _smoothstep(dist, 0.0, LIP_SHADOW_PX))[..., None]

    img = cv2.GaussianBlur(img, (0, 0), INTERIOR_BLUR_PX)
    roi = crop[region]
    # towards the corners the opening closes: lip colour (the median just outside the opening, flat —
    # the warped pixels there are lips stretched into streaks) instead of cavity
    taper = _smoothstep(rel_u, *CORNER_TAPER)
    ring = (cv2.dilate(mask8, np.ones((5, 5), np.uint8)) > 127) & (mask8 <= 127)
    base = roi.astype(np.float32)
    if ring.sum() >= 8 and float(taper.max()) > 0:
        lip = np.median(roi[ring].astype(np.float32), axis=0) * np.float32(0.85)   # in the lips' shadow
        img = img + (lip - img) * taper[..., None]
    m = mask[..., None]
    roi[...] = np.clip(img * m + base * (1.0 - m) + 0.5, 0, 255).astype(np.uint8)
    if seam_region is None:
        return region
    return (slice(min(y0, seam_region[0].start), max(y1, seam_region[0].stop)),
            slice(min(x0, seam_region[1].start), max(x1, seam_region[1].stop)))
