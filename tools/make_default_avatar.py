"""Build the default avatar pack (assets/avatar/default/) from scikit-image's data.astronaut().

The photo is NASA's official portrait of astronaut Eileen Collins (public domain). We crop the head
and shoulders, upscale with Lanczos plus a gentle unsharp mask, measure the 478 landmarks once and
write portrait.png, landmarks.npz and avatar.yaml.

    .venv/bin/python tools/make_default_avatar.py [--out assets/avatar/default]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

import numpy as np

CROP_SIZE_PX = 320            # square crop of the 512x512 source: head, shoulders, a little background
CROP_CENTRE_X_PX = 224        # face centre in the source (landmarks span x 179..271)
CROP_TOP_PX = 0               # hair starts ~15 px below the top edge
OUTPUT_SIZE_PX = 720          # portrait side after upscaling (x2.25)
UNSHARP_RADIUS_PX = 1.6       # unsharp mask, applied at output resolution
UNSHARP_PERCENT = 60
UNSHARP_THRESHOLD = 2
MAX_PORTRAIT_BYTES = 1_500_000

AVATAR_YAML = """\
# Default presenter: NASA's official portrait of astronaut Eileen Collins.
name: default
portrait: portrait.png
landmarks: landmarks.npz
source: "scikit-image data.astronaut(): NASA portrait of astronaut Eileen Collins; cropped to head and shoulders and upscaled to {size}x{size} by tools/make_default_avatar.py"
attribution: "NASA, public domain, via scikit-image data.astronaut()"
licence: "Public domain (work of the U.S. federal government, NASA)"
consent: "Public-domain NASA portrait of a public figure, used as a demo presenter; no personal consent was recorded. Every output is labelled AI-generated. Replace with a consented presenter for production use."
default_voice: "espeak:cmn"
"""


def make_portrait() -> np.ndarray:
    """The cropped, upscaled, sharpened portrait as an RGB uint8 array."""
    from PIL import Image, ImageFilter
    from skimage import data

    src = data.astronaut()
    x0 = CROP_CENTRE_X_PX - CROP_SIZE_PX // 2
    crop = src[CROP_TOP_PX:CROP_TOP_PX + CROP_SIZE_PX, x0:x0 + CROP_SIZE_PX]
    img = Image.fromarray(crop).resize((OUTPUT_SIZE_PX, OUTPUT_SIZE_PX), Image.Resampling.LANCZOS)
    img = img.filter(ImageFilter.UnsharpMask(UNSHARP_RADIUS_PX, UNSHARP_PERCENT, UNSHARP_THRESHOLD))
    return np.asarray(img, dtype=np.uint8).copy()


def main(argv: list[str] | None = None) -> int:
    from PIL import Image

    from xiaonuan.face.mesh import INNER_LIP_BOTTOM, INNER_LIP_TOP, detect_landmarks, eye_distance_px
    from xiaonuan.paths import avatars_dir

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=avatars_dir() / "default")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    portrait = make_portrait()
    buf = io.BytesIO()
    Image.fromarray(portrait).save(buf, format="PNG", optimize=True)
    png = buf.getvalue()
    if len(png) > MAX_PORTRAIT_BYTES:
        print(f"portrait.png is {len(png)} bytes, over {MAX_PORTRAIT_BYTES}", file=sys.stderr)
        return 1
    landmarks = detect_landmarks(portrait)
    if landmarks is None:
        print("no face found on the generated portrait", file=sys.stderr)
        return 1
    (args.out / "portrait.png").write_bytes(png)
    np.savez_compressed(args.out / "landmarks.npz", landmarks=landmarks,
                        portrait_sha256=np.array(hashlib.sha256(png).hexdigest()))
    (args.out / "avatar.yaml").write_text(AVATAR_YAML.format(size=OUTPUT_SIZE_PX), encoding="utf-8")
    gap = float(np.linalg.norm(landmarks[INNER_LIP_TOP] - landmarks[INNER_LIP_BOTTOM]))
    eye = eye_distance_px(landmarks)
    print(f"wrote {args.out}: {OUTPUT_SIZE_PX}x{OUTPUT_SIZE_PX}, {len(png)} bytes; "
          f"eye distance {eye:.1f} px, lips apart at rest by {gap:.1f} px ({gap / eye:.3f} of eye distance)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
