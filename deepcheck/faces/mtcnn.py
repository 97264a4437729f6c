"""MTCNN (Zhang et al., 2016) on ONNX Runtime: facenet-pytorch 2.5.3's algorithm in numpy, without torch.

The three networks are facenet-pytorch's weights exported to ONNX
(``deepcheck export --mtcnn``; files and SHA-256 in ``models/mtcnn.json``).
The algorithm around them follows ``facenet_pytorch.models.utils.detect_face``
step by step, so boxes and probabilities are facenet-pytorch's
(tests/test_mtcnn.py holds them to it): an image pyramid from the smallest
face size down by ``FACTOR``, P-Net on each level, NMS per level and per
image, box regression, squaring (``_rerec``), then R-Net on 24 px and O-Net
on 48 px crops, each with its threshold, regression and NMS.

Resampling is the one place where reimplementing needs care: facenet-pytorch
resizes with ``interpolate(mode="area")``, which is adaptive average pooling
(bin ``i`` of ``n`` over ``L`` pixels spans ``floor(i·L/n)`` to
``ceil((i+1)·L/n)``). OpenCV's INTER_AREA weights partial pixels instead and
gives different crops, so here every pyramid level and every crop is computed
from one summed-area table per image, with the same bins: exact integer sums,
divided as torch divides. R-Net and O-Net run once per stage on all crops of
all images in the call.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from deepcheck.media.fileio import VerificationError, read_verified
from deepcheck.model.onnx_runtime import open_session

THRESHOLDS = (0.6, 0.7, 0.7)  # P-Net, R-Net, O-Net face probabilities (facenet-pytorch's defaults)
FACTOR = 0.709  # pyramid step
CHUNK = 128  # R-/O-Net crops per runtime call
MIN_SIZE = 12.0  # P-Net's window: no face smaller than this many pixels of its input can be found
CARD = "mtcnn.json"


class Mtcnn:
    """The three verified ONNX networks and the algorithm around them."""

    def __init__(self, models_dir: Path, threads: int | None = None):
        try:
            card = json.loads((models_dir / CARD).read_text(encoding="utf-8"))
            entries = {name: card["files"][name] for name in ("pnet", "rnet", "onet")}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VerificationError(f"MTCNN card {models_dir / CARD} is missing or not valid: {exc}") from exc
        self.pnet, self.rnet, self.onet = (
            open_session(read_verified(models_dir / e["file"], e.get("sha256"), "ONNX file"), threads)
            for e in entries.values()
        )

    def detect(self, imgs: np.ndarray, min_size: float = 20.0) -> list[tuple[np.ndarray, np.ndarray]]:
        """Faces in a batch of same-size RGB uint8 images (N, H, W, 3).

        Per image: boxes (k, 5) as x1, y1, x2, y2, probability, and landmarks (k, 5, 2), in pixels of
        the image, in the order facenet-pytorch gives them (after its last NMS).
        """
        n, h, w = imgs.shape[:3]
        sat = _summed_area(imgs)
        boxes, inds = self._stage1(sat, n, h, w, float(min_size))
        if len(boxes):
            boxes, inds = self._stage2(sat, boxes, inds, h, w)
        points = np.zeros((0, 5, 2), np.float32)
        if len(boxes):
            boxes, inds, points = self._stage3(sat, boxes, inds, h, w)
        return [(boxes[inds == i], points[inds == i]) for i in range(n)]

    def _stage1(self, sat: np.ndarray, n: int, h: int, w: int, min_size: float) -> tuple[np.ndarray, np.ndarray]:
        m = MIN_SIZE / min_size
        minl = min(h, w) * m
        scales, scale = [], m
        while minl >= MIN_SIZE:
            scales.append(scale)
            scale *= FACTOR
            minl *= FACTOR
        boxes, inds = [], []
        for scale in scales:
            level = _area_resize(sat, int(h * scale + 1), int(w * scale + 1))
            reg, prob = self.pnet.run(None, {"x": _normalise(level)})
            b, i = _generate_boxes(reg, prob[:, 1], scale, THRESHOLDS[0])
            pick = _batched_nms(b[:, :4], b[:, 4], i, 0.5)
            boxes.append(b[pick])
            inds.append(i[pick])
        boxes = np.concatenate(boxes) if boxes else np.zeros((0, 9), np.float32)
        inds = np.concatenate(inds) if inds else np.zeros(0, np.int64)
        pick = _batched_nms(boxes[:, :4], boxes[:, 4], inds, 0.7)
        boxes, inds = boxes[pick], inds[pick]
        regw = boxes[:, 2] - boxes[:, 0]
        regh = boxes[:, 3] - boxes[:, 1]
        out = np.stack(
            [
                boxes[:, 0] + boxes[:, 5] * regw,
                boxes[:, 1] + boxes[:, 6] * regh,
                boxes[:, 2] + boxes[:, 7] * regw,
                boxes[:, 3] + boxes[:, 8] * regh,
                boxes[:, 4],
            ],
            axis=1,
        )
        return _rerec(out), inds

    def _stage2(self, sat, boxes, inds, h: int, w: int):
        crops, ok = _crops(sat, boxes, inds, h, w, 24)
        boxes, inds = boxes[ok], inds[ok]
        if not len(boxes):
            return boxes, inds
        reg, prob = _run_in_chunks(self.rnet, crops)
        score = prob[:, 1]
        keep = score > THRESHOLDS[1]
        boxes = np.concatenate([boxes[keep, :4], score[keep, None]], axis=1)
        inds, reg = inds[keep], reg[keep]
        pick = _batched_nms(boxes[:, :4], boxes[:, 4], inds, 0.7)
        boxes, inds, reg = boxes[pick], inds[pick], reg[pick]
        return _rerec(_bbreg(boxes, reg)), inds

    def _stage3(self, sat, boxes, inds, h: int, w: int):
        crops, ok = _crops(sat, boxes, inds, h, w, 48)
        boxes, inds = boxes[ok], inds[ok]
        if not len(boxes):
            return boxes, inds, np.zeros((0, 5, 2), np.float32)
        reg, landmarks, prob = _run_in_chunks(self.onet, crops)
        score = prob[:, 1]
        keep = score > THRESHOLDS[2]
        boxes = np.concatenate([boxes[keep, :4], score[keep, None]], axis=1)
        inds, reg, landmarks = inds[keep], reg[keep], landmarks[keep]
        bw = boxes[:, 2:3] - boxes[:, 0:1] + 1
        bh = boxes[:, 3:4] - boxes[:, 1:2] + 1
        points = np.stack([bw * landmarks[:, :5] + boxes[:, 0:1] - 1, bh * landmarks[:, 5:] + boxes[:, 1:2] - 1], 2)
        boxes = _bbreg(boxes, reg)
        pick = _batched_nms_min(boxes[:, :4], boxes[:, 4], inds, 0.7)
        return boxes[pick], inds[pick], points[pick]


def _run_in_chunks(session, crops: np.ndarray) -> list[np.ndarray]:
    """R-/O-Net over candidate crops, ``CHUNK`` at a time: each crop is scored alone, so the outputs are
    those of one run, and the runtime's working memory stays that of one chunk (640 crops in one run
    took ~100 MB)."""
    parts = [session.run(None, {"x": _normalise(crops[i : i + CHUNK])}) for i in range(0, len(crops), CHUNK)]
    return [np.concatenate(outputs) for outputs in zip(*parts)]


def _summed_area(imgs: np.ndarray) -> np.ndarray:
    """(N, H+1, W+1, 3) integer table: entry [y, x] sums the pixels above and left of (y, x)."""
    n, h, w, c = imgs.shape
    depth, dtype = (cv2.CV_32S, np.int32) if h * w * 255 < 2**31 else (cv2.CV_64F, np.float64)  # exact either way
    sat = np.empty((n, h + 1, w + 1, c), dtype)
    for i in range(n):
        sat[i] = cv2.integral(np.ascontiguousarray(imgs[i]), sdepth=depth).reshape(h + 1, w + 1, c)
    return sat


def _bins(start: np.ndarray, length: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive-pooling bins of ``n`` outputs over [start, start+length): (..., n) begins and ends."""
    i = np.arange(n)
    length = np.asarray(length)[..., None]
    begin = (i * length) // n
    end = -((-(i + 1) * length) // n)  # ceil
    return np.asarray(start)[..., None] + begin, np.asarray(start)[..., None] + end


def _area_resize(sat: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Every image, whole, resized to (out_h, out_w) as torch's interpolate(mode="area"): (N, out_h, out_w, 3)."""
    h, w = sat.shape[1] - 1, sat.shape[2] - 1
    y0, y1 = _bins(0, h, out_h)
    x0, x1 = _bins(0, w, out_w)
    rows = np.take(sat, y1, axis=1) - np.take(sat, y0, axis=1)  # (N, out_h, W+1, 3): sums over row bins
    sums = np.take(rows, x1, axis=2) - np.take(rows, x0, axis=2)
    area = ((y1 - y0)[:, None] * (x1 - x0)[None, :]).astype(np.float32)
    return sums.astype(np.float32) / area[None, :, :, None]


def _crops(sat, boxes, inds, h: int, w: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """facenet-pytorch's crops for R-/O-Net: box cut to the image (``pad``), then area-resized to size²."""
    b = np.trunc(boxes[:, :4]).astype(np.int64)
    x, y = np.maximum(b[:, 0], 1), np.maximum(b[:, 1], 1)
    ex, ey = np.minimum(b[:, 2], w), np.minimum(b[:, 3], h)
    ok = (ey > y - 1) & (ex > x - 1)
    x, y, ex, ey, im = x[ok], y[ok], ex[ok], ey[ok], inds[ok]
    y0, y1 = _bins(y - 1, ey - y + 1, size)  # (k, size)
    x0, x1 = _bins(x - 1, ex - x + 1, size)
    i = im[:, None, None]
    sums = (
        sat[i, y1[:, :, None], x1[:, None, :]]
        - sat[i, y0[:, :, None], x1[:, None, :]]
        - sat[i, y1[:, :, None], x0[:, None, :]]
        + sat[i, y0[:, :, None], x0[:, None, :]]
    )
    area = ((y1 - y0)[:, :, None] * (x1 - x0)[:, None, :]).astype(np.float32)
    return sums.astype(np.float32) / area[..., None], ok


def _normalise(batch: np.ndarray) -> np.ndarray:
    """NHWC pixels → NCHW network input, scaled as facenet-pytorch does."""
    return np.ascontiguousarray(((batch - np.float32(127.5)) * np.float32(0.0078125)).transpose(0, 3, 1, 2))


def _generate_boxes(reg, prob, scale: float, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """P-Net cells at or above the threshold as (x1, y1, x2, y2, score, 4 regressions), with their image."""
    img, yy, xx = np.nonzero(prob >= threshold)
    score = prob[img, yy, xx]
    offsets = reg[img, :, yy, xx]
    cells = np.stack([xx, yy], axis=1).astype(np.float32)
    s = np.float32(scale)
    q1 = np.floor((2 * cells + 1) / s)
    q2 = np.floor((2 * cells + 12) / s)
    return np.concatenate([q1, q2, score[:, None], offsets], axis=1).astype(np.float32), img


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """torchvision.ops.nms: drop boxes whose IoU with a higher-scoring kept box exceeds the threshold."""
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        iw = np.maximum(np.float32(0), np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        ih = np.maximum(np.float32(0), np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = iw * ih
        order = rest[inter / (areas[i] + areas[rest] - inter) <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _batched_nms(boxes, scores, inds, threshold: float) -> np.ndarray:
    """NMS within each image; kept indices by descending score, as torchvision's batched_nms returns them."""
    keep = [np.flatnonzero(inds == i)[_nms(boxes[inds == i], scores[inds == i], threshold)] for i in np.unique(inds)]
    keep = np.concatenate(keep) if keep else np.zeros(0, np.int64)
    return keep[np.argsort(-scores[keep], kind="stable")]


def _batched_nms_min(boxes, scores, inds, threshold: float) -> np.ndarray:
    """facenet-pytorch's last NMS: overlap over the smaller box ("Min"), areas with +1, per image."""
    keep = []
    for img in np.unique(inds):
        members = np.flatnonzero(inds == img)
        x1, y1, x2, y2 = boxes[members].T
        area = (x2 - x1 + 1) * (y2 - y1 + 1)
        order = np.argsort(scores[members])
        while order.size:
            i, rest = order[-1], order[:-1]
            keep.append(members[i])
            iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
            ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
            order = rest[iw * ih / np.minimum(area[i], area[rest]) <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _rerec(boxes: np.ndarray) -> np.ndarray:
    """Square each box on its centre, side = its longer edge."""
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    side = np.maximum(w, h)
    boxes[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    boxes[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def _bbreg(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Move each box's edges by the network's regression, in units of its size (+1, as facenet-pytorch)."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    moved = np.stack([boxes[:, 0] + reg[:, 0] * w, boxes[:, 1] + reg[:, 1] * h, boxes[:, 2] + reg[:, 2] * w,
                      boxes[:, 3] + reg[:, 3] * h], axis=1)  # fmt: skip
    boxes = boxes.copy()
    boxes[:, :4] = moved
    return boxes
