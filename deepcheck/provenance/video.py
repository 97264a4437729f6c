"""Video container tags (PyAV): encoder, handler names, creation times, Apple QuickTime keys.

PyAV reads the container header through the same descriptor path the decoder
uses (deepcheck/video.py: an in-memory copy or ``/proc/self/fd/N``), never
through a Python file-object bridge; no frame is decoded. Tags are kept as
written, each value capped.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from deepcheck.provenance.limits import MAX_ITEMS, clip

# tags kept from the container and from each stream (others are counted, not kept)
CONTAINER_TAGS = ("encoder", "creation_time", "major_brand", "compatible_brands", "comment", "title", "artist", "date")
STREAM_TAGS = ("handler_name", "encoder", "creation_time", "vendor_id", "language")
APPLE_PREFIX = "com.apple.quicktime."
ANDROID_PREFIX = "com.android."


def read_video(fh: BinaryIO) -> tuple[dict[str, Any], list[str]]:
    """(container tags, notes). Never raises: a header PyAV cannot read gives a note."""
    try:
        import av

        from deepcheck.video import ffmpeg_path
    except ImportError:
        return {}, ["PyAV is not installed: video container tags were not read"]
    snapshot = None
    try:
        url, snapshot = ffmpeg_path(fh.fileno())
        with av.open(url, mode="r", metadata_errors="replace") as container:
            tags = _pick(container.metadata, CONTAINER_TAGS, prefixes=(APPLE_PREFIX, ANDROID_PREFIX))
            streams = []
            for stream in list(container.streams)[:MAX_ITEMS]:
                entry = {"index": stream.index, "type": stream.type}
                codec = getattr(getattr(stream, "codec_context", None), "name", None)
                if codec:
                    entry["codec"] = codec
                entry.update(_pick(stream.metadata, STREAM_TAGS, prefixes=(APPLE_PREFIX,)))
                streams.append(entry)
            out: dict[str, Any] = {"format": clip(container.format.name, 100), "tags": tags, "streams": streams}
    except Exception as exc:  # av.error.*, or anything a hostile header provokes
        return {}, [f"video container tags could not be read: {type(exc).__name__}: {clip(exc, 200)}"]
    finally:
        if snapshot is not None:
            os.close(snapshot)
    return out, []


def _pick(metadata: dict, keys: tuple[str, ...], prefixes: tuple[str, ...]) -> dict[str, str]:
    picked = {}
    for key, value in (metadata or {}).items():
        if key in keys or key.startswith(prefixes):
            picked[clip(key, 100)] = clip(value, 500)
        if len(picked) >= MAX_ITEMS:
            break
    return picked
