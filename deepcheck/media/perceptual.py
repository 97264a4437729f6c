"""Perceptual hashes of decoded pictures: Meta's PDQ for stills, vPDQ (PDQ of one frame per second) for videos.

PDQ is the open hash that StopNCII and platform hash-sharing use, so a hash computed here can be matched
against their lists. The maintained bindings (``pdqhash``, ``vpdq``) publish no wheels, so this is a numpy
port of Meta's reference (ThreatExchange ``pdq/python/pdqhashing/hasher/pdq_hasher.py``, the same steps as
``pdq/cpp/hashing/pdqhashing.cpp``): luma, two passes of Jarosz box filters, 64x64 decimation, the 16x16
corner of a DCT, bits above the median. tests/test_perceptual.py checks it against the hashes Meta
publishes for its test images.

Pictures over 512 px are first shrunk to fit within 512x512 (aspect kept), as Meta's Python
reference does with ``thumbnail((512, 512))``: the hash barely moves and a 12-megapixel photo costs no more
than a small one. Nothing here decodes: callers hand over the pixels the scan has already decoded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

PDQ_BITS = 256
PDQ_HEX_LEN = 64
PDQ_MATCH_DISTANCE = 31  # Meta's "confident match" threshold (ThreatExchange PDQ_CONFIDENT_MATCH_THRESHOLD)
PDQ_MIN_QUALITY = 50  # below this Meta's tools neither share nor match a hash (flat, featureless pictures)
DOWNSAMPLE_PX = 512
VPDQ_SECONDS_PER_HASH = 1.0
VPDQ_MATCH_PERCENT = 80.0  # Meta's vPDQ: share of the query's frames that must find a match

_LUMA = np.array([0.299, 0.587, 0.114])
_DCT = math.sqrt(2.0 / 64.0) * np.cos(
    (math.pi / 2 / 64.0) * np.outer(np.arange(1, 17), 2 * np.arange(64) + 1)
)  # 16x64: rows 1..16 of the 64-point DCT-II


def fit_within(rgb: np.ndarray, side: int = DOWNSAMPLE_PX) -> np.ndarray:
    """The picture shrunk so that neither side exceeds ``side``; unchanged when it fits.

    Halved (2x2 averages, OpenCV's fast path) while at least twice too big, then bilinear to
    size: 0-4 bits from Meta's published hashes of its large test images (tests/test_perceptual.py), at a
    tenth of the cost of area averaging (benchmarks/README.md).
    """
    import cv2

    while max(rgb.shape[:2]) >= 2 * side:
        h, w = rgb.shape[:2]
        rgb = cv2.resize(np.ascontiguousarray(rgb), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return rgb
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_LINEAR)


def pdq(rgb: np.ndarray) -> tuple[str, int]:
    """PDQ hash (64 hex digits) and quality (0-100) of an RGB (or grey) uint8 picture."""
    small = fit_within(rgb)
    luma = small.astype(np.float64) @ _LUMA if small.ndim == 3 else small.astype(np.float64)
    rows, cols = luma.shape
    col_index, col_weight = _blur_and_decimate(cols)
    row_index, row_weight = _blur_and_decimate(rows)
    across = (luma[:, col_index] * col_weight).sum(axis=2)  # rows x 64
    small64 = (across[row_index] * row_weight[:, :, None]).sum(axis=1)  # 64 x 64
    quality = _quality(small64)
    dct = _DCT @ small64 @ _DCT.T
    median = np.sort(dct, axis=None)[127]  # Torben's median as Meta's code takes it: the 128th smallest
    bits = (dct > median).ravel()  # bit k = row * 16 + column
    return _hex(bits), quality


@lru_cache(maxsize=64)
def _blur_and_decimate(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Meta's downsampling along one axis as 64 short weighted sums: (input indices, weights), each 64 x k.

    Both box-filter passes along an axis are linear, so they fold into one 64 x n matrix (cached per
    picture size: a video's frames share it). Each of its rows is non-zero on a window of about
    n / 64 inputs, so it is kept as that window: a picture's 64x64 is two gathers and sums, with no BLAS
    call (which, threaded on this shared 2-core machine, took 10-25 ms for the same products).
    """
    window = -(-n // 128)  # ceil(n / 128), Meta's Jarosz window size
    m = _box(_box(np.eye(n), window, axis=0), window, axis=0)
    rows = m[((np.arange(64) + 0.5) * n / 64).astype(int)]
    width = int((rows != 0).sum(axis=1).max())
    index = np.zeros((64, width), dtype=np.intp)
    weight = np.zeros((64, width))
    for i, row in enumerate(rows):
        nz = np.flatnonzero(row)
        index[i, : len(nz)], weight[i, : len(nz)] = nz, row[nz]
    return index, weight


def _box(values: np.ndarray, window: int, axis: int) -> np.ndarray:
    """Meta's box1DFloat along ``axis``: the mean over a window, shortened (not padded) at the edges."""
    n = values.shape[axis]
    half = (window + 2) // 2
    out = np.arange(n)
    lo = np.clip(out - (window - half), 0, n)
    hi = np.clip(out + half, 0, n)
    sums = np.cumsum(values, axis=axis)
    sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=axis)), sums], axis=axis)
    total = np.take(sums, hi, axis=axis) - np.take(sums, lo, axis=axis)
    count = (hi - lo).astype(np.float64)
    return total / (count if axis == 1 else count[:, None])


def _quality(small64: np.ndarray) -> int:
    """Meta's heuristic: the sum of significant gradients of the 64x64 picture, scaled to at most 100."""
    down = np.trunc((small64[:-1, :] - small64[1:, :]) * 100 / 255)
    across = np.trunc((small64[:, :-1] - small64[:, 1:]) * 100 / 255)
    total = int(np.abs(down).sum() + np.abs(across).sum())
    return min(100, total // 90)


def _hex(bits: np.ndarray) -> str:
    """Meta's hex spelling: bit k of the hash is bit k of a 256-bit number, written big-endian."""
    value = 0
    for k in np.flatnonzero(bits):
        value |= 1 << int(k)
    return f"{value:064x}"


_HEX: dict[int, re.Pattern[str]] = {}


def is_pdq(text: object) -> bool:
    """True for a PDQ hash as lists write it: 64 hex digits."""
    return isinstance(text, str) and is_hex(text, PDQ_HEX_LEN)


def is_hex(text: str, length: int) -> bool:
    """Exactly ``length`` hex digits (no sign, ``0x`` or ``_``, which ``int(text, 16)`` would let through)."""
    return _HEX.get(length, re.compile(f"[0-9a-fA-F]{{{length}}}")).fullmatch(text) is not None


def hamming(a: str, b: str) -> int:
    """Bits that differ between two PDQ hashes (hex)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass
class VpdqFeature:
    """One hashed video frame, in Meta's compact vPDQ form ``hex,quality,timestamp``."""

    pdq: str
    quality: int
    time_s: float

    def __str__(self) -> str:
        return f"{self.pdq},{self.quality},{self.time_s:.3f}"

    @classmethod
    def parse(cls, text: str) -> VpdqFeature:
        """The inverse of ``str()``; ValueError when malformed."""
        parts = str(text).split(",")
        if len(parts) != 3 or not is_pdq(parts[0]):
            raise ValueError(f"not a vPDQ frame 'hex,quality,seconds': {str(text)[:80]!r}")
        quality, seconds = int(parts[1]), float(parts[2])
        if not 0 <= quality <= 100 or seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f"vPDQ frame out of range: {str(text)[:80]!r}")
        return cls(parts[0].lower(), quality, seconds)


@dataclass
class VpdqCollector:
    """Hashes one frame per ``interval_s`` of a video while the sampler decodes it (no second decode).

    The sampler offers every frame it decodes, with its time; the first frame at or after each whole
    interval is hashed. Frames the decoder skipped (non-reference frames) are never offered, so a mark
    takes the next decoded frame, at most a fraction of a second late: the timestamp says which.
    """

    interval_s: float = VPDQ_SECONDS_PER_HASH
    features: list[VpdqFeature] = field(default_factory=list)
    note: str | None = None  # how the frames were chosen when not one per second, or why hashing stopped
    _next: float = 0.0

    def wants(self, time_s: float | None) -> bool:
        return time_s is not None and time_s >= self._next

    def add(self, time_s: float, rgb: np.ndarray) -> None:
        hex_, quality = pdq(rgb)
        self.features.append(VpdqFeature(hex_, quality, round(time_s, 3)))
        self._next = (math.floor(time_s / self.interval_s) + 1) * self.interval_s

    def compact(self) -> list[str]:
        return [str(f) for f in self.features]


def vpdq_match_percent(query: list[VpdqFeature], other: list[VpdqFeature], distance: int) -> tuple[float, float]:
    """Meta's vPDQ comparison: (share of ``query``'s frames found in ``other``, share of ``other``'s in ``query``).

    As in ThreatExchange's ``match_VPDQ_hash_brute``: identical frame hashes are counted once, frames
    under quality 50 are left out, and a frame matches when any frame of the other video is within
    ``distance`` bits.
    """
    return vpdq_words_percent(vpdq_words(query), vpdq_words(other), distance)


def vpdq_words(features: list[VpdqFeature]) -> np.ndarray:
    """A video's usable frames as words (quality 50 or more, each hash once): prepared once, compared often."""
    return as_words(_usable(features))


def vpdq_words_percent(a: np.ndarray, b: np.ndarray, distance: int) -> tuple[float, float]:
    """:func:`vpdq_match_percent` on frames that :func:`vpdq_words` prepared."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    near = _pairwise_distance(a, b) <= distance
    return 100.0 * near.any(axis=1).sum() / len(a), 100.0 * near.any(axis=0).sum() / len(b)


def _usable(features: list[VpdqFeature]) -> list[str]:
    seen: dict[str, None] = {}
    for f in features:
        if f.quality >= PDQ_MIN_QUALITY:
            seen.setdefault(f.pdq, None)
    return list(seen)


def as_words(hashes: list[str]) -> np.ndarray:
    """PDQ hex strings as an (n, 4) uint64 array, for vectorised Hamming distances."""
    if not hashes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = np.frombuffer(bytes.fromhex("".join(hashes)), dtype=">u8").reshape(-1, 4)
    return raw.astype(np.uint64)


def popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per row of a uint64 array (summed over the last axis)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)
    as_bytes = words.view(np.uint8)
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)
    return table[as_bytes].reshape(*words.shape[:-1], -1).sum(axis=-1)


def _pairwise_distance(xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    return popcount(xa[:, None, :] ^ xb[None, :, :])
