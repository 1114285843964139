"""A talking clip's mouth opens as wide as its presenter's own (issue #16): the jaw's range is measured from
the clip's open frames, not taken from the rig's fixed value."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from xiaonuan import animate
from xiaonuan.avatar.pack import load_avatar
from xiaonuan.face import mesh, track


def _clip(open_gaps_eye: list[float], n_closed: int = 40) -> SimpleNamespace:
    """A talking clip's landmark track: the default portrait's face with its inner lips this far apart."""
    base = load_avatar("default").landmarks.astype(np.float32)
    eye = mesh.eye_distance_px(base)
    frames = []
    for gap in [0.0] * n_closed + list(open_gaps_eye):
        lm = base.copy()
        mid = 0.5 * (lm[mesh.INNER_LIP_TOP] + lm[mesh.INNER_LIP_BOTTOM])
        lm[mesh.INNER_LIP_TOP] = mid - [0, gap * eye / 2]
        lm[mesh.INNER_LIP_BOTTOM] = mid + [0, gap * eye / 2]
        frames.append(lm)
    raw = np.array(frames)
    return SimpleNamespace(talking=True, raw=raw, found=np.ones(len(raw), bool))


def test_the_jaw_range_is_the_presenters_own():
    narrow = track.own_jaw_gap_eye(_clip([0.04] * 60), animate.LIP_GAP_MAX)
    wide = track.own_jaw_gap_eye(_clip([0.08] * 60), animate.LIP_GAP_MAX)   # both under the rig's ceiling
    assert abs(narrow - 0.04 / track.TYPICAL_OPEN_JAW) < 1e-3 and abs(wide - 2 * narrow) < 1e-3
    assert track.own_jaw_gap_eye(_clip([0.2] * 60), animate.LIP_GAP_MAX) == animate.LIP_GAP_MAX


def test_no_range_is_made_up_for_a_clip_that_does_not_talk():
    assert track.own_jaw_gap_eye(None, animate.LIP_GAP_MAX) is None
    assert track.own_jaw_gap_eye(_clip([0.1] * 5), animate.LIP_GAP_MAX) is None  # too few open frames to measure
    quiet = _clip([0.1] * 60)
    quiet.talking = False
    assert track.own_jaw_gap_eye(quiet, animate.LIP_GAP_MAX) is None


def test_a_wide_mouth_never_opens_past_the_rigs_own_limit():
    assert track.own_jaw_gap_eye(_clip([0.5] * 60), animate.LIP_GAP_MAX) == animate.LIP_GAP_MAX
