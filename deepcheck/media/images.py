"""Image decoding: one still from an open, read-only file, with a pixel limit, to RGB uint8."""

from __future__ import annotations

import os
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np

from deepcheck.media.evidence import open_readonly
from deepcheck.media.formats import DEFAULT_MAX_PIXELS, PIL_FORMATS, MediaError, MediaInfo, error_reason, sniff_bytes


def load_image(
    source: Path | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS, container: str | None = None
) -> tuple[np.ndarray, MediaInfo]:
    """Decode an image (a path or an open binary file) to RGB uint8, EXIF orientation applied.

    The pixel count is checked from the header before any pixel is decoded,
    so a decompression bomb is refused without allocating it. Only the PIL
    plugin matching the sniffed content is allowed to parse the bytes. An
    animated GIF/WebP gives its first frame (noted in the media info).
    Every failure, whatever the decoder raised, becomes a MediaError.
    """
    with ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            fh = stack.enter_context(os.fdopen(open_readonly(source), "rb"))
        else:
            fh = source
        if container is None:
            found = sniff_bytes(os.pread(fh.fileno(), 32, 0))
            container = found[1] if found else None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                rgb, info = _decode_image(fh, max_pixels, container)
            if caught:  # e.g. "Corrupt EXIF data": worth a line in the report, not a line on the terminal
                info.extra["decoder_warnings"] = sorted({str(w.message).strip()[:200] for w in caught})[:5]
            return rgb, info
        except MediaError:
            raise
        except MemoryError as exc:
            raise MediaError("out of memory while decoding the image") from exc
        except Exception as exc:  # hostile bytes reach odd corners of PIL: any failure is a decode error
            raise MediaError(f"cannot decode image: {error_reason(exc)}") from exc


def _decode_image(fh: BinaryIO, max_pixels: int, container: str | None) -> tuple[np.ndarray, MediaInfo]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = None  # our own limit below, checked before decoding
    formats = PIL_FORMATS.get(container or "")
    if formats is not None and not formats:
        raise MediaError(f"{container.upper()} images are not supported; convert to JPEG or PNG to analyse")
    fh.seek(0)
    try:
        im = Image.open(fh, formats=formats)
    except Exception as exc:
        if container == "avif":
            raise MediaError("AVIF images are not supported by this installation's Pillow") from exc
        raise
    with im:
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
    if rgb.ndim != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise MediaError(f"image decoded to an empty picture (shape {rgb.shape})")
    info.width, info.height = rgb.shape[1], rgb.shape[0]
    return rgb, info


def _to_rgb8(im) -> np.ndarray:
    """Any PIL mode (grey, CMYK, 16-bit, alpha, palette) → RGB uint8."""
    if im.mode.startswith("I;16"):
        arr = np.asarray(im, dtype=np.float64) / 257.0  # 16-bit range → 8-bit range
        arr = arr.round().clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    if im.mode == "I":
        arr = np.asarray(im, dtype=np.float64)
        top = arr.max() if arr.size else 1.0
        arr = (arr / (65535.0 if top > 255 else 255.0) * 255.0).clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info):
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
