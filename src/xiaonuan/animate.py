"""animate(): an avatar talks, blinks and moves following a MotionTrack.

A portrait gets everything from the track: lips, blinks, brows, head pose (its idle motion).
A recorded clip keeps its own life: frames follow the pack's loop plan (loop.py, read streaming by
clip.ClipReader), its own head motion and blinks stay, and MotionTrack.head_pose_deg, eye_open and
brow_raise are ignored. Only the lips move: the blend shapes are built once on the clip's neutral
frame, with the clip's own mouth as rest, and per frame they are rotated and scaled onto that
frame's (temporally smoothed) landmarks; the warp runs on a crop box that follows the face and never
moves points above the nose base. jaw_open means the same lip gap as on a portrait, so a clip whose
rest mouth is parted (sun.mp4 smiles with her teeth showing) closes its lips below that opening
(pauses, p/b/m) and opens beyond it. A clip whose presenter talks (its mouth moves: enrol.py) has its
own mouth replaced instead: the lips' target is absolute (the rig's closed rest mouth plus the track's
shape, carried onto the frame by the similarity fit) and the mouth's pixels come from the clip's own
samples (face/samples.py). Frames without a face are passed through untouched.

Each motion parameter is a blend shape: a displacement of the 478 landmarks at full strength, set
by hand on a few driving landmarks (lips, chin, lids, brows) and spread smoothly over the rest of
the face by harmonic interpolation on the face mesh (no edges cross the mouth or the eyes, so upper
and lower lips move independently). Per frame: target landmarks = closed-mouth base + Σ weight ×
shape, then piecewise-affine warp of the face crop, mouth interior, feathered blend, head pose.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from xiaonuan.avatar.pack import Avatar
from xiaonuan.face import mesh
from xiaonuan.face.blend import blend_crop, feather_mask
from xiaonuan.face.mouth import MouthStyle, fill_mouth, mouth_style, teeth_from_samples
from xiaonuan.face.mouth_ratio import MouthShapeLog, widen_on_open, width_per_gap
from xiaonuan.face.seam import compensated_fade
from xiaonuan.face.track import own_jaw_gap_eye
from xiaonuan.face.warp import CropBox, PiecewiseAffineWarper, WarpMesh, build_warp_mesh
from xiaonuan.motion.track import MotionFrame, MotionTrack
from xiaonuan.types import Frame, Landmarks
from xiaonuan.avatar.loop import calmness_cost, plan_steps
from xiaonuan.avatar.reader import ClipReader
from xiaonuan.face.samples import choose_samples, mouth_shape, SampleMouth
from xiaonuan.fonts import load_font

# Strengths at parameter value 1, in eye distances (outer eye corners ≈ 9 cm on an adult).
LIP_GAP_MAX = 0.28          # inner-lip gap at jaw_open = 1
# A talking clip's own range (issue #16): face.track.own_jaw_gap_eye replaces it with the presenter's own.
CHIN_DROP_SHARE = 0.7       # the chin drops this share of the lower lip's drop
CORNER_DROP_SHARE = 0.2     # mouth corners drop this share of the lower lip's drop
CORNER_IN_ON_OPEN = 0.02    # corners move in when the jaw opens wide (then widen_on_open)
LIP_SPREAD = 0.075          # each corner moves out by this at lip_width = 1 (in at -1)
ROUND_NARROW = 0.30         # lip_round = 1 narrows the mouth by this share of its width
ROUND_EVERT = 0.03          # ... and turns the lips out (more red shows) by this much
PRESS_THIN = 0.25           # lip_press = 1 thins each lip by this share of its thickness
SMILE_OUT, SMILE_UP = 0.035, 0.05   # corner movement at smile = 1
BROW_LIFT = 0.07            # brow movement at brow_raise = 1
LID_MEET = 0.2              # closed lids meet this far up from the lower lid (upper lid does most of the work)
CLOSE_OUTER_SHARE = 0.4     # closing parted source lips moves the outer lip line this share of the inner one
# Falloff of each shape beyond its driving points (eye distances); further points stay still.
MOUTH_REACH, EYE_REACH, BROW_REACH = 0.45, 0.33, 0.5
# Head pose: a similarity transform of the whole frame.
NECK_BELOW_CHIN = 0.5       # roll pivot, below the chin (eye distances)
YAW_SHIFT_PER_DEG = 0.012   # horizontal shift per degree of yaw (eye distances)
PITCH_SHIFT_PER_DEG = 0.010  # vertical shift per degree of pitch (eye distances)
POSE_EPS_DEG = 1e-3
FACE_STILL_PX = 0.1         # no landmark moved more than this since the face was drawn: it is not redrawn
                            # (pauses, slow drifts: about a fifth of a talk's frames; issue #7)
BREATH_LIFT = 0.02          # breath = 1 lifts the neck by this (eye distances) ...
BREATH_BOTTOM_SHARE = 0.5   # ... and the frame's bottom edge by this share of it (the chest rises less)


@dataclass(frozen=True, eq=False)
class FaceRig:
    """Everything animate() derives once from an avatar: base shape, blend shapes, warp mesh."""

    base: Landmarks                    # (478, 2) frame px: the avatar with its lips closed
    shapes: dict[str, np.ndarray]      # name → (478, 2) px displacement at weight 1
    warp_mesh: WarpMesh
    mouth: MouthStyle
    eye_px: float
    rest_jaw: float = 0.0              # the rest mouth's own lip gap, in jaw_open units (clips; 0 = closed)
    jaw_gap_eye: float = LIP_GAP_MAX   # inner-lip gap at jaw_open = 1 (eye distances): the person's own on a talking clip


def animate(avatar: Avatar, motion: MotionTrack, seed: int = 0, pose: bool = True,
            shape_log: MouthShapeLog | None = None) -> Iterator[Frame]:
    """Yield one RGB frame (avatar size) per motion frame.

    The same buffer is yielded every time and overwritten by the next frame: copy a frame to keep
    it, and do not change it. pose=False leaves a portrait's head pose and breathing out, for a
    caller that applies pose_matrices(avatar, motion) itself (the compositor folds it into the
    resampling that places the presenter, issue #7); a clip has no generated pose either way.
    `seed` is accepted for pipeline symmetry; the output depends only on avatar and motion.
    `shape_log` collects each face frame's lips as placed (the open mouth's shape check, #17).
    """
    del seed
    if avatar.is_clip:
        yield from _animate_clip(avatar, motion, shape_log)
        return
    yield from _animate_portrait(avatar, motion, pose, shape_log)


def _animate_portrait(avatar: Avatar, motion: MotionTrack, pose: bool,
                      shape_log: MouthShapeLog | None = None) -> Iterator[Frame]:
    """A still portrait driven by the whole track: lips, lids, brows, then (pose=True) head pose."""
    rig = build_rig(avatar)
    box = rig.warp_mesh.box
    ys, xs = box.slices
    src_crop = np.ascontiguousarray(avatar.image[ys, xs])
    crop = src_crop.copy()
    warper = PiecewiseAffineWarper(rig.warp_mesh)
    feather = feather_mask(box.width_px, box.height_px)
    frame = avatar.image.copy()
    posed = np.empty_like(frame)
    anchors = rig.warp_mesh.points_px[mesh.N_LANDMARKS:]
    offset = np.array([box.x0, box.y0], np.float32)
    upper, lower = list(mesh.LIPS_INNER_UPPER), list(mesh.LIPS_INNER_LOWER)
    shown = None                        # the target landmarks the frame's face shows now
    moves = pose_matrices(avatar, motion) if pose else itertools.repeat(None)
    for i, m in zip(range(motion.n_frames), moves):
        target = target_landmarks(rig, motion.frame(i)) - offset
        if shape_log is not None:
            shape_log.add(target)
        if shown is None or np.abs(target - shown).max() > FACE_STILL_PX:   # else the face stays (#7)
            crop[...] = src_crop
            region = warper.warp(src_crop, np.concatenate([target, anchors]), crop)
            mouth_region = fill_mouth(crop, target[upper], target[lower], rig.eye_px, rig.mouth)
            blend_crop(frame, crop, src_crop, box, feather, _union(region, mouth_region))
            shown = target
        yield _apply_pose(frame, posed, m) if pose else frame


def target_landmarks(rig: FaceRig, mf: MotionFrame) -> Landmarks:
    """Where the 478 landmarks go for one frame's parameters (frame px)."""
    press = float(np.clip(mf.lip_press, 0, 1))
    weights = {
        "jaw": float(np.clip(mf.jaw_open, 0, 1)) * (1.0 - press),
        "press": press,
        "width": float(np.clip(mf.lip_width, -1, 1)),
        "round": float(np.clip(mf.lip_round, 0, 1)),
        "smile": float(np.clip(mf.smile, -1, 1)),      # negative: corners down (serious)
        "blink": 1.0 - float(np.clip(mf.eye_open, 0, 1)),
        "brow": float(np.clip(mf.brow_raise, -1, 1)),  # negative: brows lowered
    }
    return _add_shapes(rig.base.copy(), rig, weights)


def _add_shapes(out: np.ndarray, rig: FaceRig, weights: dict[str, float]) -> np.ndarray:
    """`out` (478, 2) plus each named blend shape of `rig` times its weight (in place; returned)."""
    for name, w in weights.items():
        if w != 0.0:
            out += w * rig.shapes[name]
    return out


def build_rig(avatar: Avatar, close: bool = True) -> FaceRig:
    """Blend shapes and warp mesh for one avatar (~50 ms; done once per animate call).

    close=False keeps the avatar's own mouth as the rest shape (recorded clips); lip_press then
    brings the lips together from there.
    """
    src = avatar.landmarks.astype(np.float32)
    eye = mesh.eye_distance_px(src)
    graph = _MeshGraph(src)
    axes = _FaceAxes(src, eye)
    closing = _close_shape(src, axes, graph)
    base = src + closing if close else src.copy()
    axes = _FaceAxes(base, eye)
    shapes = {
        "jaw": _jaw_shape(base, axes, graph),
        "press": _press_shape(base, axes, graph),
        "width": _mouth_scale_shape(base, axes, graph, LIP_SPREAD / _half_width_eye(axes)),
        "round": _round_shape(base, axes, graph),
        "smile": _smile_shape(base, axes, graph),
        "blink": _blink_shape(base, axes, graph),
        "brow": _brow_shape(base, axes, graph),
    }
    rest_jaw, jaw_gap = 0.0, LIP_GAP_MAX
    if not close:
        shapes["press"] = closing + _press_shape(base + closing, axes, graph)
        shapes["close"] = closing
        jaw_gap = own_jaw_gap_eye(avatar.clip, LIP_GAP_MAX) or LIP_GAP_MAX
        shapes["jaw"] = shapes["jaw"] * (jaw_gap / LIP_GAP_MAX)
        gap = float(np.linalg.norm(src[mesh.INNER_LIP_TOP] - src[mesh.INNER_LIP_BOTTOM])) / eye
        rest_jaw = float(np.clip(gap / jaw_gap, 0.0, 1.0))
    talks = avatar.clip is not None and avatar.clip.talking
    # the mouth widens as it opens, as the presenter's own does (a talking clip) or a real talker's (#17)
    shapes["jaw"] = widen_on_open(base, shapes["jaw"], shapes["width"],
                                  width_per_gap(avatar.clip.raw, avatar.clip.found) if talks else width_per_gap())
    return FaceRig(base=base, shapes=shapes, warp_mesh=build_warp_mesh(src, avatar.size),
                   mouth=mouth_style(avatar.image, src), eye_px=eye, rest_jaw=rest_jaw, jaw_gap_eye=jaw_gap)


# --------------------------------------------------------------------------- geometry helpers

class _FaceAxes:
    """The face's frame: `right` along the eye line, `down` across it, origin at the mouth centre."""

    def __init__(self, lm: Landmarks, eye_px: float) -> None:
        r = lm[mesh.LEFT_EYE_OUTER] - lm[mesh.RIGHT_EYE_OUTER]
        self.right = (r / np.linalg.norm(r)).astype(np.float32)
        self.down = np.array([-self.right[1], self.right[0]], np.float32)
        self.eye = eye_px
        self.centre = 0.5 * (lm[mesh.MOUTH_CORNER_RIGHT] + lm[mesh.MOUTH_CORNER_LEFT])
        rel = lm - self.centre
        self.u = rel @ self.right                      # px, along the eye line
        self.v = rel @ self.down                       # px, downwards
        self.half_w = 0.5 * float(self.u[mesh.MOUTH_CORNER_LEFT] - self.u[mesh.MOUTH_CORNER_RIGHT])
        self.lm = lm

    def u_rel(self, idx) -> np.ndarray:
        """Position across the mouth: -1 at the image-left corner, +1 at the right one."""
        return np.clip(self.u[idx] / self.half_w, -1.0, 1.0)

    def vec(self, along_right, along_down) -> np.ndarray:
        """(n, 2) px vectors from components along the face's axes."""
        r = np.asarray(along_right, np.float32).reshape(-1, 1)
        d = np.asarray(along_down, np.float32).reshape(-1, 1)
        return r * self.right + d * self.down


def _half_width_eye(axes: _FaceAxes) -> float:
    return axes.half_w / axes.eye


def _arch(u_rel: np.ndarray) -> np.ndarray:
    """1 at the mouth's middle, 0 at its corners: the shape of an opening mouth."""
    return np.sqrt(np.clip(1.0 - u_rel ** 2, 0.0, 1.0))


class _MeshGraph:
    """Face-mesh graph with inverse-length edge weights, for harmonic spreading of displacements."""

    def __init__(self, lm: Landmarks) -> None:
        n = mesh.N_MESH_POINTS
        e = mesh.mesh_edges()
        p = lm[:n].astype(np.float64)
        wts = 1.0 / np.maximum(np.linalg.norm(p[e[:, 0]] - p[e[:, 1]], axis=1), 1e-3)
        lap = np.zeros((n, n))
        np.add.at(lap, (e[:, 0], e[:, 1]), -wts)
        np.add.at(lap, (e[:, 1], e[:, 0]), -wts)
        lap[np.diag_indices(n)] = -lap.sum(axis=1)
        self.lap = lap
        self.points = p
        self.upper_lip, self.lower_lip = _lip_members(lm)

    def spread(self, known: dict[int, np.ndarray], reach_px: float, pinned: np.ndarray | None = None) -> np.ndarray:
        """(478, 2) displacement: `known` where given, harmonic in between, zero beyond reach of them."""
        n = mesh.N_MESH_POINTS
        x = np.zeros((n, 2))
        fixed = np.zeros(n, bool)
        idx = np.array(sorted(known), dtype=np.int64)
        x[idx] = np.array([known[i] for i in idx])
        fixed[idx] = True
        dist = np.min(np.linalg.norm(self.points[:, None] - self.points[idx][None], axis=2), axis=1)
        fixed |= dist > reach_px
        if pinned is not None:
            fixed |= pinned[:n] & ~np.isin(np.arange(n), idx)
        free = ~fixed
        if free.any():
            a = self.lap[np.ix_(free, free)] + 1e-9 * np.eye(int(free.sum()))
            x[free] = np.linalg.solve(a, -self.lap[np.ix_(free, fixed)] @ x[fixed])
        out = np.zeros((mesh.N_LANDMARKS, 2), np.float32)
        out[:n] = x
        return out


def _lip_members(lm: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    """Indices of mesh points on the upper and on the lower lip (between outer and inner contours)."""
    def inside(contour_a, contour_b):
        poly = np.concatenate([lm[list(contour_a)], lm[list(contour_b)][::-1]]).reshape(-1, 1, 2)
        return np.array([i for i in range(mesh.N_MESH_POINTS)
                         if cv2.pointPolygonTest(poly, (float(lm[i, 0]), float(lm[i, 1])), True) > -0.75])
    corners = {mesh.MOUTH_CORNER_RIGHT, mesh.MOUTH_CORNER_LEFT, mesh.INNER_CORNER_RIGHT, mesh.INNER_CORNER_LEFT}
    up = [i for i in inside(mesh.LIPS_OUTER_UPPER, mesh.LIPS_INNER_UPPER) if i not in corners]
    lo = [i for i in inside(mesh.LIPS_OUTER_LOWER, mesh.LIPS_INNER_LOWER) if i not in corners and i not in up]
    # the named contours decide for their own points: with closed lips (a talking clip's neutral frame)
    # the inner contours coincide and the polygon test alone would give the lower one to the upper lip
    upper_contours = set(mesh.LIPS_OUTER_UPPER[1:-1]) | set(mesh.LIPS_INNER_UPPER[1:-1])
    lower_contours = set(mesh.LIPS_OUTER_LOWER[1:-1]) | set(mesh.LIPS_INNER_LOWER[1:-1])
    up = sorted((set(up) - lower_contours) | upper_contours)
    lo = sorted((set(lo) - set(up)) | lower_contours)
    return np.array(up), np.array(lo)


_CORNERS = (mesh.MOUTH_CORNER_RIGHT, mesh.MOUTH_CORNER_LEFT, mesh.INNER_CORNER_RIGHT, mesh.INNER_CORNER_LEFT)


def _interp_along(axes: _FaceAxes, idx, contour, values: np.ndarray) -> np.ndarray:
    """Values given on a corner-to-corner contour, read at the u positions of points idx."""
    cu = axes.u[list(contour)]
    order = np.argsort(cu)
    return np.stack([np.interp(axes.u[idx], cu[order], values[order, k]) for k in range(values.shape[1])], 1)


# --------------------------------------------------------------------------- blend shapes

def _close_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """Bring parted source lips together at their mid-line (zero for a portrait with closed lips)."""
    up, lo = np.array(mesh.LIPS_INNER_UPPER), np.array(mesh.LIPS_INNER_LOWER)
    mid = 0.5 * (lm[up] + lm[lo])
    known = {int(i): mid[k] - lm[i] for k, i in enumerate(up)}
    known |= {int(i): mid[k] - lm[i] for k, i in enumerate(lo)}
    for outer, inner in ((mesh.LIPS_OUTER_UPPER, up), (mesh.LIPS_OUTER_LOWER, lo)):
        move = CLOSE_OUTER_SHARE * (mid - lm[inner])
        d = _interp_along(axes, list(outer), tuple(int(i) for i in inner), move)
        known |= {int(i): d[k] for k, i in enumerate(outer)}
    for c in _CORNERS:
        known[c] = np.zeros(2)
    return g.spread(known, MOUTH_REACH * axes.eye)


def _jaw_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """jaw_open = 1: the lower lip drops in an arch, the chin and jaw line follow, the corners a little."""
    drop = LIP_GAP_MAX * axes.eye
    lower = g.lower_lip
    known = {int(i): d for i, d in zip(lower, axes.vec(0, drop * (CORNER_DROP_SHARE + (1 - CORNER_DROP_SHARE)
                                                                   * _arch(axes.u_rel(lower)))))}
    known |= {int(i): np.zeros(2) for i in g.upper_lip}
    for c in _CORNERS:
        known[c] = axes.vec(-np.sign(axes.u[c]) * CORNER_IN_ON_OPEN * axes.eye, CORNER_DROP_SHARE * drop)[0]
    jaw = np.array(mesh.JAW)
    v_top, v_chin = axes.v[mesh.NOSE_BOTTOM], axes.v[mesh.CHIN]
    t = np.clip((axes.v[jaw] - v_top) / (v_chin - v_top), 0, 1)
    follow = t * t * (3 - 2 * t)
    known |= {int(i): d for i, d in zip(jaw, axes.vec(0, CHIN_DROP_SHARE * drop * follow))}
    above_mouth = axes.v < axes.v[mesh.NOSE_BOTTOM]
    return g.spread(known, 10 * axes.eye, pinned=above_mouth)


def _lips(g: _MeshGraph) -> np.ndarray:
    return np.concatenate([g.upper_lip, g.lower_lip, np.array(_CORNERS)])


def _mouth_scale_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph, share: float) -> np.ndarray:
    """Lips stretched along the mouth axis by `share` of their half-width (corners move most)."""
    lips = _lips(g)
    known = {int(i): d for i, d in zip(lips, axes.vec(share * axes.u[lips], 0))}
    return g.spread(known, MOUTH_REACH * axes.eye)


def _round_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """lip_round = 1: mouth narrower, lips turned out (outer contours move away from the lip line)."""
    d = _mouth_scale_shape(lm, axes, g, -ROUND_NARROW)
    known = {int(i): d[i] for i in _lips(g)}
    for contour, sign in ((mesh.LIPS_OUTER_UPPER[1:-1], -1.0), (mesh.LIPS_OUTER_LOWER[1:-1], 1.0)):
        idx = list(contour)
        ev = axes.vec(0, sign * ROUND_EVERT * axes.eye * _arch(axes.u_rel(idx)))
        for k, i in enumerate(idx):
            known[i] = d[i] + ev[k]
    return g.spread(known, MOUTH_REACH * axes.eye)


def _press_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """lip_press = 1: both lips thinned towards the closed lip line."""
    known = {int(i): np.zeros(2) for i in mesh.LIPS_INNER_UPPER + mesh.LIPS_INNER_LOWER}
    for outer, inner in ((mesh.LIPS_OUTER_UPPER, mesh.LIPS_INNER_UPPER), (mesh.LIPS_OUTER_LOWER, mesh.LIPS_INNER_LOWER)):
        move = PRESS_THIN * (lm[list(inner)] - lm[list(outer)])
        known |= {int(i): move[k] for k, i in enumerate(outer)}
    return g.spread(known, MOUTH_REACH * axes.eye)


def _smile_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """smile = 1: corners out and up, the lips following in proportion to their distance from the middle."""
    lips = _lips(g)
    r = axes.u_rel(lips)
    d = axes.vec(SMILE_OUT * axes.eye * r, -SMILE_UP * axes.eye * r ** 2)
    return g.spread({int(i): d[k] for k, i in enumerate(lips)}, MOUTH_REACH * 1.3 * axes.eye)


def _blink_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """eye_open = 0: on both eyes the upper lid comes down onto the (slightly raised) lower lid."""
    known: dict[int, np.ndarray] = {}
    for upper, lower, corners in ((mesh.RIGHT_EYE_UPPER, mesh.RIGHT_EYE_LOWER, (mesh.RIGHT_EYE_OUTER, mesh.RIGHT_EYE_INNER)),
                                  (mesh.LEFT_EYE_UPPER, mesh.LEFT_EYE_LOWER, (mesh.LEFT_EYE_INNER, mesh.LEFT_EYE_OUTER))):
        meet = lm[list(lower)] + LID_MEET * (lm[list(upper)] - lm[list(lower)])
        known |= {int(i): meet[k] - lm[i] for k, i in enumerate(upper)}
        known |= {int(i): meet[k] - lm[i] for k, i in enumerate(lower)}
        known |= {int(c): np.zeros(2) for c in corners}
    known |= {int(i): np.zeros(2) for i in mesh.BROWS}
    return g.spread(known, EYE_REACH * axes.eye)


def _brow_shape(lm: Landmarks, axes: _FaceAxes, g: _MeshGraph) -> np.ndarray:
    """brow_raise = 1: brows lift, the forehead and upper lids stretch; the eyes themselves stay."""
    known = {int(i): axes.vec(0, -BROW_LIFT * axes.eye)[0] for i in mesh.BROWS}
    eyes = (mesh.RIGHT_EYE_UPPER + mesh.RIGHT_EYE_LOWER + mesh.LEFT_EYE_UPPER + mesh.LEFT_EYE_LOWER
            + (mesh.RIGHT_EYE_OUTER, mesh.RIGHT_EYE_INNER, mesh.LEFT_EYE_INNER, mesh.LEFT_EYE_OUTER))
    known |= {int(i): np.zeros(2) for i in eyes}
    return g.spread(known, BROW_REACH * axes.eye)


# --------------------------------------------------------------------------- per-frame helpers

def _union(a: tuple[slice, slice] | None, b: tuple[slice, slice] | None) -> tuple[slice, slice] | None:
    """The bounding region of two crop regions (None = empty)."""
    if a is None or b is None:
        return a if b is None else b
    return (slice(min(a[0].start, b[0].start), max(a[0].stop, b[0].stop)),
            slice(min(a[1].start, b[1].start), max(a[1].stop, b[1].stop)))


def _apply_pose(frame: Frame, out: Frame, m: np.ndarray | None) -> Frame:
    """Small head motion: the whole frame moved by a pose_matrix (written to `out`; None: `frame` as it is)."""
    if m is None:
        return frame
    h, w = frame.shape[:2]
    cv2.warpAffine(frame, m, (w, h), dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    return out


def pose_matrix(neck_px: tuple[float, float], eye_px: float, height_px: int,
                pose_deg: tuple[float, float, float], breath: float = 0.0) -> np.ndarray | None:
    """The 2x3 whole-frame transform of a portrait frame (None: identity). Breathing lifts the frame,
    the neck by BREATH_LIFT·breath eye distances, the bottom edge less (a slight vertical stretch)."""
    yaw, pitch, roll = pose_deg
    if max(abs(yaw), abs(pitch), abs(roll)) < POSE_EPS_DEG and abs(breath) < POSE_EPS_DEG:
        return None
    m = cv2.getRotationMatrix2D(neck_px, roll, 1.0)
    m[0, 2] += YAW_SHIFT_PER_DEG * yaw * eye_px
    m[1, 2] += PITCH_SHIFT_PER_DEG * pitch * eye_px
    lift = BREATH_LIFT * breath * eye_px
    k = (1.0 - BREATH_BOTTOM_SHARE) * lift / max(height_px - neck_px[1], 1.0)
    m[1] *= 1.0 + k                 # y' = (1 + k)·y − lift − k·neck: the neck rises by lift
    m[1, 2] -= lift + k * neck_px[1]
    return m


def pose_matrices(avatar: Avatar, motion: MotionTrack) -> Iterator[np.ndarray | None]:
    """The transform animate() applies to each portrait frame (the same matrices), for whoever moves the
    frame or a layer with it: the compositor when animate(pose=False), the matte (matte.py).

    The pivot comes from the measured landmarks, not the rig's closed-mouth base (no rig to build).
    """
    lm = avatar.landmarks.astype(np.float32)
    eye = mesh.eye_distance_px(lm)
    chin = lm[mesh.CHIN] + _FaceAxes(lm, eye).down * NECK_BELOW_CHIN * eye
    for i in range(motion.n_frames):
        yield pose_matrix((float(chin[0]), float(chin[1])), eye, avatar.size[1],
                          tuple(float(v) for v in motion.head_pose_deg[i]), float(motion.breath[i]))


# --------------------------------------------------------------------------- recorded clips

STABLE_POINTS = (mesh.RIGHT_EYE_OUTER, mesh.RIGHT_EYE_INNER, mesh.LEFT_EYE_INNER, mesh.LEFT_EYE_OUTER,
                 *mesh.NOSE_BRIDGE, 10, 151, 234, 454)     # rigid points: how the head sits in a frame
INTERIOR_FADE_EYE = 0.06    # the drawn mouth interior fades in over this much extra opening (eye distances)
SWITCH_OPACITY = 0.5        # a talking clip's new mouth sample shows at this opacity over the old one for a frame ...
DISSOLVE_MAX_GAP = 0.04     # ... when their inner-lip gaps differ by less than this (eye distances); else it cuts
SAMPLE_STRETCH_EYE = 0.05   # a mouth sample is opened this much further (eye distances) before the drawing fades in


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x2 rotation·scale that best maps centred src points onto centred dst points (Umeyama, no reflection)."""
    a = src - src.mean(0)
    b = dst - dst.mean(0)
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    r = u @ np.diag([1.0, d]) @ vt
    scale = (sig * np.array([1.0, d])).sum() / max(float((a ** 2).sum()), 1e-9)
    return (scale * r).astype(np.float32)


MIN_OWN_BLINKS_PER_MIN = 4.0   # a clip that blinks less than this gets the motion track's blinks


def clip_blinks_per_min(clip) -> float:
    """Eyelid closures per minute in the clip's own landmark track (as avsync counts them)."""
    lm = clip.raw[clip.found]
    if len(lm) < 2:
        return 0.0
    lids = np.linalg.norm(lm[:, 159] - lm[:, 145], axis=1) / np.maximum(
        np.linalg.norm(lm[:, mesh.RIGHT_EYE_OUTER] - lm[:, mesh.RIGHT_EYE_INNER], axis=1), 1e-6)
    closed = (lids < 0.55 * np.median(lids)).astype(np.int8)
    runs = int((np.diff(np.concatenate([[0], closed])) == 1).sum())
    return 60.0 * runs * clip.fps / len(lm)


def _clip_weights(mf: MotionFrame, blinks: bool = False, rest_jaw: float = 0.0) -> dict[str, float]:
    """Blend-shape weights on a clip. jaw_open means the same lip gap as on a portrait: a clip whose rest
    mouth is parted (rest_jaw > 0) closes its lips below that opening (pauses, p/b/m) and opens beyond it."""
    press = float(np.clip(mf.lip_press, 0, 1))
    extra = {"blink": 1.0 - float(np.clip(mf.eye_open, 0, 1))} if blinks else {}
    jaw = float(np.clip(mf.jaw_open, 0, 1)) * (1.0 - press)
    if rest_jaw > 0:
        extra["close"] = (1.0 - press) * float(np.clip(1.0 - jaw / rest_jaw, 0.0, 1.0))
        jaw = max(jaw - rest_jaw, 0.0)
    return {**extra, "jaw": jaw, "press": press,
            "width": float(np.clip(mf.lip_width, -1, 1)), "round": float(np.clip(mf.lip_round, 0, 1)),
            "smile": float(np.clip(mf.smile, -1, 1))}


def _animate_clip(avatar: Avatar, motion: MotionTrack, shape_log: MouthShapeLog | None = None) -> Iterator[Frame]:
    clip = avatar.clip
    lips = _ClipLips(avatar, motion)
    lips.shape_log = shape_log
    steps = plan_steps(avatar.loop, motion.n_frames, calmness_cost(clip.landmarks, clip.found))
    w, h = avatar.size
    frame = np.empty((h, w, 3), np.uint8)
    reader_a = ClipReader(clip.video, avatar.size, clip.fps)
    reader_b = ClipReader(clip.video, avatar.size, clip.fps)
    try:
        for i, st in enumerate(steps):
            if st.w_b > 0:
                has_face = bool(clip.found[st.a] and clip.found[st.b])
                if has_face:      # both faces moved onto the landmarks between them: no double face (#17)
                    # the raw landmarks fit the pixels; the smoothed ones (blended) drive the lips
                    compensated_fade(reader_a.frame(st.a), reader_b.frame(st.b), clip.raw[st.a], clip.raw[st.b],
                                     st.w_b, frame)
                    lm = (1.0 - st.w_b) * clip.landmarks[st.a] + st.w_b * clip.landmarks[st.b]
                else:
                    cv2.addWeighted(reader_a.frame(st.a), 1.0 - st.w_b, reader_b.frame(st.b), st.w_b, 0.0, dst=frame)
                    lm = (1.0 - st.w_b) * clip.landmarks[st.a] + st.w_b * clip.landmarks[st.b]
            else:
                np.copyto(frame, reader_a.frame(st.a))
                lm = clip.landmarks[st.a]
                has_face = bool(clip.found[st.a])
            if has_face:
                lips.move(frame, lm.astype(np.float32), i)
            yield frame
    finally:
        reader_a.close()
        reader_b.close()


def mouth_sample_frames(avatar: Avatar, motion: MotionTrack) -> np.ndarray | None:
    """Source frame of the mouth sample a talking clip shows in each output frame (None: the avatar has
    no mouth samples, and its mouth is moved and drawn instead)."""
    if not avatar.is_clip:
        return None
    lips = _ClipLips(avatar, motion)
    return None if lips.sampler is None else lips.sampler.bank.frames[lips.choice]


class _ClipLips:
    """Per-render state of a clip's lip-sync: the rig, warpers, buffers and, for a talking clip, its
    mouth samples and their choice for every output frame."""

    def __init__(self, avatar: Avatar, motion: MotionTrack) -> None:
        self.motion = motion
        self.rig = rig = build_rig(avatar, close=False)
        self.blinks = clip_blinks_per_min(avatar.clip) < MIN_OWN_BLINKS_PER_MIN   # a clip that never blinks gets the track's
        self.ref_stable = rig.base[list(STABLE_POINTS)]
        self.anchors = rig.warp_mesh.points_px[mesh.N_LANDMARKS:]
        self.warper = PiecewiseAffineWarper(rig.warp_mesh)
        self.feather = feather_mask(rig.warp_mesh.box.width_px, rig.warp_mesh.box.height_px)
        self.sampler = self.choice = self.abs_weight = None
        self.shape_log: MouthShapeLog | None = None
        bank = avatar.clip.mouth_bank() if avatar.clip.talking else None
        if bank is not None:
            teeth = teeth_from_samples(bank.patches, bank.landmarks - bank.origins[:, None], rig.eye_px)
            if teeth is not None:     # the drawn interior shows the presenter's own teeth (#17)
                self.rig = rig = dataclasses.replace(
                    rig, mouth=dataclasses.replace(rig.mouth, teeth_rgb=tuple(float(v) for v in teeth)))
            self.sampler = SampleMouth(bank, rig.warp_mesh.triangles, rig.base, rig.eye_px)
            self.abs_weight = _absolute_weight(rig)
            targets = np.array([mouth_shape(rig.base + self.displacement(motion.frame(i)))
                                for i in range(motion.n_frames)], np.float32).reshape(motion.n_frames, bank.shapes.shape[1])
            self.choice = choose_samples(bank.shapes, targets)
            self.neutral_gap_eye = float(mouth_shape(rig.base)[1])

    def displacement(self, mf: MotionFrame) -> np.ndarray:
        """(478, 2) displacement of the rig's base (neutral frame px) for one motion frame."""
        return _add_shapes(np.zeros_like(self.rig.base), self.rig, _clip_weights(mf, self.blinks, self.rig.rest_jaw))

    def move(self, frame: Frame, lm: Landmarks, i: int) -> None:
        """Warp one clip frame's lips (in place) to output frame i's target, transferred onto its landmarks."""
        rig = self.rig
        disp = self.displacement(self.motion.frame(i))
        if self.sampler is None and not np.any(np.abs(disp) > 1e-3):
            if self.shape_log is not None:
                self.shape_log.add(lm)
            return                                              # the clip's own mouth at rest: frame untouched
        m = _similarity(self.ref_stable, lm[list(STABLE_POINTS)])
        box = self._box(lm, frame.shape)
        off = np.array([box.x0, box.y0], np.float32)
        src_crop = np.ascontiguousarray(frame[box.slices])
        crop = src_crop.copy()
        local = lm - off
        target = local + disp @ m.T if self.sampler is None else self._talking_target(lm, disp, m) - off
        tgt = np.concatenate([target, self.anchors])
        region = self.warper.warp(src_crop, tgt, crop, src_px=np.concatenate([local, self.anchors]))
        if self.sampler is None:                                # the frame's own mouth, moved
            eye = rig.eye_px
            shown_gap = float(np.linalg.norm(local[mesh.INNER_LIP_TOP] - local[mesh.INNER_LIP_BOTTOM]))
        else:                                                   # a mouth sample, pasted
            eye = rig.eye_px * float(np.sqrt(abs(np.linalg.det(m))))
            pasted, tgt, shown_gap = self._paste_sample(crop, tgt, i, eye)
            region = _union(region, pasted)
        region = _union(region, self._interior(crop, tgt, shown_gap, eye))
        if self.shape_log is not None:
            self.shape_log.add(tgt)
        blend_crop(frame, crop, src_crop, box, self.feather, region)

    def _paste_sample(self, crop: Frame, tgt: np.ndarray, i: int, eye_px: float):
        """Paste output frame i's mouth sample onto the crop: (region changed, the target as the sample's lips
        reshaped it, the gap it shows in px plus what it can be stretched by)."""
        sampler = self.sampler
        k, before = int(self.choice[i]), int(self.choice[max(i - 1, 0)])
        dissolve = before != k and abs(sampler.gap_eye(k) - sampler.gap_eye(before)) < DISSOLVE_MAX_GAP
        region = None
        if dissolve:                  # a switch between like mouths dissolves over one frame (no pop of teeth, light)
            region = sampler.paste(crop, sampler.lips_target(tgt, before), before)
        tgt = sampler.lips_target(tgt, k)
        region = _union(region, sampler.paste(crop, tgt, k, SWITCH_OPACITY if dissolve else 1.0))
        return region, tgt, (sampler.gap_eye(k) + SAMPLE_STRETCH_EYE) * eye_px   # a real mouth stretches well

    def _talking_target(self, lm: Landmarks, disp: np.ndarray, m: np.ndarray) -> Landmarks:
        """A talking clip's target: absolute at the lips (the rig's rest mouth + our shape, carried onto
        the frame by the similarity fit), relative further out with the source's own jaw drop undone."""
        rig = self.rig
        own = np.linalg.norm(lm[mesh.INNER_LIP_TOP] - lm[mesh.INNER_LIP_BOTTOM]) / (
            rig.eye_px * float(np.sqrt(abs(np.linalg.det(m)))))
        src_jaw = float(np.clip((own - self.neutral_gap_eye) / rig.jaw_gap_eye, 0.0, 1.0))
        relative = lm + (disp - src_jaw * rig.shapes["jaw"]) @ m.T
        c_ref, c_now = self.ref_stable.mean(0), lm[list(STABLE_POINTS)].mean(0)
        absolute = c_now + (rig.base + disp - c_ref) @ m.T
        return relative + self.abs_weight[:, None] * (absolute - relative)

    def _box(self, lm: Landmarks, shape: tuple[int, ...]) -> CropBox:
        """The rig's crop box moved (whole pixels) with the face, inside the frame."""
        box0 = self.rig.warp_mesh.box
        h, w = shape[:2]
        shift = np.round(lm[list(STABLE_POINTS)].mean(0) - self.ref_stable.mean(0)).astype(int)
        x0 = int(np.clip(box0.x0 + shift[0], 0, w - box0.width_px))
        y0 = int(np.clip(box0.y0 + shift[1], 0, h - box0.height_px))
        return CropBox(x0, y0, x0 + box0.width_px, y0 + box0.height_px)

    def _interior(self, crop: Frame, tgt: np.ndarray, shown_gap_px: float, eye_px: float
                  ) -> tuple[slice, slice] | None:
        """The drawn mouth interior, faded in as the target opens beyond what the pixels show."""
        upper, lower = tgt[list(mesh.LIPS_INNER_UPPER)], tgt[list(mesh.LIPS_INNER_LOWER)]
        tgt_gap = float(np.linalg.norm(tgt[mesh.INNER_LIP_TOP] - tgt[mesh.INNER_LIP_BOTTOM]))
        alpha = float(np.clip((tgt_gap - shown_gap_px) / (INTERIOR_FADE_EYE * eye_px), 0.0, 1.0))
        if alpha <= 0:
            return None
        warped = crop.copy()
        region = fill_mouth(crop, upper, lower, self.rig.eye_px, self.rig.mouth)
        if region is not None and alpha < 1.0:
            a = alpha * alpha * (3 - 2 * alpha)
            crop[region] = (warped[region] * (1 - a) + crop[region] * a + 0.5).astype(np.uint8)
        return region


def _absolute_weight(rig: FaceRig) -> np.ndarray:
    """(478,) how absolute a talking clip's target is per landmark: 1 on the lips, 0 on the face oval and
    above the nose base, harmonic in between (so the skin between them blends smoothly)."""
    graph = _MeshGraph(rig.base)
    axes = _FaceAxes(rig.base, rig.eye_px)
    one = np.array([1.0, 0.0])
    known = {int(i): one for i in (*graph.upper_lip, *graph.lower_lip, *_CORNERS)}
    known |= {int(i): np.zeros(2) for i in mesh.FACE_OVAL}
    w = graph.spread(known, 10 * rig.eye_px, pinned=axes.v < axes.v[mesh.NOSE_BOTTOM])[:, 0]
    return np.clip(w, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- consent label

UNCONSENTED_LABEL = "未经授权 / unconsented"
LABEL_HEIGHT_SHARE = 0.045      # label text height, share of the presenter frame's height


def label_unconsented(frames: Iterator[Frame]) -> Iterator[Frame]:
    """Stamp a visible "未经授权 / unconsented" label on every presenter frame (render --allow-unconsented).

    The label goes on a copy (one reused buffer): animate() may yield a frame it keeps and reuses."""
    overlay = out = None
    for f in frames:
        if overlay is None or out.shape != f.shape:
            overlay, out = _label_overlay(f.shape[1], f.shape[0]), np.empty_like(f)
        np.copyto(out, f)
        rgb, a, (x, y) = overlay
        roi = out[y:y + rgb.shape[0], x:x + rgb.shape[1]]
        roi[...] = (roi * (1 - a) + rgb * a + 0.5).astype(np.uint8)
        yield out


def _label_overlay(width: int, height: int):
    size = max(12, int(LABEL_HEIGHT_SHARE * height))
    font = load_font(size, "Bold")
    box = font.getbbox(UNCONSENTED_LABEL)
    tw, th = box[2] - box[0] + size, box[3] - box[1] + size // 2
    tw, th = min(tw, width), min(th, height)
    img = Image.new("RGBA", (tw, th), (160, 0, 0, 200))
    ImageDraw.Draw(img).text((size // 2 - box[0], size // 4 - box[1]), UNCONSENTED_LABEL, font=font,
                             fill=(255, 255, 255, 255))
    arr = np.asarray(img).astype(np.float32)
    return arr[..., :3], arr[..., 3:] / 255.0, (max(0, (width - tw) // 2), max(0, size // 2))
