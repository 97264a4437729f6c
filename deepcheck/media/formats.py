"""Media types and recognition: what a file is (by its bytes), and the records decoders hand on.

Decoding lives in images.py, video.py and sampling.py beside it. Nothing there writes
anywhere. Decoders are handed an open, read-only file (see deepcheck/media/evidence.py), never a name, and every
decoder failure becomes a ``MediaError`` whose message goes into the file's record.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deepcheck.media.evidence import open_readonly

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif"})
VIDEO_EXTS = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".3gp"})
DEFAULT_MAX_PIXELS = 100_000_000
DEFAULT_MAX_SECONDS = 300.0

# PIL plugins allowed per sniffed container: content picks the decoder, and no other plugin
# (EPS via Ghostscript, exotic formats) ever sees evidence bytes.
PIL_FORMATS = {
    "jpeg": ["JPEG", "MPO"],
    "png": ["PNG"],
    "webp": ["WEBP"],
    "bmp": ["BMP"],
    "tiff": ["TIFF"],
    "gif": ["GIF"],
    "heic": [],
    "avif": ["AVIF"],
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class MediaError(Exception):
    """A file could not be decoded; the message goes into the report."""


@dataclass
class Frame:
    """One decoded RGB frame; ``time_s`` is None for still images."""

    index: int
    time_s: float | None
    rgb: np.ndarray


@dataclass
class MediaInfo:
    """What the report says about a file's media (never the pixels)."""

    kind: str  # image | video
    container: str
    width: int = 0
    height: int = 0
    fps: float | None = None
    frame_count: int | None = None
    duration_s: float | None = None
    codec: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def sniff(path: Path) -> tuple[str, str] | None:
    """(kind, container) from the file's first bytes, or None if not media we read."""
    fd = open_readonly(path)
    try:
        head = os.pread(fd, 32, 0)
    finally:
        os.close(fd)
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> tuple[str, str] | None:
    """(kind, container) from a file's first 32 bytes, or None if not media we read."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "webp"
    if head.startswith(b"BM") and len(head) >= 26:
        return "image", "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image", "heic"
        if brand in _AVIF_BRANDS:
            return "image", "avif"
        return "video", "mov" if brand == b"qt  " else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "video", "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "avi"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "webm" if b"webm" in head else "mkv"
    return None


def error_reason(exc: BaseException) -> str:
    """An exception as one line for a record: its type, and its message when it has one."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
