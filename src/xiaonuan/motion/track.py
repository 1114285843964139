"""MotionTrack: what the face does in every output frame, as named float32 curves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MotionFrame:
    """One frame's face parameters (see MotionTrack for meanings and ranges)."""

    jaw_open: float
    lip_width: float
    lip_round: float
    lip_press: float
    smile: float
    eye_open: float
    brow_raise: float
    head_pose_deg: tuple[float, float, float]
    breath: float = 0.0


@dataclass(frozen=True, eq=False)
class MotionTrack:
    """Per-frame face parameters at `fps`; every curve has one value per output frame."""

    fps: int
    jaw_open: np.ndarray      # 0..1: 0 closed, 1 the widest vowel ("a" in 爸 / "father")
    lip_width: np.ndarray     # -1..1: 0 rest, +1 spread (i / "ee"), -1 narrowed
    lip_round: np.ndarray     # 0..1: pucker/round (u, o, ü, w)
    lip_press: np.ndarray     # 0..1: lips pressed together (p, b, m), overrides jaw_open at the lips
    smile: np.ndarray         # 0..1: corners raised
    eye_open: np.ndarray      # 0..1: 1 open, 0 closed (blinks)
    brow_raise: np.ndarray    # 0..1: brows raised (emphasis)
    head_pose_deg: np.ndarray  # (n, 3) yaw, pitch, roll offsets in degrees from the avatar's own pose
    breath: np.ndarray | None = None  # 0..1: 0 breathed out, 1 in (portraits: a small lift); None → zeros

    CURVES = ("jaw_open", "lip_width", "lip_round", "lip_press", "smile", "eye_open", "brow_raise")

    def __post_init__(self) -> None:
        n = len(self.jaw_open)
        for name in self.CURVES:
            if len(getattr(self, name)) != n:
                raise ValueError(f"MotionTrack curve {name} has {len(getattr(self, name))} frames, expected {n}")
        if self.head_pose_deg.shape != (n, 3):
            raise ValueError(f"head_pose_deg must be ({n}, 3), got {self.head_pose_deg.shape}")
        if self.breath is None:
            object.__setattr__(self, "breath", np.zeros(n, np.float32))
        elif len(self.breath) != n:
            raise ValueError(f"MotionTrack curve breath has {len(self.breath)} frames, expected {n}")

    @property
    def n_frames(self) -> int:
        return len(self.jaw_open)

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    def frame(self, i: int) -> MotionFrame:
        return MotionFrame(*(float(getattr(self, c)[i]) for c in self.CURVES),
                           head_pose_deg=tuple(float(v) for v in self.head_pose_deg[i]),
                           breath=float(self.breath[i]))

    @classmethod
    def still(cls, n_frames: int, fps: int) -> "MotionTrack":
        """A closed, neutral, eyes-open track: the face at rest."""
        def z() -> np.ndarray:  # one array per curve, so writing to one never changes another
            return np.zeros(n_frames, np.float32)

        return cls(fps, z(), z(), z(), z(), z(), np.ones(n_frames, np.float32), z(), np.zeros((n_frames, 3), np.float32))
