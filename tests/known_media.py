"""Real inputs for the known-material tests: H.264 clips made with PyAV, copies of them, a Telegram export."""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np


def sliding_face_clip(path: Path, face: np.ndarray, size=(640, 480), seconds: int = 4, fps: int = 10, crf: int = 20):
    """The astronaut sliding over a grey background, encoded with libx264 at ``crf``."""
    w, h = size
    side = min(w, h) * 2 // 3
    small = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(seconds * fps):
        canvas = np.full((h, w, 3), 90, np.uint8)
        x = int((w - side) * i / max(1, seconds * fps - 1))
        canvas[(h - side) // 2 : (h - side) // 2 + side, x : x + side] = small
        frames.append(canvas)
    return write_clip(path, frames, fps, crf)


def panning_clip(path: Path, picture: np.ndarray, size=(640, 480), seconds: int = 4, fps: int = 10):
    """A different scene: a picture filling the frame, panned slowly."""
    w, h = size
    big = cv2.resize(picture, (w * 3 // 2, h), interpolation=cv2.INTER_AREA)
    frames = [big[:, int((w // 2) * i / (seconds * fps)) :][:, :w].copy() for i in range(seconds * fps)]
    return write_clip(path, frames, fps, 20)


def reencoded(source: Path, path: Path, size: tuple[int, int] | None = None, crf: int = 30) -> Path:
    """A copy of ``source`` decoded and encoded again (optionally resized): new bytes, same pictures."""
    with av.open(str(source)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        fps = int(round(float(container.streams.video[0].average_rate)))
    if size is not None:
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    return write_clip(path, frames, fps, crf)


def write_clip(path: Path, frames: list[np.ndarray], fps: int, crf: int) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)}
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def telegram_export(root: Path, face: np.ndarray, other: np.ndarray, full_account: bool = False) -> dict:
    """A small Telegram Desktop export in its documented layout: photos, a video, a forward, a missing file."""
    (root / "photos").mkdir(parents=True)
    (root / "video_files").mkdir()
    cv2.imwrite(str(root / "photos" / "photo_1@01-02-2025_10-00-00.jpg"), face[:, :, ::-1])
    cv2.imwrite(str(root / "photos" / "photo_2@01-02-2025_10-05-00.jpg"), other[:, :, ::-1])
    sliding_face_clip(root / "video_files" / "clip_1.mp4", face, size=(320, 240), seconds=2)
    chat = {
        "name": "Leaks 24/7",
        "type": "public_channel",
        "id": 1234567890,
        "messages": [
            {"id": 1, "type": "service", "date": "2025-02-01T09:59:00", "action": "create_channel"},
            {
                "id": 2,
                "type": "message",
                "date": "2025-02-01T10:00:00",
                "date_unixtime": "1738404000",
                "from": "Leaks 24/7",
                "from_id": "channel1234567890",
                "photo": "photos/photo_1@01-02-2025_10-00-00.jpg",
                "width": 512,
                "height": 512,
                "text": "",
            },
            {
                "id": 3,
                "type": "message",
                "date": "2025-02-01T10:05:00",
                "date_unixtime": "1738404300",
                "from": "Mallory",
                "from_id": "user42",
                "forwarded_from": "Another Channel",
                "photo": "photos/photo_2@01-02-2025_10-05-00.jpg",
                "text": "fwd",
            },
            {
                "id": 4,
                "type": "message",
                "date": "2025-02-01T10:07:00",
                "date_unixtime": "1738404420",
                "from": "Mallory",
                "from_id": "user42",
                "file": "video_files/clip_1.mp4",
                "media_type": "video_file",
                "mime_type": "video/mp4",
                "duration_seconds": 2,
                "text": "",
            },
            {
                "id": 5,
                "type": "message",
                "date": "2025-02-01T10:09:00",
                "date_unixtime": "1738404540",
                "from": "Mallory",
                "from_id": "user42",
                "file": "(File not included. Change data exporting settings to download.)",
                "media_type": "video_file",
                "text": "too big",
            },
            {
                "id": 6,
                "type": "message",
                "date": "2025-02-01T10:10:00",
                "date_unixtime": "1738404600",
                "from": "Mallory",
                "from_id": "user42",
                "photo": "photos/photo_9@01-02-2025_10-10-00.jpg",
                "text": "deleted from the export folder",
            },
        ],
    }
    doc = {"about": "Here is the data you requested.", "chats": {"list": [chat]}} if full_account else chat
    (root / "result.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return chat
