"""Training augmentations that mimic what evidence goes through.

Evidence is re-compressed by messengers and platforms, resized, blurred and
colour-shifted; the face box at inference is never exactly the training box.
Each transform takes and returns an RGB uint8 array.
"""

from __future__ import annotations

import fractions

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


def _even(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return img if h % 2 == 0 and w % 2 == 0 else cv2.resize(img, (w + w % 2, h + h % 2))


def video_codec(img: np.ndarray, crf: int, codec: str = "libx264") -> np.ndarray:
    """One frame through a real H.264/H.265 encoder at ``crf`` and back (PyAV's libx264/libx265).

    A lone frame is intra-coded: block transform, quantisation and deblocking as
    in a clip's key frames. Where PyAV is missing (the GPU machine has none), a
    JPEG of matched quality with a light blur stands in (:func:`_codec_standin`).
    """
    h, w = img.shape[:2]
    src = _even(img)
    try:
        import av
    except ImportError:
        return _codec_standin(img, crf)
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height = src.shape[1], src.shape[0]
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = fractions.Fraction(1, 25)
    ctx.options = {"crf": str(int(crf)), "preset": "veryfast" if codec == "libx264" else "superfast"}
    if codec == "libx265":
        ctx.options = {**ctx.options, "x265-params": "log-level=none"}
    packets = list(ctx.encode(av.VideoFrame.from_ndarray(src, format="rgb24"))) + list(ctx.encode(None))
    dec = av.CodecContext.create("h264" if codec == "libx264" else "hevc", "r")
    frames = [f for p in packets for f in dec.decode(p)] + list(dec.decode(None))
    if not frames:
        return img
    out = frames[0].to_ndarray(format="rgb24")
    return out if out.shape[:2] == (h, w) else cv2.resize(out, (w, h))


def _codec_standin(img: np.ndarray, crf: int) -> np.ndarray:
    """JPEG at a quality matched to ``crf``, then a light blur in place of H.264's deblocking filter."""
    quality = int(np.clip(90 - (crf - 23) * 3.5, 12, 95))
    return blur(jpeg(img, quality), 0.6)


def messaging(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a messaging app does to a photo: long side at most 1,280 px, JPEG 70-90, sometimes twice.

    A face crop stands for a face in a larger picture, so the resize is a random
    shrink of the face (a 1080p+ source brought to 1,280 px), then back to size.
    """
    if rng.random() < 0.6:
        img = down_up(img, rng.uniform(0.45, 0.95))
    img = jpeg(img, int(rng.integers(70, 91)))
    if rng.random() < 0.3:
        img = jpeg(img, int(rng.integers(70, 91)))
    return img


def evidence_augment(img: np.ndarray, rng: np.random.Generator, codecs: bool = False) -> np.ndarray:
    """The training-time chain: geometry first, then capture and transmission damage.

    ``codecs`` adds what evidence has really been through: H.264/H.265 at CRF
    23-45 and messaging-app recompression, each instead of the plain JPEG step.
    """
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
    r = rng.random() if codecs else 1.0
    if r < 0.3:
        img = video_codec(img, int(rng.integers(23, 46)), "libx265" if rng.random() < 0.1 else "libx264")
    elif r < 0.5:
        img = messaging(img, rng)
    elif rng.random() < 0.5:
        img = jpeg(img, rng.integers(30, 101))
    return img
