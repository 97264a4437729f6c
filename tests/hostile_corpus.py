"""Hostile inputs, all made here from the astronaut photo: one function per kind of trouble.

Used by test_hostile.py (each case asserted), test_evidence.py (nothing
modified) and test_fuzz.py (seeds for mutation).
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np


def jpeg_bytes(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def png_bytes(array: np.ndarray) -> bytes:
    """PNG of an RGB/RGBA uint8 or 16-bit array (channel order as given is RGB)."""
    if array.ndim == 3:
        array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]
    ok, buf = cv2.imencode(".png", array)
    assert ok
    return buf.tobytes()


def pil_bytes(image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header claiming width×height RGB pixels (7.5 GB decoded) and a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def face_frames(face: np.ndarray, frames: int, size=(320, 240)) -> list[np.ndarray]:
    """RGB frames: the astronaut (160 px) sliding across a grey background."""
    w, h = size
    side = min(160, h)
    small = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    out = []
    for i in range(frames):
        canvas = np.full((h, w, 3), 90, np.uint8)
        x = int((w - side) * i / max(1, frames - 1))
        y = (h - side) // 2
        canvas[y : y + side, x : x + side] = small
        out.append(canvas)
    return out


def write_video(path: Path, frames: list[np.ndarray], fourcc: str = "mp4v", fps: float = 15.0) -> Path:
    h, w = frames[0].shape[:2] if frames else (48, 64)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(np.ascontiguousarray(f[:, :, ::-1]))
    writer.release()
    return path


def rotate_mp4(data: bytes, degrees_clockwise: int = 90) -> bytes:
    """Set the first track's display matrix (tkhd), as phones do for portrait video."""
    out = bytearray(data)
    at = out.find(b"tkhd")
    assert at > 0 and out[at + 4] == 0  # version 0 tkhd
    matrix_at = at + 4 + 4 + 20 + 8 + 8
    one, w = 0x10000, 0x40000000
    matrices = {90: (0, one, 0, -one, 0, 0, 0, 0, w), 270: (0, -one, 0, one, 0, 0, 0, 0, w)}
    out[matrix_at : matrix_at + 36] = struct.pack(">9i", *matrices[degrees_clockwise])
    return bytes(out)


def avi_claiming(data: bytes, frames: int) -> bytes:
    """An AVI whose headers (avih total frames, strh length) claim ``frames`` frames."""
    out = bytearray(data)
    avih = out.find(b"avih")
    strh = out.find(b"strh")
    assert avih > 0 and strh > 0
    struct.pack_into("<I", out, avih + 8 + 16, frames)
    struct.pack_into("<I", out, strh + 8 + 32, frames)
    return bytes(out)


def audio_only_mp4(path: Path) -> Path:
    """An MP4 holding one AAC audio track and no video (made with PyAV)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(12):
            frame = av.AudioFrame.from_ndarray(
                (0.1 * np.sin(np.arange(1024, dtype=np.float32) / 8)).reshape(1, -1), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 16000, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def faststart_h264(path: Path, frames: list[np.ndarray], fps: int = 15) -> Path:
    """H.264 MP4 with the index (moov) first, so a truncated copy still opens (made with PyAV)."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def build(root: Path, face: np.ndarray) -> dict[str, Path]:
    """Write every hostile case under ``root``; returns case name → path."""
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    cases: dict[str, Path] = {}

    def put(name: str, filename: str, data: bytes) -> Path:
        path = root / filename
        path.write_bytes(data)
        cases[name] = path
        return path

    jpg = jpeg_bytes(face)
    png = png_bytes(face)
    clip_path = write_video(root / "clip.mp4", face_frames(face, 12))
    clip = clip_path.read_bytes()
    cases["clip"] = clip_path
    put("face_jpeg", "face.jpg", jpg)
    put("zero_bytes", "empty.jpg", b"")
    put("truncated_jpeg", "truncated.jpg", jpg[: len(jpg) // 3])
    put("truncated_png", "truncated.png", png[: len(png) // 2])
    put("truncated_mp4", "truncated.mp4", clip[: len(clip) // 2])
    rng = np.random.default_rng(5)
    put("random_jpg", "random.jpg", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    put("random_mp4", "random.mp4", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    put("random_png", "random.png", b"\x89PNG\r\n\x1a\n" + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    put("jpeg_named_mp4", "photo.mp4", jpg)
    put("mp4_named_jpg", "video.jpg", clip)
    put("png_bomb", "bomb.png", png_bomb())
    put("one_pixel", "one_pixel.png", png_bytes(np.full((1, 1, 3), 128, np.uint8)))
    put("grayscale", "gray.jpg", pil_bytes(Image.fromarray(face).convert("L"), "JPEG", quality=92))
    put("cmyk_jpeg", "cmyk.jpg", pil_bytes(Image.fromarray(face).convert("CMYK"), "JPEG", quality=92))
    gray16 = (np.asarray(Image.fromarray(face).convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    put("gray16_png", "gray16.png", png_bytes(gray16))
    put("rgb16_png", "rgb16.png", png_bytes(face.astype(np.uint16) * 257))
    alpha = np.dstack([face, np.full(face.shape[:2], 200, np.uint8)])
    alpha[:40, :40, 3] = 0
    put("rgba_png", "alpha.png", png_bytes(alpha))
    put("palette_png", "palette.png", pil_bytes(Image.fromarray(face).quantize(256), "PNG"))
    put("tiff", "scan.tif", pil_bytes(Image.fromarray(face), "TIFF", compression="tiff_lzw"))
    put("bmp", "old.bmp", pil_bytes(Image.fromarray(face), "BMP"))
    put("heic", "phone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200))
    anim = [Image.fromarray(np.roll(face, 8 * i, axis=1)) for i in range(3)]
    put("animated_gif", "animated.gif", pil_bytes(anim[0], "GIF", save_all=True, append_images=anim[1:], duration=100))
    put(
        "animated_webp",
        "animated.webp",
        pil_bytes(anim[0], "WEBP", save_all=True, append_images=anim[1:], duration=100, quality=90),
    )
    cases["no_track_mp4"] = write_video(root / "no_tracks.mp4", [])
    cases["zero_frame_avi"] = write_video(root / "zero_frames.avi", [], fourcc="MJPG")
    cases["audio_only_mp4"] = audio_only_mp4(root / "audio_only.mp4")
    avi = write_video(root / "_tmp.avi", face_frames(face, 20), fourcc="MJPG").read_bytes()
    (root / "_tmp.avi").unlink()
    put("claims_too_many_frames", "claims_1e6_frames.avi", avi_claiming(avi, 1_000_000))
    put("claims_too_few_frames", "claims_3_frames.avi", avi_claiming(avi, 3))
    upright = face_frames(face, 8, size=(240, 320))  # portrait 240×320
    sideways = [np.ascontiguousarray(np.rot90(f, k=1)) for f in upright]  # stored 320×240, turned left
    stored = write_video(root / "_tmp_rot.mp4", sideways).read_bytes()
    (root / "_tmp_rot.mp4").unlink()
    put("rotated_phone_video", "portrait_rotated.mp4", rotate_mp4(stored, 90))
    h264 = faststart_h264(root / "_tmp.mp4", face_frames(face, 30)).read_bytes()
    (root / "_tmp.mp4").unlink()
    put("truncated_faststart_mp4", "truncated_faststart.mp4", h264[: len(h264) * 9 // 10])
    folder = root / "folder.mp4"
    folder.mkdir()
    cases["folder_named_mp4"] = folder
    put("inside_folder_named_mp4", "folder.mp4/inner.jpg", jpg)
    put("text_file", "notes.txt", b"just some notes\n")
    os.mkfifo(root / "pipe.mp4")
    cases["fifo"] = root / "pipe.mp4"
    return cases
