"""Faces across a video's sampled frames: full detection on key frames, local re-detection between them.

Full-frame MTCNN costs ~100 ms per 1080p frame downscaled to 640 px on the
2-core machine, most of it in P-Net's image pyramid over the whole picture. A face moves little between
sampled frames, so only every ``every``-th sampled frame (and the last) is
searched in full. On the frames between, MTCNN runs again on a small window
around where each face should be: its box interpolated between the key
frames that bracket it, or held where only one key frame saw it. All windows
are resized to one size and go through MTCNN as one batch. A frame where a
window loses its face (none found, or only one cut by the window's edge) is
searched again in full, so fast motion costs time, not faces.

Every box reported is still an MTCNN detection with its own probability;
nothing is extrapolated into a result. The price: a face that enters and
leaves entirely between two key frames is not found. ``every=1`` turns
this off (every sampled frame searched in full).
"""

from __future__ import annotations

import cv2
import numpy as np

from deepcheck.faces.detect import Detection, FaceDetector

WINDOW_SCALE = 2.2  # search window side / face box side: room for motion between sampled frames
WINDOW_PX = 112  # windows are resized to this square, so the face is ~50 px for MTCNN
WINDOW_MIN_FACE = 32  # MTCNN's smallest face inside a window: fewer pyramid levels and candidates
MATCH_DISTANCE = 3.0  # key-frame faces link if their centres are within this × box height
EDGE_PX = 2  # a window detection this close to an inner window edge is a cut face
DUPLICATE_IOU = 0.5


def key_indices(n: int, every: int) -> list[int]:
    """Sampled-frame positions searched in full: every ``every``-th, and always the last."""
    if n <= 0:
        return []
    keys = list(range(0, n, max(1, every)))
    if keys[-1] != n - 1:
        keys.append(n - 1)
    return keys


def detect_tracked(detector: FaceDetector, frames: list[np.ndarray], every: int) -> list[list[Detection]]:
    """Faces for each frame, as :meth:`FaceDetector.detect` gives, with full search on key frames only."""
    n = len(frames)
    keys = key_indices(n, every)
    if len(keys) == n or len({f.shape for f in frames}) > 1:
        return detector.detect(frames)
    results: list[list[Detection]] = [[] for _ in range(n)]
    for k, dets in zip(keys, detector.detect([frames[k] for k in keys])):
        results[k] = dets
    windows: list[np.ndarray] = []
    placed: list[tuple[int, float, float, float]] = []  # frame position, window x0, y0, scale
    for a, b in zip(keys, keys[1:]):
        pairs = _link(results[a], results[b])
        for i in range(a + 1, b):
            t = (i - a) / (b - a)
            for box in _predicted_boxes(pairs, t):
                window, x0, y0, scale = _window(frames[i], box)
                windows.append(window)
                placed.append((i, x0, y0, scale))
    lost: set[int] = set()
    if windows:
        found = detector.detect_windows(windows, WINDOW_MIN_FACE)
        for (i, x0, y0, scale), dets in zip(placed, found):
            h, w = frames[i].shape[:2]
            whole = [d for d in dets if not _cut_by_window(d.box, x0, y0, scale, w, h)]
            if not whole:
                lost.add(i)
            results[i].extend(_to_frame(d, x0, y0, scale, w, h) for d in whole)
        for i in set(p[0] for p in placed):
            results[i] = _dedupe(results[i])
    if lost:
        redo = sorted(lost)
        for i, dets in zip(redo, detector.detect([frames[i] for i in redo])):
            results[i] = dets
    return results


def _link(first: list[Detection], second: list[Detection]) -> list[tuple[Detection | None, Detection | None]]:
    """Pair faces of two key frames, closest centres first; faces left unpaired stay alone."""
    candidates = []
    for i, d in enumerate(first):
        for j, e in enumerate(second):
            dist = _centre_distance(d.box, e.box) / max(1.0, d.box[3] - d.box[1])
            if dist <= MATCH_DISTANCE:
                candidates.append((dist, i, j))
    pairs: list[tuple[Detection | None, Detection | None]] = []
    used_first, used_second = set(), set()
    for _, i, j in sorted(candidates):
        if i not in used_first and j not in used_second:
            used_first.add(i)
            used_second.add(j)
            pairs.append((first[i], second[j]))
    pairs.extend((d, None) for i, d in enumerate(first) if i not in used_first)
    pairs.extend((None, e) for j, e in enumerate(second) if j not in used_second)
    return pairs


def _predicted_boxes(pairs, t: float) -> list[tuple[float, float, float, float]]:
    boxes = []
    for d, e in pairs:
        if d is not None and e is not None:
            boxes.append(tuple((1 - t) * p + t * q for p, q in zip(d.box, e.box)))
        else:
            boxes.append((d or e).box)
    return boxes


def _window(frame: np.ndarray, box) -> tuple[np.ndarray, float, float, float]:
    """A square around ``box`` (padded black outside the frame), resized to WINDOW_PX."""
    x1, y1, x2, y2 = box
    side = max(16.0, WINDOW_SCALE * max(x2 - x1, y2 - y1))
    x0, y0 = round((x1 + x2) / 2 - side / 2), round((y1 + y2) / 2 - side / 2)
    s = round(side)
    h, w = frame.shape[:2]
    patch = np.zeros((s, s, 3), dtype=frame.dtype)
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x0 + s), min(h, y0 + s)
    if sx1 > sx0 and sy1 > sy0:
        patch[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    scale = WINDOW_PX / s
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(patch, (WINDOW_PX, WINDOW_PX), interpolation=interp), float(x0), float(y0), scale


def _cut_by_window(box, x0: float, y0: float, scale: float, w: int, h: int) -> bool:
    """True when the box touches a window edge that lies inside the frame (the face goes on beyond it)."""
    x1, y1, x2, y2 = box
    left, top = x0, y0
    right, bottom = x0 + WINDOW_PX / scale, y0 + WINDOW_PX / scale
    return (
        (x1 <= EDGE_PX and left > 0)
        or (y1 <= EDGE_PX and top > 0)
        or (x2 >= WINDOW_PX - EDGE_PX and right < w)
        or (y2 >= WINDOW_PX - EDGE_PX and bottom < h)
    )


def _to_frame(d: Detection, x0: float, y0: float, scale: float, w: int, h: int) -> Detection:
    x1, y1, x2, y2 = (v / scale for v in d.box)
    box = (max(0.0, x1 + x0), max(0.0, y1 + y0), min(float(w), x2 + x0), min(float(h), y2 + y0))
    lm = None if d.landmarks is None else d.landmarks / scale + np.array([x0, y0], dtype=np.float32)
    return Detection(box=box, prob=d.prob, landmarks=lm)


def _dedupe(dets: list[Detection]) -> list[Detection]:
    """Windows of two nearby faces can find the same face twice: keep the most confident of overlapping boxes."""
    kept: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.prob):
        if (
            d.box[2] - d.box[0] >= 2
            and d.box[3] - d.box[1] >= 2
            and all(iou(d.box, k.box) < DUPLICATE_IOU for k in kept)
        ):
            kept.append(d)
    return kept


def _centre_distance(a, b) -> float:
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))


def iou(a, b) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
