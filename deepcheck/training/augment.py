"""Training augmentations that mimic what evidence goes through.

Evidence is re-compressed by messengers and platforms, resized, blurred and
colour-shifted; the face box at inference is never exactly the training box.
Each transform takes and returns an RGB uint8 array.
"""

from __future__ import annotations

import cv2
import numpy as np


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1].copy() if ok else img


def down_up(img: np.ndarray, factor: float) -> np.ndarray:
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(8, int(w * factor)), max(8, int(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma)


def noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noisy = img.astype(np.float32) + rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def colour(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness, contrast and saturation jitter of up to ±20%."""
    x = img.astype(np.float32)
    x = x * rng.uniform(0.8, 1.2)
    mean = x.mean()
    x = (x - mean) * rng.uniform(0.8, 1.2) + mean
    grey = x.mean(axis=2, keepdims=True)
    x = (x - grey) * rng.uniform(0.8, 1.2) + grey
    return np.clip(x, 0, 255).astype(np.uint8)


def reframe(img: np.ndarray, rng: np.random.Generator, scale: float = 0.1, shift: float = 0.06) -> np.ndarray:
    """Zoom and shift the crop a little, so framing errors at inference don't matter."""
    h, w = img.shape[:2]
    s = rng.uniform(1 - scale, 1 + scale)
    tx, ty = rng.uniform(-shift, shift, size=2) * (w, h)
    m = np.array([[s, 0, (1 - s) * w / 2 + tx], [0, s, (1 - s) * h / 2 + ty]], dtype=np.float32)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)


def evidence_augment(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The training-time chain: geometry first, then capture and transmission damage."""
    if rng.random() < 0.5:
        img = img[:, ::-1].copy()
    if rng.random() < 0.5:
        img = reframe(img, rng)
    if rng.random() < 0.4:
        img = colour(img, rng)
    if rng.random() < 0.2:
        img = blur(img, rng.uniform(0.4, 1.5))
    if rng.random() < 0.25:
        img = down_up(img, rng.uniform(0.35, 0.8))
    if rng.random() < 0.15:
        img = noise(img, rng.uniform(2, 8), rng)
    if rng.random() < 0.5:
        img = jpeg(img, rng.integers(30, 101))
    return img
