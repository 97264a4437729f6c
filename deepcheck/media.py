"""Media decoding: find inputs, recognise them by content, decode images and sample video frames.

Nothing here writes next to the evidence. Files are opened read-only; when
OpenCV cannot open a path (odd characters), a symlink with a plain name is
made in a private temp folder instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_EXTS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm"})
DEFAULT_MAX_PIXELS = 100_000_000


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
    with open(path, "rb") as fh:
        head = fh.read(32)
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
        return "video", "mov" if brand == b"qt  " else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "video", "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "avi"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "webm" if b"webm" in head else "mkv"
    return None


def iter_inputs(paths: list[Path]) -> Iterator[Path]:
    """Expand files and folders (recursively) into files, sorted, each once.

    Folder symlinks are not followed (no loops, no escaping the tree); file
    symlinks are listed and read. Hidden files are included: evidence can hide.
    """
    seen: set[Path] = set()
    for root in paths:
        if root.is_dir():
            found = []
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames.sort()
                found.extend(Path(dirpath) / name for name in filenames)
                # a symlinked folder is not descended into but is reported as a file entry
                found.extend(Path(dirpath) / d for d in dirnames if (Path(dirpath) / d).is_symlink())
            candidates = sorted(found)
        else:
            candidates = [root]
        for path in candidates:
            key = Path(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                yield path


def load_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[np.ndarray, MediaInfo]:
    """Decode an image to RGB uint8 with EXIF orientation applied.

    The pixel count is checked from the header before any pixel is decoded,
    so a decompression bomb is refused without allocating it.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own limit below, checked before decoding
    try:
        with Image.open(path) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise MediaError(
                    f"image is {width}x{height} = {width * height:,} pixels, over the "
                    f"limit of {max_pixels:,} (--max-pixels); refused before decoding"
                )
            info = MediaInfo(kind="image", container=(im.format or "unknown").lower(), width=width, height=height)
            info.extra.update(_exif_tags(im))
            info.extra["mode"] = im.mode
            if getattr(im, "n_frames", 1) > 1:
                info.extra["frames_in_file"] = im.n_frames
                info.extra["note"] = "animated image: the first frame is analysed"
            im.seek(0)
            im = ImageOps.exif_transpose(im)
            rgb = _to_rgb8(im)
    except MediaError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"cannot decode image: {exc}") from exc
    if rgb.shape[0] < 2 or rgb.shape[1] < 2:
        raise MediaError(f"image is too small to hold a face ({rgb.shape[1]}x{rgb.shape[0]})")
    info.width, info.height = rgb.shape[1], rgb.shape[0]
    return rgb, info


def _to_rgb8(im) -> np.ndarray:
    """Any PIL mode (grey, CMYK, 16-bit, alpha, palette) → RGB uint8."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = arr.max() if arr.size else 1.0
        arr = (arr / (65535.0 if top > 255 else 255.0) * 255.0).clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        from PIL import Image

        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8))


def _exif_tags(im) -> dict[str, str]:
    tags = {}
    try:
        exif = im.getexif()
    except Exception:  # broken EXIF must not stop the analysis
        return tags
    for tag_id, name in (
        (0x0131, "exif_software"),
        (0x0132, "exif_datetime"),
        (0x010F, "exif_make"),
        (0x0110, "exif_model"),
    ):
        value = exif.get(tag_id)
        if value:
            tags[name] = str(value).strip("\x00 ")[:200]
    try:
        original = exif.get_ifd(0x8769).get(0x9003)
        if original:
            tags["exif_datetime_original"] = str(original).strip("\x00 ")[:200]
    except Exception:
        pass
    return tags


def read_crop_rgb(path: Path) -> np.ndarray:
    """Decode a face-crop image from bytes (unicode-safe) to RGB uint8."""
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise MediaError(f"cannot decode image {path}")
    return np.ascontiguousarray(img[:, :, ::-1])


class VideoReader:
    """Opens a video with OpenCV, working around paths OpenCV cannot open."""

    def __init__(self, path: Path):
        self.path = path
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        self.cap = cv2.VideoCapture(str(path))
        if not self.cap.isOpened():
            # OpenCV's FFmpeg backend chokes on some names (newlines, odd bytes): use a plain alias.
            self._tmpdir = tempfile.TemporaryDirectory(prefix="deepcheck-")
            alias = Path(self._tmpdir.name) / ("video" + path.suffix.lower()[:8])
            os.symlink(os.path.abspath(path), alias)
            self.cap = cv2.VideoCapture(str(alias))
        if not self.cap.isOpened():
            self.close()
            raise MediaError("cannot open video (unsupported codec, truncated or not a video)")

    def info(self, container: str) -> MediaInfo:
        cap = self.cap
        fps = cap.get(cv2.CAP_PROP_FPS) or None
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ") or None
        return MediaInfo(
            kind="video",
            container=container,
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=round(fps, 3) if fps and fps < 1000 else None,
            frame_count=count if count > 0 else None,
            duration_s=round(count / fps, 3) if fps and count > 0 and fps < 1000 else None,
            codec=codec,
        )

    def close(self) -> None:
        if self.cap is not None:
            self.cap.release()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sample_indices(frame_count: int, n: int) -> list[int]:
    """``n`` frame indices spread evenly over the clip (centres of n equal segments)."""
    if frame_count <= 0 or n <= 0:
        return []
    n = min(n, frame_count)
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


def sample_frames(reader: VideoReader, n: int, frame_count: int | None, fps: float | None) -> Iterator[Frame]:
    """Yield ``n`` evenly spread frames, reading sequentially (grab, retrieve only the wanted).

    Seeking is slow and unreliable on H.264, so the stream is walked once.
    When the container's frame count is missing the frames are counted first
    with grab() (cheap: no decode of pixels into RGB).
    """
    cap = reader.cap
    if not frame_count:
        frame_count = 0
        while cap.grab():
            frame_count += 1
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    wanted = sample_indices(frame_count, n)
    if not wanted:
        return
    targets = iter(wanted)
    target = next(targets)
    index = 0
    while True:
        if not cap.grab():
            return  # the container lied about its length: fewer frames than announced
        if index == target:
            ok, bgr = cap.retrieve()
            if ok and bgr is not None:
                time_s = round(index / fps, 3) if fps else None
                yield Frame(index=index, time_s=time_s, rgb=np.ascontiguousarray(bgr[:, :, ::-1]))
            target = next(targets, None)
            if target is None:
                return
        index += 1
