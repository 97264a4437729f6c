"""Face finding (MTCNN on ONNX Runtime, deepcheck/faces/mtcnn.py) and cutting crops with the model's framing.

Detection runs on a downscaled copy (long side ``detect_size``); boxes are
mapped back and crops are cut from the full-resolution frame.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from deepcheck.faces.mtcnn import MIN_SIZE, Mtcnn
from deepcheck.model.card import Framing

DEFAULT_MIN_FACE = 40  # px: the model card's smallest reliable face (boxes under ~40 px degrade scores)
BATCH_FRAMES = 2  # frames per MTCNN call: 8 took ~110 MB more at the peak, for no measurable speed


@dataclass
class Detection:
    """A face box in original pixels (x1, y1, x2, y2) and MTCNN's confidence."""

    box: tuple[float, float, float, float]
    prob: float
    landmarks: np.ndarray | None = None  # 5×2, original pixels


class FaceDetector:
    """MTCNN (deepcheck/faces/mtcnn.py, on ONNX Runtime) over frames of any size, in original pixels.

    Each frame is searched on a copy with long side ``detect_size``; same-size
    frames go through MTCNN together. ``min_face`` is the smallest face looked
    for, in the frame's own pixels (the pyramid starts there; smaller faces cost
    time and the classifier does poorly on them anyway, see the model card).
    """

    def __init__(self, min_prob: float = 0.9, detect_size: int = 640, min_face: float = DEFAULT_MIN_FACE):
        self.mtcnn = load_mtcnn()
        self.min_prob = min_prob
        self.detect_size = detect_size
        self.min_face = min_face

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        """Faces for each RGB frame, in original pixel coordinates."""
        results: list[list[Detection]] = [[] for _ in frames]
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(frames):
            groups.setdefault(frame.shape, []).append(i)
        for indices in groups.values():
            for start in range(0, len(indices), BATCH_FRAMES):
                chunk = indices[start : start + BATCH_FRAMES]
                small, scales = zip(*(self._downscale(frames[i]) for i in chunk))
                min_size = max(MIN_SIZE, self.min_face * scales[0])
                for i, s, (boxes, points) in zip(chunk, scales, self.mtcnn.detect(np.stack(small), min_size)):
                    results[i] = self._to_detections(boxes, points, s, frames[i].shape)
        return results

    def detect_windows(self, windows: list[np.ndarray], min_face_size: int) -> list[list[Detection]]:
        """Faces in same-size windows, in window pixels, as one batch, with their own smallest face size.

        No downscaling: the caller sized the windows (deepcheck/faces/tracking.py).
        """
        found = self.mtcnn.detect(np.stack(windows), max(MIN_SIZE, float(min_face_size)))
        return [self._to_detections(b, p, 1.0, w.shape) for (b, p), w in zip(found, windows)]

    def _downscale(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        h, w = frame.shape[:2]
        long_side = max(h, w)
        if long_side <= self.detect_size:
            return frame, 1.0
        s = self.detect_size / long_side
        return cv2.resize(frame, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA), s

    def _to_detections(self, boxes: np.ndarray, points: np.ndarray, scale: float, shape) -> list[Detection]:
        out = []
        h, w = shape[:2]
        for box, lm in zip(boxes, points):
            prob = float(box[4])
            if not np.isfinite(prob) or prob < self.min_prob:
                continue
            x1, y1, x2, y2 = (float(v) / scale for v in box[:4])
            x1, y1, x2, y2 = max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2)
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            out.append(Detection(box=(x1, y1, x2, y2), prob=prob, landmarks=np.asarray(lm, np.float32) / scale))
        out.sort(key=lambda d: -d.prob)
        return out


@functools.lru_cache(maxsize=1)
def load_mtcnn() -> Mtcnn:
    """MTCNN's verified networks, once per process; ModelError when they cannot be run."""
    from deepcheck.media.fileio import VerificationError
    from deepcheck.model.classifier import MODELS_DIR, ModelError
    from deepcheck.model.onnx_runtime import OnnxUnavailable

    try:
        return Mtcnn(MODELS_DIR)
    except (VerificationError, OnnxUnavailable) as exc:
        raise ModelError(f"face detector: {exc}") from exc


def crop_box(box: tuple[float, float, float, float], framing: Framing) -> tuple[int, int, int, int]:
    """The square crop (x1, y1, x2, y2) that the model's framing cuts around an MTCNN box."""
    x1, y1, x2, y2 = box
    h = y2 - y1
    side = max(2.0, framing.size_rel_height * h)
    cx = (x1 + x2) / 2
    cy = (y1 + y2) / 2 + framing.shift_y_rel_height * h
    half = side / 2
    return round(cx - half), round(cy - half), round(cx + half), round(cy + half)


def cut_crop(frame: np.ndarray, box: tuple[float, float, float, float], framing: Framing) -> np.ndarray:
    """Cut the framed square from the full-resolution frame, padding with black outside it."""
    x1, y1, x2, y2 = crop_box(box, framing)
    h, w = frame.shape[:2]
    pad = max(0, -x1, -y1, x2 - w, y2 - h)
    if pad:
        frame = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        x1, y1, x2, y2 = x1 + pad, y1 + pad, x2 + pad, y2 + pad
    return np.ascontiguousarray(frame[y1:y2, x1:x2])
