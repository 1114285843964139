"""The open mouth's shape: inner-lip height over mouth width, on a render and on the presenter's own clip.

A mouth drawn too tall and round for its width (issue 17: renders at 0.55-1.14 where the person shows
0.18-0.24) reads as a fish mouth however well it is timed. The ratio is the inner-lip gap (landmarks
13/14, the middle of the inner lip lines) over the mouth's width between the OUTER corners 61/291, the
pair ../shared/eval/avsync.py and reenact.py use: the outer corners are where the red lip meets the skin,
a visible edge MediaPipe places steadily, while the inner corners 78/308 are where the lips meet, which
on an open mouth is a fold in shadow whose place the tracker guesses (and they close in towards the
middle on rounded vowels, so the ratio would rise for a shape that is not taller). It is the median over
the frames whose gap is at least OPEN_GAP_EYE: a vowel, not a parted rest mouth or a consonant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from xiaonuan.face import mesh
from xiaonuan.face.track import measure_video

OPEN_GAP_EYE = 0.10          # inner-lip gap (eye distances) from which a mouth counts as open
MIN_OPEN_FRAMES = 10         # fewer open frames than this: no ratio (too few to say)
MIN_CHECK_OPEN_FRAMES = 50   # a render is judged on at least 2 s of open mouth: in less, a vowel or two (or a
                             # tone's one long round "o", tests/test_bad_input.py) decide the median
RATIO_RANGE = (0.7, 1.4)     # a render's ratio must lie within these multiples of the presenter's own
# A presenter with no open mouth of their own (a portrait, an idle clip) is held to a real talker's: the
# median of presenter_man (0.217) and presenter_young (0.204), two people filmed talking (../shared/media).
TYPICAL_OPEN_RATIO = 0.21
CORNERS = (mesh.MOUTH_CORNER_RIGHT, mesh.MOUTH_CORNER_LEFT)


def gap_and_width(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inner-lip gap and outer mouth width per eye distance of landmarks (..., 478, 2)."""
    lm = np.asarray(lm, np.float64)
    eye = np.linalg.norm(lm[..., mesh.LEFT_EYE_OUTER, :] - lm[..., mesh.RIGHT_EYE_OUTER, :], axis=-1)
    eye = np.maximum(eye, 1e-6)
    gap = np.linalg.norm(lm[..., mesh.INNER_LIP_TOP, :] - lm[..., mesh.INNER_LIP_BOTTOM, :], axis=-1) / eye
    width = np.linalg.norm(lm[..., CORNERS[0], :] - lm[..., CORNERS[1], :], axis=-1) / eye
    return gap, width


def open_ratio(gap: np.ndarray, width: np.ndarray) -> tuple[float | None, int]:
    """(median gap/width over the open frames, how many frames are open); None when fewer than
    MIN_OPEN_FRAMES are open. NaN entries (no face) are left out."""
    gap, width = np.asarray(gap, np.float64), np.asarray(width, np.float64)
    ok = np.isfinite(gap) & np.isfinite(width) & (width > 0) & (gap >= OPEN_GAP_EYE)
    n = int(ok.sum())
    if n < MIN_OPEN_FRAMES:
        return None, n
    return float(np.median(gap[ok] / width[ok])), n


def track_open_ratio(landmarks: np.ndarray, found: np.ndarray | None = None) -> tuple[float | None, int]:
    """open_ratio of a landmark track (F, 478, 2): the presenter's own when it is the enrolment clip's."""
    lm = landmarks if found is None else landmarks[found]
    if len(lm) == 0:
        return None, 0
    return open_ratio(*gap_and_width(lm))


def check_ratio(render_ratio: float | None, own_ratio: float | None) -> tuple[float | None, bool]:
    """(render / reference, whether it is inside RATIO_RANGE). The reference is the presenter's own open
    ratio, else TYPICAL_OPEN_RATIO; a render that never opens (None) passes, with no factor."""
    if render_ratio is None:
        return None, True
    factor = render_ratio / (own_ratio or TYPICAL_OPEN_RATIO)
    return factor, bool(RATIO_RANGE[0] <= factor <= RATIO_RANGE[1])


@dataclass
class MouthShapeLog:
    """The rendered mouth's gap and width frame by frame, as the renderer placed the lips (its target
    landmarks; no second face-mesh pass), for the warning on every render."""

    own_ratio: float | None = None             # the presenter's own open ratio (None: TYPICAL_OPEN_RATIO)
    gaps: list[float] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)

    def add(self, lips_px: np.ndarray) -> None:
        """One frame's target landmarks (478+, 2; any pixel frame: the ratio is scale-free)."""
        g, w = gap_and_width(lips_px[:mesh.N_LANDMARKS])
        self.gaps.append(float(g))
        self.widths.append(float(w))

    def ratio(self) -> tuple[float | None, int]:
        return open_ratio(np.array(self.gaps), np.array(self.widths))

    def warnings(self, avatar_name: str) -> list[str]:
        """A sentence when the render's open mouth is out of RATIO_RANGE of the presenter's own, else none."""
        ratio, n_open = self.ratio()
        factor, ok = check_ratio(ratio, self.own_ratio)
        if ok or n_open < MIN_CHECK_OPEN_FRAMES:
            return []
        whose = (f"the presenter's own {self.own_ratio:.2f}" if self.own_ratio
                 else f"a real talker's typical {TYPICAL_OPEN_RATIO:.2f}")
        shape = "taller and rounder" if factor > 1 else "flatter and wider"
        return [f"avatar {avatar_name!r}: the open mouth is drawn {shape} than a real one (height/width "
                f"{ratio:.2f} over {n_open} open frames, {factor:.2f}× {whose}; {RATIO_RANGE[0]}–"
                f"{RATIO_RANGE[1]}× looks natural) — re-enrol the presenter from a clip in which they talk, "
                "or check the render with tools/mouth_shape.py"]


def video_open_ratio(video) -> tuple[float | None, int]:
    """open_ratio of a rendered MP4 as MediaPipe's face mesh sees it (every frame; slow: ~30 ms a frame).
    The tool (tools/mouth_shape.py) and the tests use it; renders check their own lips (MouthShapeLog)."""
    m = measure_video(video)
    return track_open_ratio(m.landmarks, m.found)


# A real mouth widens as it opens (outer corners 61/291, frontal): width = slope × gap + c over all frames,
# slope 0.67 for presenter_man and 0.37 for presenter_young (r 0.63 / 0.41). The rig's jaw used to narrow
# it instead, which drew the open mouth 1.3-1.5× too tall for its width (issue 17). Presenters with no
# talking of their own (portraits, idle clips) get the two talkers' mean.
TYPICAL_WIDTH_PER_GAP = 0.5
WIDTH_PER_GAP_RANGE = (0.0, 1.0)


def width_per_gap(landmarks: np.ndarray | None = None, found: np.ndarray | None = None) -> float:
    """How much the mouth widens per unit of inner-lip gap (both per eye distance): the presenter's own from
    a talking clip's landmark track (least squares over its frames), else TYPICAL_WIDTH_PER_GAP."""
    if landmarks is None:
        return TYPICAL_WIDTH_PER_GAP
    lm = landmarks if found is None else landmarks[found]
    gap, width = gap_and_width(lm) if len(lm) else (np.zeros(0), np.zeros(0))
    ok = np.isfinite(gap) & np.isfinite(width)
    gap, width = gap[ok], width[ok]
    if (gap >= OPEN_GAP_EYE).sum() < MIN_OPEN_FRAMES or np.ptp(gap) <= 0:
        return TYPICAL_WIDTH_PER_GAP
    slope = float(np.polyfit(gap, width, 1)[0])
    return float(np.clip(slope, *WIDTH_PER_GAP_RANGE))


def widen_on_open(base: np.ndarray, jaw: np.ndarray, width: np.ndarray, per_gap: float) -> np.ndarray:
    """The rig's jaw blend shape (478, 2 px at weight 1) with as much of its width shape added as makes the
    mouth on `base` widen by `per_gap` per unit of the gap it opens (see width_per_gap)."""
    g0, w0 = gap_and_width(base)
    g1, w1 = gap_and_width(base + jaw)
    w2 = gap_and_width(base + width)[1]
    k = (per_gap * (g1 - g0) - (w1 - w0)) / max(float(w2 - w0), 1e-6)
    return jaw + np.float32(k) * width
