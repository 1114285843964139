"""Loop planning: which source frame of a recorded clip shows in each output frame.

A clip shorter than the speech is extended by looping a segment [start, end] of it: after `end`
the clip jumps back to `start`. The segment is chosen where the face after the jump matches the
face that would have followed `end` — position, pose and landmarks (and their velocity) — so the
seam shows no jump; the first frames after each seam are cross-faded with the frames that would
have followed `end` (CROSSFADE_FRAMES). When no seam is good enough (its landmark jump is larger
than MAX_SEAM_RATIO × the clip's median frame-to-frame motion) the plan falls back to ping-pong
(forwards, then backwards), which has no position jump at all.

The phase is chosen so that the first and the last output frame are calm (closed mouth, little
motion, eyes open). Planning is numpy over landmark arrays; at enrolment plan_on_pixels() then
renders the few best seams (motion-compensated cross-fade, face/seam.py) and keeps the one whose face
changes least across the seam, measured against the clip's ordinary frame-to-frame change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from xiaonuan.face import mesh
from xiaonuan.face.seam import compensated_fade, face_difference
from xiaonuan.avatar.reader import ClipReader

CROSSFADE_FRAMES = 4          # frames after a seam blended with the frames that would have followed
MIN_LOOP_SHARE = 0.5          # the looped segment spans at least this share of the usable clip...
MIN_LOOP_FRAMES = 25          # ...and at least this many frames
MAX_SEAM_RATIO = 1.5          # a seam whose jump exceeds this × median motion is not used
SEAM_CANDIDATES = 5           # seams rendered and compared on pixels at enrolment
MAX_SEAM_PIXEL_RATIO = 2.0    # a seam whose face changes more than this × the clip's ordinary frame-to-frame
                              # change (median) is visible: ping-pong instead
ORDINARY_FRAMES = 48          # consecutive frames (mid-clip) that measure the ordinary change
MIN_ORDINARY_GREY = 1.0       # the ordinary change is taken as at least this (grey levels, mean over the face):
                              # an idle clip changes less, and a ratio to its compression noise means nothing
# Points that describe position, pose and expression: face oval, eyes, brows, nose, lips.
SEAM_POINTS = tuple(sorted(set(mesh.FACE_OVAL + mesh.LIPS_OUTER + mesh.LIPS_INNER + mesh.BROWS + mesh.NOSE_BRIDGE
                               + mesh.RIGHT_EYE_UPPER + mesh.LEFT_EYE_UPPER + (mesh.NOSE_TIP,))))


@dataclass(frozen=True)
class LoopPlan:
    """How a clip of `n_source` frames is played for any length of output.

    mode "once": the clip is long enough as it is (frames `start`… in order).
    mode "loop": start → end, then back to `loop_start` … end, and so on.
    mode "pingpong": start → end, then end-1 → loop_start, then forwards again, and so on.
    """

    mode: str                 # "loop" | "pingpong"
    loop_start: int           # first frame of the looped segment
    loop_end: int             # last frame of the looped segment (inclusive)
    seam_jump: float          # landmark jump at the seam, in eye distances (0 for ping-pong)
    median_motion: float      # the clip's own median frame-to-frame landmark motion, eye distances
    crossfade: int = CROSSFADE_FRAMES
    # rendered face change across the seam / the clip's median frame-to-frame change (None: not measured)
    seam_pixel_ratio: float | None = None

    def to_dict(self) -> dict:
        d = {"mode": self.mode, "loop_start": self.loop_start, "loop_end": self.loop_end,
             "seam_jump": round(self.seam_jump, 5), "median_motion": round(self.median_motion, 5),
             "crossfade": self.crossfade}
        if self.seam_pixel_ratio is not None:
            d["seam_pixel_ratio"] = round(self.seam_pixel_ratio, 3)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LoopPlan":
        ratio = d.get("seam_pixel_ratio")
        return cls(str(d["mode"]), int(d["loop_start"]), int(d["loop_end"]), float(d["seam_jump"]),
                   float(d["median_motion"]), int(d.get("crossfade", CROSSFADE_FRAMES)),
                   None if ratio is None else float(ratio))

    @property
    def period(self) -> int:
        n = self.loop_end - self.loop_start + 1
        return n if self.mode == "loop" else max(2 * (n - 1), 1)

    def position(self, k: int) -> int:
        """Source frame of the k-th frame of the periodic part (k = 0 is loop_start)."""
        k %= self.period
        if self.mode == "loop":
            return self.loop_start + k
        n = self.loop_end - self.loop_start + 1
        return self.loop_start + (k if k < n else 2 * (n - 1) - k)


@dataclass(frozen=True)
class FrameStep:
    """One output frame: show source frame `a`, blended with `b` at weight `w_b` (0 = a alone)."""

    a: int
    b: int
    w_b: float


def sequence(plan: LoopPlan, n_out: int, first: int) -> list[FrameStep]:
    """Source frames for n_out output frames, starting at source frame `first` inside the segment.

    The list is small (three ints per frame) and computed once per render.
    """
    steps: list[FrameStep] = []
    k = first - plan.loop_start
    since_seam = None
    for _ in range(n_out):
        pos = plan.position(k)
        if plan.mode == "loop" and k % plan.period == 0 and steps:
            since_seam = 0
        if since_seam is not None and since_seam < plan.crossfade:
            would = plan.loop_end + 1 + since_seam      # what would have followed loop_end
            w = 1.0 - (since_seam + 1) / (plan.crossfade + 1)
            steps.append(FrameStep(pos, would, w))
            since_seam += 1
        else:
            steps.append(FrameStep(pos, pos, 0.0))
        k += 1
    return steps


def median_motion(lm: np.ndarray, found: np.ndarray) -> float:
    """Median frame-to-frame landmark motion (mean over SEAM_POINTS, in eye distances) over found frames."""
    m = _motion(lm, found)
    return float(np.median(m[np.isfinite(m)])) if np.isfinite(m).any() else 0.0


def _motion(lm: np.ndarray, found: np.ndarray) -> np.ndarray:
    """(F,) motion from frame i-1 to i (NaN where either frame has no face)."""
    pts = lm[:, SEAM_POINTS]
    eye = _eye(lm)
    d = np.full(len(lm), np.nan)
    ok = found[1:] & found[:-1]
    step = np.linalg.norm(pts[1:] - pts[:-1], axis=2).mean(axis=1) / eye[1:]
    d[1:][ok] = step[ok]
    return d


def _eye(lm: np.ndarray) -> np.ndarray:
    e = np.linalg.norm(lm[:, mesh.LEFT_EYE_OUTER] - lm[:, mesh.RIGHT_EYE_OUTER], axis=1)
    return np.where(np.isfinite(e) & (e > 0), e, np.nanmedian(e))


def calmness_cost(lm: np.ndarray, found: np.ndarray) -> np.ndarray:
    """(F,) cost of a frame as a first/last frame: mouth gap + motion + eyes closing; inf without a face."""
    eye = _eye(lm)
    gap = np.linalg.norm(lm[:, mesh.INNER_LIP_TOP] - lm[:, mesh.INNER_LIP_BOTTOM], axis=1) / eye
    lids = np.linalg.norm(lm[:, 159] - lm[:, 145], axis=1) / np.maximum(
        np.linalg.norm(lm[:, mesh.RIGHT_EYE_OUTER] - lm[:, mesh.RIGHT_EYE_INNER], axis=1), 1e-6)
    mot = np.nan_to_num(_motion(lm, found), nan=0.0)
    mot = np.maximum(mot, np.concatenate([mot[1:], [0.0]]))
    open_lids = np.nanmedian(lids[found]) if found.any() else 0.0
    cost = gap + 2.0 * mot + np.clip(open_lids - lids, 0, None)
    return np.where(found, np.nan_to_num(cost, nan=np.inf), np.inf)


def plan_loop(lm: np.ndarray, found: np.ndarray) -> LoopPlan:
    """The best loop segment of a clip with per-frame landmarks lm (F,478,2) and face mask found (F,)."""
    med = median_motion(lm, found)
    cands = seam_candidates(lm, found, 1)
    if cands and med > 0 and cands[0][0] <= MAX_SEAM_RATIO * med:
        return LoopPlan("loop", cands[0][1], cands[0][2], cands[0][0], med)
    return LoopPlan("pingpong", 0, max(len(lm) - 1, 0), 0.0, med)


def seam_candidates(lm: np.ndarray, found: np.ndarray, k: int) -> list[tuple[float, int, int]]:
    """Up to k seams (landmark jump in eye distances, loop_start, loop_end), smallest jump first, at most
    one per loop_end (so the candidates are not k copies of one seam a frame apart)."""
    n = len(lm)
    if n < 3:
        return []
    pts = lm[:, SEAM_POINTS].astype(np.float64)
    eye = _eye(lm)
    min_len = max(MIN_LOOP_FRAMES, int(MIN_LOOP_SHARE * n))
    xf = CROSSFADE_FRAMES
    per_end = []
    # jump from e to s: frame s replaces frame e+1 (which must exist, with xf more, for the cross-fade)
    for e in range(min_len - 1, n - 2 - xf):
        if not found[e - 1:e + xf + 2].all():
            continue
        starts = np.arange(1, e - min_len + 2)
        ok = np.array([found[s - 1:s + xf + 2].all() for s in starts], bool) if not found.all() else None
        if ok is not None:
            starts = starts[ok]
        if len(starts) == 0:
            continue
        steps = _seam_steps(pts, eye[e], starts, e, xf)
        j = int(np.argmin(steps))
        per_end.append((float(steps[j]), int(starts[j]), e))
    per_end.sort()
    chosen: list[tuple[float, int, int]] = []
    for c in per_end:          # keep candidates whose ends are a few frames apart
        if all(abs(c[2] - d[2]) > xf for d in chosen):
            chosen.append(c)
        if len(chosen) == k:
            break
    return chosen


def _seam_steps(pts: np.ndarray, eye_px: float, starts: np.ndarray, e: int, xf: int) -> np.ndarray:
    """For each start s: the largest frame-to-frame landmark step (eye distances) shown around a
    cross-faded seam e → s (the natural steps just before and after it included)."""
    track = [np.broadcast_to(pts[e - 1], (len(starts),) + pts.shape[1:]),
             np.broadcast_to(pts[e], (len(starts),) + pts.shape[1:])]
    for k in range(xf):
        w = 1.0 - (k + 1) / (xf + 1)
        track.append((1 - w) * pts[starts + k] + w * pts[e + 1 + k])
    track += [pts[starts + xf], pts[starts + xf + 1]]
    worst = np.zeros(len(starts))
    for a, b in zip(track[:-1], track[1:]):
        worst = np.maximum(worst, np.linalg.norm(b - a, axis=2).mean(axis=1))
    return worst / eye_px


def choose_first(plan: LoopPlan, n_out: int, calm: np.ndarray) -> int:
    """The start frame (inside the segment) whose first and last output frames are calmest."""
    best, first = np.inf, plan.loop_start
    for f in range(plan.loop_start, plan.loop_end + 1):
        last = plan.position(f - plan.loop_start + n_out - 1)
        c = calm[f] + calm[last]
        if c < best:
            best, first = c, f
    return first


def plan_steps(plan: LoopPlan, n_out: int, calm: np.ndarray) -> list[FrameStep]:
    """The output → source mapping for n_out frames: straight through when the clip is long enough
    (phase chosen for calm first/last frames), else the loop plan from its calmest phase."""
    n_src = len(calm)
    if n_out <= n_src:
        firsts = np.arange(0, n_src - n_out + 1)
        f = int(firsts[np.argmin(calm[firsts] + calm[firsts + n_out - 1])])
        return [FrameStep(f + i, f + i, 0.0) for i in range(n_out)]
    return sequence(plan, n_out, choose_first(plan, n_out, calm))


def seam_jumps(lm: np.ndarray, steps: list[FrameStep]) -> tuple[list[int], list[float]]:
    """Output indices where the source jumps (not i → i+1) and the landmark jump there (eye distances).

    Landmarks of a blended step are the blend of its two frames' landmarks, as animate() uses them.
    """
    pts = lm[:, SEAM_POINTS].astype(np.float64)
    eye = _eye(lm)

    def at(s: FrameStep) -> np.ndarray:
        return (1 - s.w_b) * pts[s.a] + s.w_b * pts[s.b]
    idx, jumps = [], []
    for i in range(1, len(steps)):
        if steps[i].a != steps[i - 1].a + 1:
            idx.append(i)
            jumps.append(float(np.linalg.norm(at(steps[i]) - at(steps[i - 1]), axis=1).mean() / eye[steps[i].a]))
    return idx, jumps


def plan_on_pixels(video: Path, size: tuple[int, int], fps: int, lm: np.ndarray, found: np.ndarray,
                   raw: np.ndarray | None = None) -> LoopPlan:
    """The loop plan chosen on rendered pixels: the SEAM_CANDIDATES best seams by landmarks are rendered
    (motion-compensated cross-fade) and the one whose face changes least across it is kept; ping-pong
    when none is under MAX_SEAM_PIXEL_RATIO. The plan carries its measured seam_pixel_ratio. lm: the
    smoothed landmarks that plan seams; raw: the measured ones that fit the pixels (default lm)."""
    med = median_motion(lm, found)
    px = lm if raw is None else np.where(found[:, None, None], raw, lm)
    reader = ClipReader(video, size, fps)
    try:
        ordinary = ordinary_difference(reader, px, found)
        best = None
        for jump, s, e in seam_candidates(lm, found, SEAM_CANDIDATES):
            if med <= 0 or jump > MAX_SEAM_RATIO * med:
                continue
            plan = LoopPlan("loop", s, e, jump, med)
            ratio = seam_pixel_ratio(reader, px, plan, ordinary)
            if best is None or ratio < best.seam_pixel_ratio:
                best = replace(plan, seam_pixel_ratio=ratio)
        if best is not None and best.seam_pixel_ratio <= MAX_SEAM_PIXEL_RATIO:
            return best
        pingpong = LoopPlan("pingpong", 0, len(lm) - 1, 0.0, med)
        return replace(pingpong, seam_pixel_ratio=seam_pixel_ratio(reader, px, pingpong, ordinary))
    finally:
        reader.close()


def ordinary_difference(reader, lm: np.ndarray, found: np.ndarray) -> float:
    """The clip's median face change from one frame to the next (grey levels), over ORDINARY_FRAMES mid-clip."""
    n = len(lm)
    first = max(0, n // 2 - ORDINARY_FRAMES // 2)
    diffs = [face_difference(reader.frame(i - 1), reader.frame(i), lm[i])
             for i in range(first + 1, min(n, first + ORDINARY_FRAMES)) if found[i - 1] and found[i]]
    return max(float(np.median(diffs)) if diffs else 0.0, MIN_ORDINARY_GREY)


def seam_pixel_ratio(reader, lm: np.ndarray, plan: LoopPlan, ordinary: float) -> float:
    """The largest face change between consecutive rendered frames around the plan's seam (or turn),
    per the clip's ordinary change: about 1 for an invisible seam, 3+ for a visible jump or ghost."""
    first = max(plan.loop_start, plan.loop_end - 2)
    frames, marks = [], []
    for st in sequence(plan, plan.crossfade + 6, first):
        out = np.empty_like(reader.frame(st.a))
        if st.w_b > 0:
            a, b = np.array(reader.frame(st.a)), reader.frame(st.b)
            marks.append(compensated_fade(a, b, lm[st.a], lm[st.b], st.w_b, out))
        else:
            np.copyto(out, reader.frame(st.a))
            marks.append(lm[st.a])
        frames.append(out)
    worst = max(face_difference(f0, f1, m) for f0, f1, m in zip(frames[:-1], frames[1:], marks[1:]))
    return worst / max(ordinary, MIN_ORDINARY_GREY)
