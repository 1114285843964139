#!/usr/bin/env python3
"""The open mouth's shape on rendered videos against the presenter's own (issue 17).

    XIAONUAN_AVATARS=$AV python tools/mouth_shape.py out/zh_man.mp4 --avatar presenter_man [more.mp4 …]

For each video: the inner-lip height over the outer mouth width (landmarks 13/14 over 61/291, per frame,
median over the frames whose gap is at least 0.10 eye distances; face/mouth_ratio.py says why those
points), measured with MediaPipe's face mesh on the MP4's pixels; the presenter's own from the pack
(stored at enrolment, or measured from its landmark track); the factor between them; and whether it is
inside 0.7–1.4×. A presenter whose mouth never opens (a portrait, an idle clip) is compared with a real
talker's typical 0.21. One JSON line per video; exit status 1 when any is out of range.
"""

from __future__ import annotations

import argparse
import json
import sys

from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face.mouth_ratio import RATIO_RANGE, TYPICAL_OPEN_RATIO, check_ratio, video_open_ratio


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="+", help="rendered MP4s of one presenter")
    ap.add_argument("--avatar", default="default", help="the presenter they show (its pack gives the own ratio)")
    args = ap.parse_args(argv)
    own = load_avatar(args.avatar).open_ratio
    bad = 0
    for video in args.videos:
        ratio, n_open = video_open_ratio(video)
        factor, ok = check_ratio(ratio, own)
        bad += not ok
        print(json.dumps({"video": video, "avatar": args.avatar, "render_ratio": _r(ratio), "open_frames": n_open,
                          "own_ratio": _r(own), "reference": _r(own or TYPICAL_OPEN_RATIO),
                          "reference_is": "own" if own else "typical", "factor": _r(factor),
                          "range": list(RATIO_RANGE), "in_range": ok}))
    return 1 if bad else 0


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


if __name__ == "__main__":
    sys.exit(main())
