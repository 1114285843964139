#!/usr/bin/env python3
"""Controlled experiments on the jitter of recorded-clip renders (docs/lipsync.md, "Known limits").

Renders examples/lipsync_zh.md on an enrolled clip avatar (default: sun) with one part of the motion
switched off or changed per variant, runs the independent checker (../shared/eval/avsync.py) on each
render, and prints one JSON line per variant (also appended to WORK/results.jsonl):

    XIAONUAN_AVATARS=/tmp/lipsync/avatars .venv/bin/python tools/lipsync_jitter.py full rest jaw_only …
    .venv/bin/python tools/lipsync_jitter.py --list

Variants patch the renderer in this process only (nothing in the package changes); combine them with
'+' (e.g. no_chin+no_interior). `native_*` variants skip the template: the presenter frames at the
clip's own size, with the speech, as sun_reference is measured.

    .venv/bin/python tools/lipsync_jitter.py --detect-each-frame A.mp4 B.mp4 …

measures avsync's jitter of existing videos twice: with MediaPipe tracking (as avsync runs it: each
frame's region of interest comes from the previous frame's landmarks) and with a fresh detection in
every frame (static_image_mode), to tell whether the tracking loop is what shakes.

    .venv/bin/python tools/lipsync_jitter.py --dynamics A.mp4 B.mp4 …

measures how the mouth moves in existing videos (see `dynamics`), to compare a render's articulation
with a real talker's (../shared/media/presenter_man.mp4).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AVSYNC = ROOT.parent / "shared" / "eval" / "avsync.py"
FIGURES = ("jitter", "offset_frames", "corr_at_offset", "silence_closed", "speech_open", "blinks_per_min")


@contextlib.contextmanager
def _patch(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _weights(keep=None, drop=()):
    """Only some blend shapes of the clip path move (the others stay at the clip's own rest)."""
    from xiaonuan import animate

    orig = animate._clip_weights

    def weights(mf, blinks=False, rest_jaw=0.0):
        return {k: v for k, v in orig(mf, blinks, rest_jaw).items() if (keep is None or k in keep) and k not in drop}
    return _patch(animate, "_clip_weights", weights)


def _track(edit):
    """The motion track edited in place after planning."""
    from xiaonuan import motion

    orig = motion.plan_motion

    def plan(*a, **k):
        tr = orig(*a, **k)
        edit(tr)
        return tr
    return _patch(motion, "plan_motion", plan)


def _smooth(sigma_frames: float):
    from scipy.ndimage import gaussian_filter1d

    def edit(tr):
        for c in ("jaw_open", "lip_width", "lip_round", "lip_press"):
            a = getattr(tr, c)
            a[:] = gaussian_filter1d(a.astype(np.float64), sigma_frames)
    return _track(edit)


def _no_crossfade():
    from xiaonuan.avatar import loop

    orig = loop.plan_steps
    return _patch(loop, "plan_steps", lambda plan, n, calm: orig(dataclasses.replace(plan, crossfade=0), n, calm))


def _fixed_box():
    """The warp's crop box never follows the face (no whole-pixel shifts)."""
    from xiaonuan import animate

    return _patch(animate._ClipLips, "_box", lambda self, lm, shape: self.rig.warp_mesh.box)


def _variants() -> dict:
    from xiaonuan import animate

    return {
        "full": contextlib.nullcontext,
        "rest": lambda: _weights(keep=()),                          # frames untouched (the clip through the pipeline)
        "blinks_only": lambda: _weights(keep=("blink",)),
        "no_blinks": lambda: _weights(drop=("blink",)),
        "jaw_only": lambda: _weights(keep=("jaw", "close", "press")),
        "shape_only": lambda: _weights(keep=("width", "round", "smile")),
        "no_chin": lambda: _patch(animate, "CHIN_DROP_SHARE", 0.0),   # lips move, chin and jaw line stay
        "no_interior": lambda: _patch(animate, "fill_mouth", lambda *a, **k: None),
        "no_crossfade": _no_crossfade,
        "fixed_box": _fixed_box,
        "smooth1": lambda: _smooth(1.0),                            # mouth curves smoothed, σ in frames
        "smooth2": lambda: _smooth(2.0),
        "jaw_half": lambda: _track(lambda tr: tr.jaw_open.__imul__(0.5)),
        "native_full": contextlib.nullcontext,
        "native_rest": lambda: _weights(keep=()),
    }


def _render_native(script: Path, avatar: str, out: Path) -> None:
    """The presenter frames alone at the clip's size, with the speech (no template, no framing)."""
    from xiaonuan import animate, encode, motion, speech
    from xiaonuan.avatar.pack import load_avatar
    from xiaonuan.script import load_script

    render_mod = importlib.import_module("xiaonuan.render")
    parsed = load_script(script)
    engine = speech.cached(speech.get_engine(render_mod.DEFAULT_VOICES[parsed.language]))
    spoken = engine.synthesize([s.text for s in parsed.sentences], [s.pause_after_ms for s in parsed.sentences],
                               emphasis=[s.emphasis for s in parsed.sentences])
    track = motion.plan_motion(spoken, parsed.language, 25, expression=parsed.fields.get("expression") or "neutral",
                               emphasis=[s.emphasis for s in parsed.sentences])
    av = load_avatar(avatar)
    with encode.VideoWriter(out, av.size, 25, spoken.samples, spoken.rate_hz) as w:
        for f in animate.animate(av, track):
            w.write(f)


def run(name: str, script: Path, avatar: str, work: Path, avsync) -> dict:
    variants = _variants()
    mp4 = work / f"{avatar}_{script.stem}_{name}.mp4"
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        for part in name.split("+"):
            stack.enter_context(variants[part]())
        if name.startswith("native"):
            _render_native(script, avatar, mp4)
        else:
            importlib.import_module("xiaonuan.render").render(script, avatar=avatar, out=mp4)
    r = avsync.analyse(str(mp4))
    line = {"variant": name, "avatar": avatar, "script": script.name, **{k: r.get(k) for k in FIGURES},
            "render_s": round(time.perf_counter() - t0, 1)}
    print(json.dumps(line), flush=True)
    with open(work / "results.jsonl", "a") as f:
        f.write(json.dumps(line) + "\n")
    return line


def detect_each_frame(mp4: Path, avsync) -> dict:
    """avsync's jitter of `mp4` with MediaPipe tracking and with a detection in every frame."""
    import imageio_ffmpeg
    import mediapipe as mp

    reader = imageio_ffmpeg.read_frames(str(mp4))
    w, h = next(reader)["size"]
    modes = {m: mp.solutions.face_mesh.FaceMesh(static_image_mode=m == "detected", max_num_faces=1,
                                                refine_landmarks=True, min_detection_confidence=0.5,
                                                min_tracking_confidence=0.5) for m in ("tracked", "detected")}
    rigid = {m: [] for m in modes}
    for raw in reader:
        frame = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
        for m, fm in modes.items():
            res = fm.process(frame)
            if res.multi_face_landmarks:
                p = np.array([[q.x * w, q.y * h] for q in res.multi_face_landmarks[0].landmark], np.float32)
                eye = np.linalg.norm(p[avsync.EYE_OUTER_L] - p[avsync.EYE_OUTER_R])
                rigid[m].append((p[list(avsync.RIGID)].mean(0), eye))
            else:
                rigid[m].append(None)
    out = {"video": mp4.name}
    for m, r in rigid.items():
        acc = [np.linalg.norm(r[i + 1][0] - 2 * r[i][0] + r[i - 1][0]) / r[i][1] for i in range(1, len(r) - 1)
               if r[i - 1] is not None and r[i] is not None and r[i + 1] is not None]
        out[f"jitter_{m}"] = round(float(np.median(acc)), 5) if acc else None
    print(json.dumps(out), flush=True)
    return out


def dynamics(mp4: Path, avsync) -> dict:
    """How the mouth moves in `mp4`, as avsync's tracker sees it: the inner-lip gap (eye distances) per
    frame, its range (p95 − p5), its median and 90th-percentile step and acceleration (|Δ|, |Δ²|) as
    shares of that range, and the share of its energy above 5 Hz. A real talker and a render that moves
    its mouth as a real talker does give like numbers; smoothing the mouth lowers them."""
    fps, _size, pts = avsync.face_tracks(str(mp4))
    gap = np.array([np.linalg.norm(p[avsync.INNER_TOP] - p[avsync.INNER_BOTTOM])
                    / np.linalg.norm(p[avsync.EYE_OUTER_L] - p[avsync.EYE_OUTER_R]) for p in pts if p is not None])
    rng = float(np.percentile(gap, 95) - np.percentile(gap, 5))
    step, acc = np.abs(np.diff(gap)) / rng, np.abs(np.diff(gap, 2)) / rng
    power = np.abs(np.fft.rfft(gap - gap.mean())) ** 2
    freq = np.fft.rfftfreq(len(gap), 1.0 / fps)
    out = {"video": mp4.name, "gap_range": round(rng, 3),
           "step_median": round(float(np.median(step)), 3), "acc_median": round(float(np.median(acc)), 3),
           "acc_p90": round(float(np.percentile(acc, 90)), 3),
           "above_5hz": round(float(power[freq > 5].sum() / power[freq > 0.5].sum()), 3)}
    print(json.dumps(out), flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("variants", nargs="*")
    ap.add_argument("--avatar", default="sun")
    ap.add_argument("--script", type=Path, default=ROOT / "examples" / "lipsync_zh.md")
    ap.add_argument("--work", type=Path, default=Path("/tmp/lipsync/jitter"))
    ap.add_argument("--list", action="store_true", help="list the variants")
    ap.add_argument("--detect-each-frame", action="store_true",
                    help="the arguments are videos: their jitter tracked (as avsync) and detected in every frame")
    ap.add_argument("--dynamics", action="store_true",
                    help="the arguments are videos: how their mouths move (gap range, step, acceleration, > 5 Hz)")
    args = ap.parse_args(argv)
    if args.list or not args.variants:
        print(" ".join(_variants()))
        return 0
    if not AVSYNC.is_file():
        print(f"skipped: {AVSYNC} is missing")
        return 0
    spec = importlib.util.spec_from_file_location("avsync", AVSYNC)
    avsync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(avsync)
    if args.detect_each_frame or args.dynamics:
        for v in args.variants:
            (dynamics if args.dynamics else detect_each_frame)(Path(v), avsync)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    for v in args.variants:
        run(v, args.script, args.avatar, args.work, avsync)
    return 0


if __name__ == "__main__":
    sys.exit(main())
