"""MediaPipe Face Mesh: 478 landmarks in pixels, named landmark groups, and the mesh's triangles.

"Left"/"right" follow MediaPipe: the subject's own side, so RIGHT_EYE is on the image's left.
Lists that run between two corners are ordered from the image-left corner to the image-right one
(eyes: outer corner to inner for the right eye, inner to outer for the left eye).
MediaPipe is imported inside functions only: importing this module does no work.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sys
from collections import Counter, defaultdict
import importlib.util

import numpy as np
import cv2

from xiaonuan.types import Frame, Landmarks
from xiaonuan.paths import builtin_avatars_dir

N_LANDMARKS = 478        # 468 face-mesh points + 10 iris points (refine_landmarks=True)
N_MESH_POINTS = 468      # points that belong to the tessellation (iris points do not)

# --- lips (corners first/last, image-left to image-right) ---
MOUTH_CORNER_RIGHT = 61          # outer lip corner on the image's left
MOUTH_CORNER_LEFT = 291          # outer lip corner on the image's right
INNER_CORNER_RIGHT = 78
INNER_CORNER_LEFT = 308
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
LIPS_OUTER = LIPS_OUTER_UPPER + tuple(reversed(LIPS_OUTER_LOWER[1:-1]))   # closed loop
LIPS_INNER = LIPS_INNER_UPPER + tuple(reversed(LIPS_INNER_LOWER[1:-1]))   # closed loop
INNER_LIP_TOP = 13               # middle of the upper lip's inner edge
INNER_LIP_BOTTOM = 14            # middle of the lower lip's inner edge

# --- jaw and chin ---
CHIN = 152                       # lowest point of the chin on the face oval
CHIN_FRONT = (17, 18, 200, 199, 175, 152)   # midline from the lower lip down to the chin
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
JAW = (454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234)

# --- eyes: lid lists exclude the corners; upper[i] sits above lower[i] ---
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
LEFT_EYE_INNER, LEFT_EYE_OUTER = 362, 263
RIGHT_EYE_UPPER = (246, 161, 160, 159, 158, 157, 173)
RIGHT_EYE_LOWER = (7, 163, 144, 145, 153, 154, 155)
LEFT_EYE_UPPER = (398, 384, 385, 386, 387, 388, 466)
LEFT_EYE_LOWER = (382, 381, 380, 374, 373, 390, 249)
RIGHT_IRIS = (468, 469, 470, 471, 472)
LEFT_IRIS = (473, 474, 475, 476, 477)

# --- brows, nose ---
RIGHT_BROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
LEFT_BROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
BROWS = RIGHT_BROW + LEFT_BROW
NOSE_TIP = 1
NOSE_BOTTOM = 2                  # subnasale: where the nose meets the upper lip
NOSE_BRIDGE = (168, 6, 197, 195, 5, 4)


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 to /dev/null for a moment. MediaPipe's C++ prints "Created TensorFlow Lite XNNPACK
    delegate" and glog's "Feedback manager requires a model with a single signature …" on each graph's first
    run, before absl logging is set up, straight to the descriptor: no Python or environment setting reaches it."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet(make_graph):
    """A MediaPipe solution (FaceMesh, FaceDetection, SelfieSegmentation …), made by `make_graph()` and run twice
    with its log lines silenced, so the user's runs print nothing; returns the graph. It is made inside the
    silenced stretch too: starting the graph opens its calculators on MediaPipe's own threads, and on a loaded
    machine the XNNPACK line came while the constructor was returning (half of it, "INFO: ", once). The first
    picture has a face and is not square (the landmark projection's one-time "NORM_RECT without
    IMAGE_DIMENSIONS" line comes only then); the second is blank, so a tracking graph starts afresh."""
    with _native_stderr_silenced():
        graph = make_graph()
        graph.process(_warm_up_picture())
        graph.process(np.zeros((64, 64, 3), np.uint8))
    return graph


@functools.lru_cache(maxsize=1)
def _warm_up_picture() -> np.ndarray:
    """A small, not square crop of the built-in portrait (a face); blank if the pack is not there."""
    img = cv2.imread(str(builtin_avatars_dir() / "default" / "portrait.png"))
    if img is None:
        return np.zeros((96, 64, 3), np.uint8)
    h, w = img.shape[:2]
    return np.ascontiguousarray(cv2.cvtColor(cv2.resize(img, (w // 3, h // 3)), cv2.COLOR_BGR2RGB)[:, : w // 4])


def detect_landmarks(image_rgb: Frame, static: bool = True) -> Landmarks | None:
    """The 478 landmarks (pixels, float32) of the most prominent face, or None when none is found.

    `static=True` runs full detection (enrolment, tests); it is slow (~30 ms) but needs no history.
    """
    # lazy: mediapipe takes ~0.7 s to import and loads TFLite; only face measurement needs it
    import mediapipe as mp

    h, w = image_rgb.shape[:2]
    with quiet(lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=static, max_num_faces=1, refine_landmarks=True,
                                               min_detection_confidence=0.5)) as fm:
        res = fm.process(np.ascontiguousarray(image_rgb))
    if not res.multi_face_landmarks:
        return None
    lm = res.multi_face_landmarks[0].landmark
    return np.array([[p.x * w, p.y * h] for p in lm], dtype=np.float32)


def eye_distance_px(landmarks: Landmarks) -> float:
    """Distance between the outer eye corners: the face's unit of size."""
    return float(np.linalg.norm(landmarks[LEFT_EYE_OUTER] - landmarks[RIGHT_EYE_OUTER]))


@functools.lru_cache(maxsize=1)
def mesh_edges() -> np.ndarray:
    """(E, 2) int32 undirected edges of MediaPipe's face tessellation (468 points)."""

    # that module is plain constants: read it without importing the mediapipe package (~0.6 s of CPU
    # at every render, for a table; issue #7), unless mediapipe is loaded anyway
    name = "mediapipe.python.solutions.face_mesh_connections"
    module = sys.modules.get(name)
    if module is None:
        root = importlib.util.find_spec("mediapipe").submodule_search_locations[0]
        spec = importlib.util.spec_from_file_location(
            "_face_mesh_connections", f"{root}/python/solutions/face_mesh_connections.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    edges = sorted({tuple(sorted(e)) for e in module.FACEMESH_TESSELATION})
    return np.array(edges, dtype=np.int32)


def mesh_triangles(landmarks: Landmarks) -> np.ndarray:
    """(T, 3) int32 triangles of the face tessellation, rebuilt from its edge list.

    The edge list yields every 3-clique; the few that are not faces (they enclose other points)
    are dropped using the given landmark positions. Holes (eyes, mouth) stay open.
    """
    adj: dict[int, set[int]] = defaultdict(set)
    for a, b in mesh_edges():
        adj[int(a)].add(int(b))
        adj[int(b)].add(int(a))
    tris = sorted({tuple(sorted((a, b, c))) for a in adj for b in adj[a] for c in adj[a] & adj[b]})
    tri = np.array(tris, dtype=np.int32)
    pts = landmarks[:N_MESH_POINTS].astype(np.float64)
    count = Counter(e for t in tris for e in itertools.combinations(t, 2))
    shared = np.array([max(count[e] for e in itertools.combinations(t, 2)) > 2 for t in tris])
    keep = np.ones(len(tri), bool)
    for k in np.flatnonzero(shared):   # a clique whose edge has three owners: drop it if it encloses a point
        a, b, c = pts[tri[k]]
        others = np.delete(pts, tri[k], axis=0)
        keep[k] = not _points_in_triangle(others, a, b, c).any()
    return tri[keep]


def _points_in_triangle(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Which of the points p (N,2) lie strictly inside triangle abc."""
    def side(p1, p2):
        return (p[:, 0] - p2[0]) * (p1[1] - p2[1]) - (p1[0] - p2[0]) * (p[:, 1] - p2[1])
    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    neg = (d1 < 0) & (d2 < 0) & (d3 < 0)
    pos = (d1 > 0) & (d2 > 0) & (d3 > 0)
    return neg | pos
