"""The speed benchmark's workload, made from a public-domain photo (skimage.data.astronaut()).

Clips are H.264 (PyAV's libx264, as phones and platforms deliver) with the
astronaut's face drifting and bobbing over a textured, lightly noisy
background, so the encoder and decoder do real work (a flat background
would make decoding unrealistically cheap). Photos are ~1 MP JPEGs with one
face each. Everything is cached by its parameters, so repeated runs reuse it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FPS = 30


def _background(w: int, h: int, seed: int) -> np.ndarray:
    """A smooth coloured texture (blurred noise), a stand-in for a room behind the person."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 200, size=(max(2, h // 40), max(2, w // 40), 3), dtype=np.uint8)
    bg = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(bg, (0, 0), 3)


def _face(side: int) -> np.ndarray:
    import skimage.data

    head = skimage.data.astronaut()[:, :, ::-1]  # BGR, 512×512, face near the top centre
    return cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)


def frame_at(bg: np.ndarray, face: np.ndarray, t: float, noise: np.ndarray) -> np.ndarray:
    """The scene at time t (s): the face drifts sideways and bobs, as a talking head does."""
    h, w = bg.shape[:2]
    fh, fw = face.shape[:2]
    x = int((w - fw) * (0.35 + 0.25 * np.sin(2 * np.pi * t / 10.0)))
    y = int((h - fh) * (0.45 + 0.08 * np.sin(2 * np.pi * t / 2.7)))
    img = bg.copy()
    img[y : y + fh, x : x + fw] = face
    return cv2.add(img, noise)


def make_clip(path: Path, width: int, height: int, seconds: float, seed: int = 0, preset: str = "veryfast") -> Path:
    """A ``seconds`` long clip at 30 fps, H.264 via PyAV, else mp4v via OpenCV."""
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    bg = _background(width, height, seed)
    face = _face(int(height * 0.55))
    rng = np.random.default_rng(seed + 1)
    noises = [rng.integers(0, 6, size=(height, width, 3), dtype=np.uint8) for _ in range(4)]
    n = int(round(seconds * FPS))
    tmp = path.with_suffix(".part.mp4")
    try:
        import av

        with av.open(str(tmp), "w") as container:
            stream = container.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"preset": preset, "crf": "23"}
            for i in range(n):
                img = frame_at(bg, face, i / FPS, noises[i % len(noises)])
                frame = av.VideoFrame.from_ndarray(img, format="bgr24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    except ImportError:  # PyAV is a dev extra; OpenCV's wheel writes mp4v only
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
        for i in range(n):
            writer.write(frame_at(bg, face, i / FPS, noises[i % len(noises)]))
        writer.release()
    tmp.rename(path)
    return path


def make_photo(path: Path, seed: int) -> Path:
    """A ~1 MP (1152×864) JPEG with one face at a seed-dependent place and size."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    bg = _background(1152, 864, seed)
    face = _face(int(rng.integers(300, 520)))
    if seed % 2:
        face = face[:, ::-1]
    h, w = face.shape[:2]
    x, y = int(rng.integers(0, 1152 - w)), int(rng.integers(0, 864 - h))
    bg[y : y + h, x : x + w] = face
    cv2.imwrite(str(path), bg, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def make_workload(root: Path, clips: int = 5, photos: int = 60, long_minutes: float = 0.0) -> dict[str, list[Path]]:
    """Folders of 1080p clips, 720p clips and photos under ``root`` (made once, then reused)."""
    out: dict[str, list[Path]] = {"1080p": [], "720p": [], "photos": [], "long": []}
    for i in range(clips):
        out["1080p"].append(make_clip(root / "1080p" / f"clip{i}.mp4", 1920, 1080, 10.0, seed=i))
        out["720p"].append(make_clip(root / "720p" / f"clip{i}.mp4", 1280, 720, 10.0, seed=100 + i))
    for i in range(photos):
        out["photos"].append(make_photo(root / "photos" / f"photo{i:03d}.jpg", seed=i))
    if long_minutes > 0:
        for minutes in (1.0, long_minutes):
            name = f"long_{minutes:g}min.mp4"
            # ultrafast: a 10-minute clip is made in minutes; it is for memory, not for speed
            out["long"].append(make_clip(root / "long" / name, 1920, 1080, minutes * 60, seed=500, preset="ultrafast"))
    return out
