"""Presenter-only render of an avatar (animate() output at the avatar's own size, with the speech) for
avsync and loop-seam checks, without a template:

    XIAONUAN_AVATARS=out/avatars .venv/bin/python bench/avatar_presenter.py sun SCRIPT.md out/sun_presenter.mp4

Prints the loop seams of the plan and the landmark step at each seam measured by MediaPipe on the
output frames, against the clip's own median frame-to-frame motion measured the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main(name: str, script: str, out: str) -> None:
    from xiaonuan import animate, encode, motion, speech
    from xiaonuan.avatar.pack import load_avatar
    from xiaonuan.avatar.enrol import measure_video
    from xiaonuan.avatar.loop import calmness_cost, plan_steps, seam_jumps
    from xiaonuan.script import load_script

    av = load_avatar(name)
    parsed = load_script(Path(script))
    engine = speech.get_engine("espeak:cmn" if parsed.language == "zh" else "espeak:en-us")
    spoken = engine.synthesize([s.text for s in parsed.sentences], [s.pause_after_ms for s in parsed.sentences])
    track = motion.plan_motion(spoken, engine.language, 25, seed=0)
    if not Path(out).is_file():
        with encode.VideoWriter(Path(out), size=av.size, fps=25, audio=spoken.samples, rate_hz=spoken.rate_hz) as w:
            for f in animate.animate(av, track):
                w.write(f)
    steps = plan_steps(av.loop, track.n_frames, calmness_cost(av.clip.landmarks, av.clip.found))
    idx, plan_j = seam_jumps(av.clip.landmarks, steps)
    seams = [i for i, s in zip(idx, steps[1:]) if steps[i].a < steps[i - 1].a]
    cache = Path(out).with_suffix(".landmarks.npz")
    if cache.is_file() and cache.stat().st_mtime > Path(out).stat().st_mtime:
        z = np.load(cache)
        m = type("M", (), {"landmarks": z["landmarks"], "found": z["found"]})
    else:
        m = measure_video(Path(out))
        np.savez(cache, landmarks=m.landmarks, found=m.found)
    from xiaonuan.face import mesh
    from xiaonuan.avatar.loop import _eye
    # head points the lip-sync does not move: the seam shows there, not in the talking mouth
    rigid = list(mesh.NOSE_BRIDGE + mesh.BROWS + (33, 133, 362, 263, 10, 151, 9, 234, 454))
    pts, eye = m.landmarks[:, rigid], _eye(m.landmarks)
    def med(lm, found):
        d = np.linalg.norm(np.diff(lm[:, rigid], axis=0), axis=2).mean(axis=1) / _eye(lm)[1:]
        return float(np.nanmedian(d[found[1:] & found[:-1]]))
    own, out_med = med(av.clip.raw, av.clip.found), med(m.landmarks, m.found)
    # the largest step within the seam's window (the jump and the cross-fade after it)
    win = [max(float(np.linalg.norm(pts[k] - pts[k - 1], axis=1).mean() / eye[k]) for k in range(i, i + 5))
           for i in seams]
    print(f"{track.n_frames} frames, {len(seams)} loop seams at output frames {seams}")
    print(f"plan: seam step (smoothed landmarks) {max(plan_j) if plan_j else 0:.5f} vs median {av.loop.median_motion:.5f}")
    print(f"measured on the output: median step {out_med:.5f}; clip's own median step (raw) {own:.5f}")
    for i, wv in zip(seams, win):
        print(f"  seam at {i}: largest step in the window {wv:.5f} = {wv / own:.2f} x the clip's median motion")


if __name__ == "__main__":
    main(*sys.argv[1:4])
