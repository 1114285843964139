"""Face-aware framing: crop the presenter frame around the avatar's face so that the face reaches a
usable size in the template's presenter box.

A clip recorded wide (sun.mp4: 77 px between the outer eye corners in a 576x768 frame) would show a
face ~99 px wide in the news template's box — too small to read lips, and too small for MediaPipe's
face detector to find in a 1920x1080 frame. `frame_presenter` replaces the box's `crop` by a FIXED
rectangle (one per render, from the pack's whole landmark track, so it never moves) that scales the
face to `presenter.face_px` between the eye corners, as far as the head (face oval plus margins)
still fits. The crop has the box's aspect ratio, so `fit: cover` crops nothing more.

The whole face (face oval, chin plus FACE_CLEAR_EYE) must also stay clear of every overlay the
template draws over the presenter (headline strap, lower third, ticker, subtitles): where it would be
under one, the crop is moved (the face goes up in the box) and, if that is not enough, the zoom is
reduced; what still overlaps is reported by overlay_warnings() (issue 17).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from xiaonuan.avatar.pack import Avatar
from xiaonuan.face import mesh
from xiaonuan.template_spec import PresenterBox
from xiaonuan.templates import Template, subtitle_line_px

# Margins around the face oval that must stay inside the crop, in eye distances.
MARGIN_SIDE_EYE = 0.45
MARGIN_TOP_EYE = 0.55        # hair above the forehead landmarks
MARGIN_BOTTOM_EYE = 1.1      # chin, neck and a bit of the shoulders
EYE_LINE_SHARE = 0.40        # the eye line sits this far down the crop (classic head-and-shoulders headroom)
MIN_GAIN = 1.02              # below this the crop would hardly change anything: leave the box as it is
# framing lifts the face's margin to touch an overlay's edge exactly (the default portrait's, under news' lower
# third at 1080p: 640 against 640); the render's resized avatar may land within a pixel of it, and warned
# that the lower third covers the chin: touching is not covering
TOUCH_PX = 1.0
FACE_CLEAR_EYE = 0.2         # the face oval plus this margin (eye distances) must be clear of overlays
BOX_SHRINK_MIN = 0.7         # the presenter box is made at most this much smaller to clear the face
ZOOM_STEPS = 12              # zoom levels tried between the face-size zoom and the box's own `cover`


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


def overlay_rects(template: Template) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(what, (x0, y0, x1, y1) canvas px) of every overlay the template draws over the picture: the
    headline strap, the lower third (its least width: a long name makes it wider), the ticker and
    the subtitle band (max_lines lines at the bottom or around center_y_px)."""
    spec = template.spec
    out = []
    if spec.headline is not None:
        h = spec.headline
        out.append(("headline strap", (h.x_px, h.y_px, h.x_px + h.width_px, h.y_px + h.height_px)))
    if spec.lower_third is not None:
        lt = spec.lower_third
        height = int(lt.name_font_size_px * 1.5) + int(lt.title_font_size_px * 1.6)   # as canvas/draw.py draws it
        out.append(("lower third", (lt.x_px, lt.y_px, lt.x_px + lt.min_width_px + lt.accent_px, lt.y_px + height)))
    if spec.ticker is not None:
        t = spec.ticker
        out.append(("ticker", (t.x_px, t.y_px, t.x_px + t.width_px, t.y_px + t.height_px)))
    st, w, hgt = spec.subtitles, template.width_px, template.height_px
    band = st.max_lines * st.font_size_px * st.line_spacing + 2 * st.outline_px
    line = subtitle_line_px(w, st)
    x0, x1 = (w - line) / 2, (w + line) / 2
    if st.center_y_px is not None:
        out.append(("subtitles", (x0, st.center_y_px - band / 2, x1, st.center_y_px + band / 2)))
    else:
        out.append(("subtitles", (x0, hgt - st.bottom_margin_px - band, x1, hgt - st.bottom_margin_px)))
    return out


def face_on_canvas(box: PresenterBox, avatar: Avatar, crop: tuple[float, float, float, float] | None = None
                   ) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) canvas px of the face (oval and FACE_CLEAR_EYE around it, over the whole clip)
    as the presenter box shows it with `crop` (default the box's own), clipped to the box."""
    w, h = avatar.size
    c = crop or box.crop
    cx0, cy0, cw, ch = c[0] * w, c[1] * h, (c[2] - c[0]) * w, (c[3] - c[1]) * h
    fit = {"cover": max, "contain": min}.get(box.fit)
    sx = sy = fit(box.width_px / cw, box.height_px / ch) if fit else None
    if sx is None:                                                   # stretch
        sx, sy = box.width_px / cw, box.height_px / ch
    ox = box.x_px + (box.width_px - cw * sx) / 2 - cx0 * sx        # centred, as the compositor places it
    oy = box.y_px + (box.height_px - ch * sy) / 2 - cy0 * sy
    _, (fx0, fy0, fx1, fy1), eye = face_extent(avatar)
    m = FACE_CLEAR_EYE * eye
    x0, y0 = max(ox + (fx0 - m) * sx, box.x_px), max(oy + (fy0 - m) * sy, box.y_px)
    x1 = min(ox + (fx1 + m) * sx, box.x_px + box.width_px)
    y1 = min(oy + (fy1 + m) * sy, box.y_px + box.height_px)
    return x0, y0, x1, y1


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float], tol_px: float = 0.0) -> bool:
    """Whether the boxes share more than `tol_px` in both directions."""
    return a[0] < b[2] - tol_px and b[0] < a[2] - tol_px and a[1] < b[3] - tol_px and b[1] < a[3] - tol_px


def covered_by(template: Template, avatar: Avatar, crop=None) -> list[str]:
    """The overlays of the template that would cover part of the presenter's face."""
    face = face_on_canvas(template.spec.presenter, avatar, crop)
    return [what for what, r in overlay_rects(template) if overlaps(face, r, TOUCH_PX)]


def face_crop(box: PresenterBox, avatar: Avatar, template: Template | None = None
              ) -> tuple[float, float, float, float] | None:
    """The crop (fractions of the avatar frame) that frames the face at box.face_px and clear of the
    template's overlays (as far as it can), or None to keep box.crop."""
    if box.fit != "cover":
        return None
    w, h = avatar.size
    bx0, by0, bx1, by1 = box.crop[0] * w, box.crop[1] * h, box.crop[2] * w, box.crop[3] * h
    bw, bh = bx1 - bx0, by1 - by0
    centre, (fx0, fy0, fx1, fy1), eye = face_extent(avatar)
    if eye <= 1:
        return None
    base_scale = max(box.width_px / bw, box.height_px / bh)          # what `cover` does today
    scale = box.face_px / eye if box.face_px > 0 else base_scale
    need_w = (fx1 - fx0) + 2 * MARGIN_SIDE_EYE * eye
    need_h = (fy1 - fy0) + (MARGIN_TOP_EYE + MARGIN_BOTTOM_EYE) * eye
    scale = max(min(scale, box.width_px / need_w, box.height_px / need_h), base_scale)  # the head must fit
    rects = [r for _, r in overlay_rects(template)] if template is not None else []
    first = None
    for zoom in np.linspace(scale, base_scale, ZOOM_STEPS if rects else 1):
        crop = _crop_at(zoom, box, (w, h), (bx0, by0, bx1, by1), centre, (fx0, fy0, fx1, fy1), eye, rects)
        first = first or crop
        if template is None:
            break
        clear = [c for c in (crop, *_sideways(crop, zoom, box, (w, h), (bx0, bx1), (fx0, fx1), eye, rects))
                 if not covered_by(template, avatar, c)]
        if clear:
            crop = clear[0]
            break
    else:
        crop = first                  # nothing clears it: keep the face's size (overlay_warnings reports it)
    if crop == first and scale < base_scale * MIN_GAIN and not (template and covered_by(template, avatar, box.crop)):
        return None                   # hardly a zoom and nothing to clear: the box as it is
    return crop


def _crop_at(scale: float, box: PresenterBox, size: tuple[int, int], bounds, centre, face, eye: float, rects
             ) -> tuple[float, float, float, float]:
    """The crop at one zoom: eye line at EYE_LINE_SHARE, the head's top and the chin inside; with overlay
    rects, the face's bottom above the highest overlay below the eyes that it would run into."""
    bx0, by0, bx1, by1 = bounds
    fx0, fy0, fx1, fy1 = face
    cw, ch = box.width_px / scale, box.height_px / scale
    x0 = float(np.clip(centre[0] - cw / 2, bx0, bx1 - cw))
    y0 = centre[1] - EYE_LINE_SHARE * ch
    y0 = min(y0, fy0 - MARGIN_TOP_EYE * eye)                          # keep the top of the head
    y0 = max(y0, fy1 + MARGIN_BOTTOM_EYE * eye - ch)                  # ... and the chin
    # overlays beside the face's columns and below its eye line: the chin (and margin) must end above them
    m = FACE_CLEAR_EYE * eye
    left, right = box.x_px + (fx0 - m - x0) * scale, box.x_px + (fx1 + m - x0) * scale
    eye_y = box.y_px + (centre[1] - y0) * scale
    tops = [r[1] for r in rects if r[0] < right and left < r[2] and r[1] > eye_y and r[1] < box.y_px + box.height_px]
    if tops:
        y0 = max(y0, fy1 + m - (min(tops) - box.y_px) / scale)
    y0 = float(np.clip(y0, by0, by1 - ch))
    w, h = size
    return (x0 / w, y0 / h, min((x0 + cw) / w, 1.0), min((y0 + ch) / h, 1.0))


def _sideways(crop, scale: float, box: PresenterBox, size: tuple[int, int], xbounds, fx, eye: float, rects
              ) -> list[tuple[float, float, float, float]]:
    """The crop moved sideways so the face is beside each overlay (to its right, then its left) that a
    low chin cannot be lifted above (a lower third over the box's corner)."""
    w, _ = size
    x0 = crop[0] * w
    cw = (crop[2] - crop[0]) * w
    m = FACE_CLEAR_EYE * eye
    out = []
    for r in rects:
        for nx in (fx[0] - m - (r[2] - box.x_px) / scale, fx[1] + m - (r[0] - box.x_px) / scale):
            nx = float(np.clip(nx, xbounds[0], xbounds[1] - cw))
            if abs(nx - x0) > 0.5:
                out.append((nx / w, crop[1], min((nx + cw) / w, 1.0), crop[3]))
    return out


def overlay_warnings(template: Template, avatar: Avatar) -> list[str]:
    """A render warning for each overlay that still covers part of the face after framing."""
    return [f"the {what} covers part of the presenter's face (chin or mouth) in template "
            f"{template.name!r}; fix: record the presenter with the face higher in the frame, or move the "
            "template's presenter box (presenter.y_px / height_px) clear of it" for what in covered_by(template, avatar)]


def frame_presenter(template: Template, avatar: Avatar) -> Template:
    """`template` with its presenter crop set around `avatar`'s face (unchanged when no zoom is needed and
    nothing covers the face). Where no crop clears the face of the overlays, the presenter box is moved
    up, then made smaller (about its top centre), as far as BOX_SHRINK_MIN; overlay_warnings() reports
    what is still covered."""
    framed = _with_crop(template, avatar, template.spec.presenter)
    if not covered_by(framed, avatar):
        return framed
    box = template.spec.presenter
    _, _, _, face_bottom = face_on_canvas(framed.spec.presenter, avatar)
    lift = max(face_bottom - r[1] for what, r in overlay_rects(framed) if what in covered_by(framed, avatar))
    for k in np.linspace(1.0, BOX_SHRINK_MIN, 7):
        w, h = int(round(box.width_px * k)), int(round(box.height_px * k))
        moved = dataclasses.replace(box, x_px=int(box.x_px + (box.width_px - w) // 2),
                                    y_px=int(max(box.y_px - lift, 0)), width_px=w, height_px=h)
        tried = _with_crop(template, avatar, moved)
        if not covered_by(tried, avatar):
            return tried
    return framed


def _with_crop(template: Template, avatar: Avatar, box: PresenterBox) -> Template:
    """`template` with presenter box `box` and that box's face crop (the template itself when nothing changes)."""
    crop = face_crop(box, avatar, _with_box(template, box))
    if crop is None and box == template.spec.presenter:
        return template
    return _with_box(template, box if crop is None else dataclasses.replace(box, crop=crop))


def _with_box(template: Template, box: PresenterBox) -> Template:
    if box == template.spec.presenter:
        return template
    return dataclasses.replace(template, spec=dataclasses.replace(template.spec, presenter=box))


def face_px_on_canvas(template: Template, avatar: Avatar) -> float:
    """Outer-eye-corner distance of the avatar's face on the canvas with the template's (current) crop."""
    box = template.spec.presenter
    w, h = avatar.size
    bw, bh = (box.crop[2] - box.crop[0]) * w, (box.crop[3] - box.crop[1]) * h
    scale = {"cover": max, "contain": min}.get(box.fit, max)(box.width_px / bw, box.height_px / bh)
    return face_extent(avatar)[2] * scale
