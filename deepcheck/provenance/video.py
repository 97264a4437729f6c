"""Video container tags (PyAV): encoder, handler names, creation times, Apple QuickTime keys.

In a scan the header comes from the container the decoder has already opened;
``deepcheck inspect`` opens it through the same descriptor path the decoder
uses (deepcheck/media/video.py: an in-memory copy or ``/proc/self/fd/N``), never
through a Python file-object bridge. No frame is decoded. Tags are kept as
written, each value capped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, BinaryIO

from deepcheck.provenance.limits import MAX_ITEMS, clip

# tags kept from the container and from each stream (others are counted, not kept)
CONTAINER_TAGS = ("encoder", "creation_time", "major_brand", "compatible_brands", "comment", "title", "artist", "date")
STREAM_TAGS = ("handler_name", "encoder", "creation_time", "vendor_id", "language")
APPLE_PREFIX = "com.apple.quicktime."
ANDROID_PREFIX = "com.android."


def read_video(fh: BinaryIO, opened: Any = None) -> tuple[dict[str, Any], list[str]]:
    """(container tags, notes). Never raises: a header PyAV cannot read gives a note.

    ``opened`` is the PyAV container a scan's decoder already has open on this file: its header is
    read from there, not parsed (and the file copied) a second time.
    """
    if opened is not None:
        return _guarded(lambda: container_tags(opened))
    try:
        import av

        from deepcheck.media.video import ffmpeg_path
    except ImportError:
        return {}, ["PyAV is not installed: video container tags were not read"]

    def read() -> dict[str, Any]:
        url, snapshot = ffmpeg_path(fh.fileno())
        try:
            with av.open(url, mode="r", metadata_errors="replace") as container:
                return container_tags(container)
        finally:
            if snapshot is not None:
                os.close(snapshot)

    return _guarded(read)


def container_tags(container: Any) -> dict[str, Any]:
    """The format, the kept container tags and each stream's kind, codec and kept tags."""
    tags = _pick(container.metadata, CONTAINER_TAGS, prefixes=(APPLE_PREFIX, ANDROID_PREFIX))
    streams = []
    for stream in list(container.streams)[:MAX_ITEMS]:
        entry = {"index": stream.index, "type": stream.type}
        codec = getattr(getattr(stream, "codec_context", None), "name", None)
        if codec:
            entry["codec"] = codec
        entry.update(_pick(stream.metadata, STREAM_TAGS, prefixes=(APPLE_PREFIX,)))
        streams.append(entry)
    return {"format": clip(container.format.name, 100), "tags": tags, "streams": streams}


def _guarded(read: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    try:
        return read(), []
    except Exception as exc:  # av.error.*, or anything a hostile header provokes
        return {}, [f"video container tags could not be read: {type(exc).__name__}: {clip(exc, 200)}"]


def _pick(metadata: dict, keys: tuple[str, ...], prefixes: tuple[str, ...]) -> dict[str, str]:
    picked = {}
    for key, value in (metadata or {}).items():
        if key in keys or key.startswith(prefixes):
            picked[clip(key, 100)] = clip(value, 500)
        if len(picked) >= MAX_ITEMS:
            break
    return picked
