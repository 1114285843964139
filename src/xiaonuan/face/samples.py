"""Sample-based mouth (Video Rewrite): a talking clip's own mouths, reused instead of a drawn cavity.

At enrolment the clip's frames are indexed by mouth shape (inner-lip gaps, widths and lip thickness,
per eye distance) and up to MAX_SAMPLES frames that cover those shapes are kept as small patches
around the mouth, with their landmarks, in the pack (`mouths.npz`). At render time a sample is chosen
for every output frame by a Viterbi path over the whole motion: closeness to the target shape plus
a cost for switching samples, so the choice does not flicker. The chosen patch is mapped onto the
frame by a thin-plate spline: the mouth region's outline onto the frame (no step at the join), the
sample's own lip lines onto the target lips by the affine map that fits them best (it keeps its real
shape at the target's place, size and opening). It is then colour-matched to the frame on the feather
band and blended in with a feathered mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from xiaonuan.face import mesh
from xiaonuan.face.warp import HOLE_STRIPS
from xiaonuan.types import Frame, Landmarks
from xiaonuan.encode import read_frames
from xiaonuan.face.track import write_npz

MAX_SAMPLES = 64             # patches kept in a pack (~2-3 MB for a 110 px eye distance)
MIN_SPACING = 0.012          # samples closer than this in shape space (weighted, eye distances) are redundant
REGION_EYE = 0.2             # the patch covers the lips and this much skin around them (eye distances)
PATCH_MARGIN_PX = 4          # extra pixels around the region, for interpolation
FEATHER_EYE = 0.08           # width of the blend's ramp, inside the region's outline (eye distances)
MAX_LIP_SPEED = 0.04         # frames whose lips move faster than this per frame (eye distances) are blurred
SHAPE_TOL = 0.03             # a shape difference of this much (eye distances) costs 1 in the choice ...
SWITCH_COST = 6.0            # ... and changing sample costs this much (a switch every ~4 frames in speech)
MAX_COLOUR_SHIFT = 24.0      # colour match: the mean moves at most this much per Lab channel (0..255 scale) ...
COLOUR_GAIN_RANGE = (0.7, 1.4)   # ... and the spread is scaled within this range
INNER_EXACT_POWER = 4.0      # how far from the middle the inner lip line keeps the exact target (see lips_target)
TPS_SMOOTH = 0.03            # thin-plate regularisation (eye-distance units): the samples' landmarks are noisy
TPS_STEP_PX = 4              # the spline is evaluated on this grid and interpolated in between
CLOSED_PX = 1.5              # target inner lips closer than this count as closed (see SampleMouth._controls)
# Shape descriptor: inner-lip gaps at three places, inner and outer width, upper and lower lip thickness.
_GAP_PAIRS = tuple((mesh.LIPS_INNER_UPPER[k], mesh.LIPS_INNER_LOWER[k]) for k in (3, 5, 7))
_SHAPE_PAIRS = _GAP_PAIRS + ((mesh.INNER_CORNER_RIGHT, mesh.INNER_CORNER_LEFT),
                             (mesh.MOUTH_CORNER_RIGHT, mesh.MOUTH_CORNER_LEFT), (0, 13), (14, 17))
# The gaps matter most (they decide what shows between the lips); widths are cheap to warp.
SHAPE_WEIGHTS = np.array([1.0, 1.5, 1.0, 0.3, 0.3, 0.5, 0.5], np.float32)
MID_GAP = 1                  # index of the middle inner-lip gap in the descriptor


def mouth_shape(lm: np.ndarray) -> np.ndarray:
    """(..., 7) shape descriptor of landmarks (..., 478, 2): distances per eye distance."""
    lm = np.asarray(lm, np.float32)
    eye = np.linalg.norm(lm[..., mesh.LEFT_EYE_OUTER, :] - lm[..., mesh.RIGHT_EYE_OUTER, :], axis=-1)
    d = [np.linalg.norm(lm[..., a, :] - lm[..., b, :], axis=-1) for a, b in _SHAPE_PAIRS]
    return (np.stack(d, -1) / eye[..., None]).astype(np.float32)


@dataclass(frozen=True, eq=False)
class MouthBank:
    """Mouth patches of N source frames: pixels, where they sit, their landmarks and shapes."""

    patches: np.ndarray      # (N, H, W, 3) uint8: the frame's pixels around the mouth (zero-padded)
    origins: np.ndarray      # (N, 2) int32: frame px of each patch's top-left corner
    landmarks: np.ndarray    # (N, 478, 2) float32: the frame's landmarks, frame px
    frames: np.ndarray       # (N,) int32: source frame index
    shapes: np.ndarray       # (N, 7) float32: mouth_shape of each

    @property
    def n_samples(self) -> int:
        return len(self.frames)


# --------------------------------------------------------------------------- enrolment

def mouth_moves(lm: np.ndarray, found: np.ndarray, range_eye: float) -> bool:
    """True when the clip's inner-lip gap spans more than range_eye (5th to 95th percentile): it talks."""
    if found.sum() < 2:
        return False
    gap = mouth_shape(lm[found])[:, MID_GAP]
    p5, p95 = np.percentile(gap, [5, 95])
    return bool(p95 - p5 > range_eye)


def select_frames(lm: np.ndarray, found: np.ndarray, first: int, n_max: int = MAX_SAMPLES) -> np.ndarray:
    """Source frames whose mouths cover the clip's shapes: farthest-point sampling in shape space from
    `first` (the neutral frame), skipping frames whose lips move fast (motion blur)."""
    shapes = np.nan_to_num(mouth_shape(lm), nan=0.0) * SHAPE_WEIGHTS
    gap = shapes[:, MID_GAP]
    speed = np.abs(np.diff(gap, prepend=gap[:1])) + np.abs(np.diff(gap, append=gap[-1:]))
    ok = found & (speed < 2 * MAX_LIP_SPEED)
    ok[first] = True
    cand = np.flatnonzero(ok)
    chosen = [first]
    dist = np.linalg.norm(shapes[cand] - shapes[first], axis=1)
    while len(chosen) < n_max:
        k = int(np.argmax(dist - 0.5 * speed[cand]))      # far from those chosen, sharp
        if dist[k] < MIN_SPACING:
            break
        chosen.append(int(cand[k]))
        dist = np.minimum(dist, np.linalg.norm(shapes[cand] - shapes[cand[k]], axis=1))
    return np.array(sorted(chosen), np.int32)


def region_points(lm: Landmarks) -> np.ndarray:
    """Mesh points of the mouth region: the lips and the skin within REGION_EYE of the outer lip line."""
    eye = mesh.eye_distance_px(lm)
    poly = lm[list(mesh.LIPS_OUTER)].reshape(-1, 1, 2).astype(np.float32)
    dist = np.array([cv2.pointPolygonTest(poly, (float(x), float(y)), True) for x, y in lm[:mesh.N_MESH_POINTS]])
    return np.flatnonzero(dist > -REGION_EYE * eye).astype(np.int32)


def build_bank(video: Path, fps: int, lm: np.ndarray, found: np.ndarray, neutral: int) -> MouthBank:
    """Cut the mouth patches of the chosen frames out of the clip (one streaming pass over it)."""
    frames = select_frames(lm, found, neutral)
    region = region_points(lm[neutral])
    lo = np.floor(lm[frames][:, region].min(axis=1)).astype(int) - PATCH_MARGIN_PX
    hi = np.ceil(lm[frames][:, region].max(axis=1)).astype(int) + PATCH_MARGIN_PX + 1
    patches = None
    wanted = {int(f): k for k, f in enumerate(frames)}
    gen = read_frames(video, fps=fps)
    try:
        for i, frame in enumerate(gen):
            if patches is None:                       # the frame size is known from the first frame
                h, w = frame.shape[:2]
                lo, hi = np.clip(lo, 0, [w, h]), np.clip(hi, 0, [w, h])
                ph, pw = int((hi - lo)[:, 1].max()), int((hi - lo)[:, 0].max())
                patches = np.zeros((len(frames), ph, pw, 3), np.uint8)
            k = wanted.get(i)
            if k is not None:
                (x0, y0), (x1, y1) = lo[k], hi[k]
                patches[k, :y1 - y0, :x1 - x0] = frame[y0:y1, x0:x1]
            if i >= frames[-1]:
                break
    finally:
        gen.close()
    return MouthBank(patches, lo.astype(np.int32), lm[frames].astype(np.float32), frames,
                     mouth_shape(lm[frames]))


def save_bank(path: Path, bank: MouthBank) -> None:
    """Write the bank into a pack, byte-for-byte reproducibly (the pack's npz writer)."""
    write_npz(path, patches=bank.patches, origins=bank.origins, landmarks=bank.landmarks, frames=bank.frames,
              shapes=bank.shapes)


def load_bank(path: Path) -> MouthBank:
    with np.load(path) as z:
        return MouthBank(z["patches"], z["origins"].astype(np.int32), z["landmarks"].astype(np.float32),
                         z["frames"].astype(np.int32), z["shapes"].astype(np.float32))


# --------------------------------------------------------------------------- render

def choose_samples(bank_shapes: np.ndarray, targets: np.ndarray, switch_cost: float = SWITCH_COST) -> np.ndarray:
    """(n,) sample index per target shape (n, 7): the Viterbi path minimising shape mismatch plus
    switch_cost per change of sample."""
    diff = (targets[:, None, :] - bank_shapes[None, :, :]) * SHAPE_WEIGHTS / SHAPE_TOL
    unary = (diff ** 2).sum(axis=2)                        # (n, N)
    n, m = unary.shape
    if n == 0:
        return np.zeros(0, np.int32)
    back = np.zeros((n, m), np.int32)
    acc = unary[0].copy()
    for i in range(1, n):
        best = int(np.argmin(acc))
        switch = acc[best] + switch_cost
        stay = acc <= switch
        back[i] = np.where(stay, np.arange(m), best)
        acc = np.where(stay, acc, switch) + unary[i]
    path = np.empty(n, np.int32)
    path[-1] = int(np.argmin(acc))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _outline(triangles: np.ndarray) -> np.ndarray:
    """The longest closed loop of edges that belong to one triangle only: the region's outline."""
    count: dict[tuple[int, int], int] = {}
    for t in triangles:
        for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
            e = (int(min(a, b)), int(max(a, b)))
            count[e] = count.get(e, 0) + 1
    edges = [e for e, c in count.items() if c == 1]
    nbr: dict[int, list[int]] = {}
    for a, b in edges:
        nbr.setdefault(a, []).append(b)
        nbr.setdefault(b, []).append(a)
    used: set[tuple[int, int]] = set()
    loops = []
    for a, b in edges:
        if (a, b) in used:
            continue
        used.add((a, b))
        loop, cur = [a], b
        while cur != a:
            loop.append(cur)
            step = [v for v in nbr[cur] if (min(cur, v), max(cur, v)) not in used]
            if not step:
                break
            used.add((min(cur, step[0]), max(cur, step[0])))
            cur = step[0]
        loops.append(loop)
    return np.array(max(loops, key=len), np.int32)


class SampleMouth:
    """Pastes bank samples onto face crops: a thin-plate spline through the mouth region's landmarks maps
    each target pixel to its place in the sample's patch (smooth, so no triangle seams or folds show
    where a sample's shape differs from the target's)."""

    def __init__(self, bank: MouthBank, triangles: np.ndarray, neutral: Landmarks, eye_px: float) -> None:
        self.bank = bank
        region, inner = set(region_points(neutral).tolist()), set(mesh.LIPS_INNER)
        keep = [t for t in triangles if all(int(v) in region for v in t)]
        keep += [t for t in HOLE_STRIPS if all(int(v) in inner for v in t)]    # the opening between the lips
        self.outline = _outline(np.array(keep, np.int32))
        # the spline runs through the region's outline (onto the frame) and the lip lines (onto lips_target)
        self.controls = np.array(sorted(set(self.outline.tolist()) | set(mesh.LIPS_OUTER) | set(mesh.LIPS_INNER)))
        self.eye_px = eye_px
        self.feather_px = max(FEATHER_EYE * eye_px, 1.0)

    def paste(self, crop: Frame, target_px: np.ndarray, k: int, opacity: float = 1.0) -> tuple[slice, slice] | None:
        """Blend sample k into `crop` (in place), warped onto target_px (478+ points, crop px; pass them
        through lips_target first), at `opacity`. Returns the region changed, or None."""
        b = self.bank
        h, w = crop.shape[:2]
        poly = target_px[self.outline]
        x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + 1, [w, h])
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        region = (slice(y0, y1), slice(x0, x1))
        dst, src = self._controls(target_px, b.landmarks[k] - b.origins[k])
        map_xy = _thin_plate(dst, src, x0, y0, x1, y1, self.eye_px)
        smp = cv2.remap(b.patches[k], map_xy[..., 0], map_xy[..., 1], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round((poly - [x0, y0]) * 16).astype(np.int32)], 255, lineType=cv2.LINE_8, shift=4)
        t = np.clip(cv2.distanceTransform(mask, cv2.DIST_L2, 3) / self.feather_px, 0.0, 1.0)
        alpha = (opacity * t * t * (3 - 2 * t))[..., None]
        cur = crop[region].astype(np.float32)
        band = (alpha[..., 0] > 0.05 * opacity) & (alpha[..., 0] < 0.95 * opacity)
        if band.sum() >= 8:                                  # colour match on the feather band
            smp = match_colour(smp, cur, band)
        crop[region] = np.clip(smp * alpha + cur * (1.0 - alpha) + 0.5, 0, 255).astype(np.uint8)
        return region

    def lips_target(self, target_px: np.ndarray, k: int) -> np.ndarray:
        """target_px with its lip lines replaced by sample k's own, moved by the affine map that best fits
        them to the target's: the sample keeps its real shape (a lens-shaped opening, teeth to the
        corners) at the target's place, size and opening; only the middle of the inner lip line, where
        the opening is measured, stays exactly on the target (the rig's wide-open shape is boxier than a
        real mouth, and forcing it onto a sample stretches its corner teeth into fangs)."""
        b = self.bank
        lips = list(mesh.LIPS_OUTER) + list(mesh.LIPS_INNER)
        src = np.concatenate([b.landmarks[k][lips], np.ones((len(lips), 1), np.float32)], 1)
        affine, *_ = np.linalg.lstsq(src, target_px[lips], rcond=None)
        left, right = target_px[mesh.MOUTH_CORNER_RIGHT], target_px[mesh.MOUTH_CORNER_LEFT]
        axis = right - left
        u = ((target_px[lips] - 0.5 * (left + right)) @ axis) / max(float(axis @ axis) * 0.5, 1e-6)
        exact = np.clip(1.0 - np.abs(u), 0.0, 1.0) ** INNER_EXACT_POWER
        exact[:len(mesh.LIPS_OUTER)] = 0.0
        out = target_px.copy()
        out[lips] = exact[:, None] * target_px[lips] + (1.0 - exact[:, None]) * (src @ affine)
        return out

    def _controls(self, target_px: np.ndarray, sample_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The spline's control points (target, sample). Where the target's lips meet (a closed mouth), each
        inner-lip pair becomes one point at its middle: two sample points cannot go to one place smoothly."""
        up, lo = np.array(mesh.LIPS_INNER_UPPER[1:-1]), np.array(mesh.LIPS_INNER_LOWER[1:-1])
        closed = np.linalg.norm(target_px[up] - target_px[lo], axis=1) < CLOSED_PX
        drop = set(up[closed].tolist()) | set(lo[closed].tolist())
        keep = np.array([i for i in self.controls if int(i) not in drop], np.int64)
        dst = np.concatenate([target_px[keep], 0.5 * (target_px[up[closed]] + target_px[lo[closed]])])
        src = np.concatenate([sample_px[keep], 0.5 * (sample_px[up[closed]] + sample_px[lo[closed]])])
        return dst, src

    def gap_eye(self, k: int) -> float:
        """The middle inner-lip gap of sample k, per eye distance."""
        return float(self.bank.shapes[k, MID_GAP])


def match_colour(smp: np.ndarray, cur: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """`smp` (h, w, 3 float32 RGB) with its colour moved onto `cur`'s: Lab mean and spread per channel
    matched on the ring of pixels where the two are blended (issue 17: a mean offset alone left a light
    halo and over-red lips on a low-contrast clip). Bounded, so a sample is never recoloured wholesale."""
    # float Lab (L 0..100, a/b about -128..127) is converted directly: no uint8 round trips
    s_lab = cv2.cvtColor(smp * np.float32(1 / 255), cv2.COLOR_RGB2LAB)
    c_ring = cv2.cvtColor(cur[ring][None] * np.float32(1 / 255), cv2.COLOR_RGB2LAB)[0]   # the ring only
    s_ring = s_lab[ring]
    mu_s, mu_c = s_ring.mean(axis=0), c_ring.mean(axis=0)
    gain = np.clip(c_ring.std(axis=0) / np.maximum(s_ring.std(axis=0), 0.4), *COLOUR_GAIN_RANGE)
    lim = MAX_COLOUR_SHIFT * np.float32([100 / 255, 1.0, 1.0])       # the limit in grey levels, on L's scale
    shift = np.clip(mu_c - mu_s, -lim, lim)
    out = cv2.cvtColor((s_lab - mu_s) * gain + (mu_s + shift), cv2.COLOR_LAB2RGB)
    return np.clip(out * np.float32(255), 0, 255)


def _thin_plate(dst: np.ndarray, src: np.ndarray, x0: int, y0: int, x1: int, y1: int, unit: float) -> np.ndarray:
    """(y1-y0, x1-x0, 2) float32 map: for each pixel of the box, where the thin-plate spline through
    dst → src (N, 2 points) sends it. Coordinates are scaled by `unit` (an eye distance) for conditioning;
    TPS_SMOOTH relaxes the fit a little (the samples' landmarks are measured, so they are noisy)."""
    c = dst.astype(np.float64) / unit
    n = len(c)
    d2 = ((c[:, None] - c[None]) ** 2).sum(-1)
    a = np.zeros((n + 3, n + 3))
    a[:n, :n] = 0.5 * d2 * np.log(d2 + 1e-12) + TPS_SMOOTH * np.eye(n)
    a[:n, n] = a[n, :n] = 1.0
    a[:n, n + 1:] = c
    a[n + 1:, :n] = c.T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = src
    coef = np.linalg.solve(a, rhs)
    # the spline is smooth: evaluate it every TPS_STEP_PX pixels and interpolate in between
    nx, ny = -(-(x1 - x0 - 1) // TPS_STEP_PX) + 1, -(-(y1 - y0 - 1) // TPS_STEP_PX) + 1
    gx, gy = np.meshgrid((x0 + TPS_STEP_PX * np.arange(nx)) / unit, (y0 + TPS_STEP_PX * np.arange(ny)) / unit)
    g = np.stack([gx.ravel(), gy.ravel()], 1)
    # squared distances as |g|² + |c|² - 2 g·c: one matrix product, no (nodes, n, 2) temporary (the bench's
    # profile of a clip render had this spline at a quarter of the face's time)
    g2 = np.maximum((g * g).sum(1)[:, None] + (c * c).sum(1)[None] - 2.0 * (g @ c.T), 0.0)
    coarse = ((0.5 * g2 * np.log(g2 + 1e-12)) @ coef[:n] + coef[n] + g @ coef[n + 1:]).reshape(ny, nx, 2)
    wy, wx = _linear_weights(y1 - y0, ny), _linear_weights(x1 - x0, nx)
    rows = (wy @ coarse.reshape(ny, nx * 2)).reshape(-1, nx, 2).transpose(0, 2, 1)    # (h, 2, nx)
    return np.ascontiguousarray((rows @ wx.T).transpose(0, 2, 1), np.float32)       # (h, w, 2)


def _linear_weights(n_px: int, n_nodes: int) -> np.ndarray:
    """(n_px, n_nodes) weights of linear interpolation from nodes every TPS_STEP_PX pixels (node 0 at pixel 0)."""
    pos = np.arange(n_px) / TPS_STEP_PX
    j = np.minimum(np.floor(pos).astype(int), max(n_nodes - 2, 0))
    t = pos - j
    w = np.zeros((n_px, n_nodes))
    w[np.arange(n_px), j] = 1.0 - t
    if n_nodes > 1:
        w[np.arange(n_px), j + 1] += t
    return w
