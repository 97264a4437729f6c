"""Face finding (facenet-pytorch MTCNN) and cutting crops with the model's framing.

Detection runs on a downscaled copy (long side ``detect_size``); boxes are
mapped back and crops are cut from the full-resolution frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from deepcheck.card import Framing


@dataclass
class Detection:
    """A face box in original pixels (x1, y1, x2, y2) and MTCNN's confidence."""

    box: tuple[float, float, float, float]
    prob: float
    landmarks: np.ndarray | None = None  # 5×2, original pixels


class FaceDetector:
    """MTCNN with the batching and downscaling edge cases handled.

    facenet-pytorch crashes on a batch where one frame has no face and cannot
    batch frames of different sizes; both are handled here: same-size frames
    are batched, and a failing batch falls back to one frame at a time.
    """

    def __init__(self, device: str = "cpu", min_prob: float = 0.9, detect_size: int = 960, min_face_size: int = 20):
        from facenet_pytorch import MTCNN

        self.mtcnn = MTCNN(keep_all=True, device=device, min_face_size=min_face_size, post_process=False)
        self.min_prob = min_prob
        self.detect_size = detect_size

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        """Faces for each RGB frame, in original pixel coordinates."""
        results: list[list[Detection]] = [[] for _ in frames]
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(frames):
            groups.setdefault(frame.shape, []).append(i)
        for indices in groups.values():
            small, scale = zip(*(self._downscale(frames[i]) for i in indices))
            found = self._guarded_batch(list(small))
            for i, s, (boxes, probs, points) in zip(indices, scale, found):
                results[i] = self._to_detections(boxes, probs, points, s, frames[i].shape)
        return results

    def detect_windows(self, windows: list[np.ndarray], min_face_size: int) -> list[list[Detection]]:
        """Faces in same-size windows, in window pixels, as one batch, with their own smallest face size.

        No downscaling: the caller sized the windows (deepcheck/tracking.py).
        """
        usual, self.mtcnn.min_face_size = self.mtcnn.min_face_size, min_face_size
        try:
            found = self._guarded_batch(windows)
        finally:
            self.mtcnn.min_face_size = usual
        return [self._to_detections(b, p, q, 1.0, w.shape) for (b, p, q), w in zip(found, windows)]

    def _guarded_batch(self, imgs: list[np.ndarray]) -> list[tuple]:
        """MTCNN's (boxes, probs, landmarks) per same-size image; one image at a time if the batch fails."""
        try:
            return self._detect_batch(imgs)
        except Exception:  # facenet-pytorch batch bugs: retry one by one
            found = []
            for img in imgs:
                try:
                    found.extend(self._detect_batch([img]))
                except Exception:
                    found.append((None, None, None))
            return found

    def _downscale(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        h, w = frame.shape[:2]
        long_side = max(h, w)
        if long_side <= self.detect_size:
            return frame, 1.0
        s = self.detect_size / long_side
        return cv2.resize(frame, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA), s

    def _detect_batch(self, imgs: list[np.ndarray]):
        boxes, probs, points = self.mtcnn.detect(np.stack(imgs) if len(imgs) > 1 else imgs, landmarks=True)
        return list(zip(boxes, probs, points))

    def _to_detections(self, boxes, probs, points, scale: float, shape) -> list[Detection]:
        if boxes is None or probs is None:
            return []
        boxes = np.asarray(boxes, dtype=object)
        out = []
        h, w = shape[:2]
        for j in range(len(boxes)):
            if boxes[j] is None or probs[j] is None:
                continue
            prob = float(probs[j])
            if not np.isfinite(prob) or prob < self.min_prob:
                continue
            box = np.asarray(boxes[j], dtype=np.float32) / scale
            x1, y1, x2, y2 = (float(v) for v in box)
            x1, y1, x2, y2 = max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2)
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            lm = None
            if points is not None and points[j] is not None:
                lm = np.asarray(points[j], dtype=np.float32) / scale
            out.append(Detection(box=(x1, y1, x2, y2), prob=prob, landmarks=lm))
        out.sort(key=lambda d: -d.prob)
        return out


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
