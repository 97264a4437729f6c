"""Video decoding: open a clip from its read-only descriptor and sample frames within a time limit."""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np

from deepcheck.evidence import open_readonly
from deepcheck.media import Frame, MediaError, MediaInfo

_DECODER_LOGS_QUIETED = False


def _quiet_decoder_logs() -> None:
    """FFmpeg and OpenCV print warnings for every hostile file; the record already says what failed.

    Set OPENCV_FFMPEG_LOGLEVEL yourself (e.g. 24) to see FFmpeg's messages again.
    """
    global _DECODER_LOGS_QUIETED
    if not _DECODER_LOGS_QUIETED:
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        try:
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        except AttributeError:
            pass
        _DECODER_LOGS_QUIETED = True


_quiet_decoder_logs()  # before OpenCV first starts FFmpeg, which reads the level once


SNAPSHOT_MAX_BYTES = 512 * 1024 * 1024  # videos up to this size are decoded from an in-memory copy


class VideoReader:
    """A video opened with OpenCV's FFmpeg backend from an open file, never from its name.

    FFmpeg is given a path to the *open descriptor*, not the file's name, so it
    never parses the name (no protocols such as ``http:``, no ``%d`` patterns,
    no trouble with newlines or leading dashes) and reads the file that was
    hashed even if the name now points elsewhere. On Linux, a video up to
    ``SNAPSHOT_MAX_BYTES`` is first copied, through the evidence descriptor
    (so with ``O_NOATIME``), into an anonymous in-memory file (``memfd``), and
    FFmpeg reads that copy by ``/proc/self/fd/N``: the evidence's access time
    does not move and the bytes cannot change under the decoder. A larger
    video is read by ``/proc/self/fd/N`` (``/dev/fd/N`` on macOS and the BSDs)
    of the evidence descriptor itself; FFmpeg's own open of that path lacks
    ``O_NOATIME``, so its access time may change. Where neither exists, videos
    get an error record. OpenCV's bridge that reads from a Python file object
    is never used: it crashed (SIGSEGV) on damaged AVIs. FFmpeg applies
    rotation metadata (display matrix) by default; the reported width and
    height are those of the rotated frames.
    """

    def __init__(self, source: Path | BinaryIO):
        _quiet_decoder_logs()
        self.path = source if isinstance(source, (str, os.PathLike)) else None
        self._own_file = self.path is not None
        self.file: BinaryIO = os.fdopen(open_readonly(source), "rb") if self._own_file else source
        self.cap = None
        self._snapshot: int | None = None
        try:
            self._url = self._decoder_path()
        except BaseException:
            self.close()
            raise
        self._open()

    def _decoder_path(self) -> str:
        """A path naming the open file (or its in-memory copy) for FFmpeg."""
        fd = self.file.fileno()
        if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
            size = os.fstat(fd).st_size
            if size <= SNAPSHOT_MAX_BYTES:
                self._snapshot = _memory_copy(fd, size)
                return f"/proc/self/fd/{self._snapshot}"
            return f"/proc/self/fd/{fd}"
        for folder in ("/proc/self/fd", "/dev/fd"):
            if os.path.isdir(folder):
                return f"{folder}/{fd}"
        raise MediaError("videos cannot be decoded on this system: it has no /proc/self/fd or /dev/fd")

    def _open(self) -> None:
        try:
            self.cap = cv2.VideoCapture(self._url, cv2.CAP_FFMPEG)
        except cv2.error as exc:
            self.close()
            raise MediaError(f"cannot open video: {exc}") from exc
        if not self.cap.isOpened():
            reason = video_open_failure(self.file)
            self.close()
            raise MediaError(reason)

    def rewind(self) -> None:
        """Start again from the first frame (reopening is more reliable than seeking on odd files)."""
        self.cap.release()
        self._open()

    def info(self, container: str) -> MediaInfo:
        cap = self.cap
        fps = cap.get(cv2.CAP_PROP_FPS) or None
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ") or None
        info = MediaInfo(
            kind="video",
            container=container,
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=round(fps, 3) if fps and fps < 1000 else None,
            frame_count=count if count > 0 else None,
            duration_s=round(count / fps, 3) if fps and count > 0 and fps < 1000 else None,
            codec=codec,
        )
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)
        if rotation:
            info.extra["rotation"] = rotation
            info.extra["note_rotation"] = f"rotation metadata ({rotation}°) applied to the frames"
        return info

    def close(self) -> None:
        if self.cap is not None:
            self.cap.release()
            self.cap = None
        if self._snapshot is not None:
            os.close(self._snapshot)
            self._snapshot = None
        if self._own_file and self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _memory_copy(fd: int, size: int) -> int:
    """An anonymous in-memory file holding the first ``size`` bytes read through ``fd`` (position untouched)."""
    snapshot = os.memfd_create("deepcheck-video", getattr(os, "MFD_CLOEXEC", 0))
    try:
        offset = 0
        while offset < size:
            sent = os.sendfile(snapshot, fd, offset, min(size - offset, 1 << 30))
            if sent == 0:
                break  # the file shrank since it was hashed: the changed-file check reports it
            offset += sent
    except BaseException:
        os.close(snapshot)
        raise
    return snapshot


def video_open_failure(fh: BinaryIO) -> str:
    """Why FFmpeg could not open a file: says 'audio-only' or 'no frames' when the MP4 boxes show it."""
    tracks = mp4_track_kinds(fh)
    if tracks is not None:
        if not tracks:
            return "cannot open video: the container holds no tracks (an empty or unfinished recording)"
        if "vide" not in tracks:
            return f"no video track: an audio-only or data-only file (tracks: {', '.join(tracks)})"
    return "cannot open video (unsupported codec, truncated, or not a video)"


def mp4_track_kinds(fh: BinaryIO, max_boxes: int = 4096) -> list[str] | None:
    """Handler types ('vide', 'soun', …) of an ISO-BMFF (MP4/MOV) file's tracks; None if no moov box.

    Reads only box headers, with bounded loops, so hostile sizes cannot make it run away.
    """
    fd = fh.fileno()
    size = os.fstat(fd).st_size
    budget = [max_boxes]

    def boxes(start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        pos = start
        while pos + 8 <= end and budget[0] > 0:
            budget[0] -= 1
            head = os.pread(fd, 16, pos)
            if len(head) < 8:
                return
            box_size, kind = struct.unpack(">I4s", head[:8])
            header = 8
            if box_size == 1 and len(head) == 16:
                box_size, header = struct.unpack(">Q", head[8:16])[0], 16
            elif box_size == 0:
                box_size = end - pos
            if box_size < header or pos + box_size > end:
                return
            yield kind, pos + header, pos + box_size
            pos += box_size

    for kind, start, end in boxes(0, size):
        if kind != b"moov":
            continue
        found = []
        for tkind, tstart, tend in boxes(start, end):
            if tkind != b"trak":
                continue
            for mkind, mstart, mend in boxes(tstart, tend):
                if mkind != b"mdia":
                    continue
                for hkind, hstart, _hend in boxes(mstart, mend):
                    if hkind == b"hdlr":
                        handler = os.pread(fd, 4, hstart + 8)
                        found.append(handler.decode("latin-1").strip("\x00 ") or "?")
        return found
    return None


def sample_indices(frame_count: int, n: int) -> list[int]:
    """``n`` frame indices spread evenly over the clip (centres of n equal segments)."""
    if frame_count <= 0 or n <= 0:
        return []
    n = min(n, frame_count)
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


@dataclass
class Samples:
    """Frames sampled from a video, with what the walk learnt about the stream's real length."""

    frames: list[Frame]
    frames_in_stream: int | None = None  # counted, when the whole stream was walked
    note: str | None = None  # set when the container's frame count was wrong


class _Clock:
    """The per-file decode-time limit, checked between frames."""

    def __init__(self, max_seconds: float | None):
        self.max_seconds = max_seconds
        self.stop_at = None if not max_seconds or max_seconds <= 0 else time.monotonic() + max_seconds

    def check(self, frames_read: int) -> None:
        if self.stop_at is not None and time.monotonic() > self.stop_at:
            raise MediaError(
                f"decoding stopped after {frames_read:,} frames: over the limit of "
                f"{self.max_seconds:g} s per file (--max-seconds)"
            )


def read_samples(
    reader: VideoReader,
    n: int,
    frame_count: int | None,
    fps: float | None,
    *,
    max_pixels: int | None = None,
    max_seconds: float | None = None,
) -> Samples:
    """``n`` evenly spread frames, reading the stream sequentially (grab; retrieve only the wanted).

    Seeking is slow and unreliable on H.264, so the stream is walked once.
    The container's frame count is checked, not trusted: the walk goes to
    its announced end and one frame past it. When the stream is shorter, or
    longer by more than one sampling step (frames an adversary could hide
    behind a lying header), the frames are sampled again over the real
    length. Without a frame count the frames are counted first (grab only).
    At most ``n`` frames are held; ``max_pixels`` and ``max_seconds`` bound
    each frame's size and the file's total decode time.
    """
    clock = _Clock(max_seconds)
    if not frame_count:
        counted = _count_frames(reader, clock)
        reader.rewind()
        frames, _ = _walk(reader, sample_indices(counted, n), counted, fps, clock, max_pixels, verify=False)
        return Samples(frames, frames_in_stream=counted)
    frames, stream = _walk(reader, sample_indices(frame_count, n), frame_count, fps, clock, max_pixels, verify=True)
    if stream is None:
        return Samples(frames)
    note = f"the container claims {frame_count:,} frames but the stream has {stream:,}"
    missed = len(sample_indices(frame_count, n)) - len(frames)
    step = max(1, frame_count // max(1, n))
    if (stream < frame_count and missed > 0) or stream - frame_count > step:
        reader.rewind()
        frames, _ = _walk(reader, sample_indices(stream, n), stream, fps, clock, max_pixels, verify=False)
        note += "; frames were sampled over the real length"
    return Samples(frames, frames_in_stream=stream, note=note)


def _count_frames(reader: VideoReader, clock: _Clock) -> int:
    count = 0
    while reader.cap.grab():
        count += 1
        clock.check(count)
    return count


def _walk(
    reader: VideoReader,
    wanted: list[int],
    expected: int,
    fps: float | None,
    clock: _Clock,
    max_pixels: int | None,
    verify: bool,
) -> tuple[list[Frame], int | None]:
    """Retrieve the wanted frames; with ``verify``, return the real frame count if it is not ``expected``."""
    cap = reader.cap
    targets = set(wanted)
    frames: list[Frame] = []
    last = wanted[-1] if wanted else -1
    index = 0
    while True:
        if not verify and index > last:
            return frames, None
        if verify and index > expected:
            break  # one frame past the announced end exists: the stream is longer
        if not cap.grab():
            return frames, (index if verify and index != expected else None)
        clock.check(index + 1)
        if index in targets:
            ok, bgr = cap.retrieve()
            if ok and bgr is not None and bgr.ndim == 3 and bgr.size:
                h, w = bgr.shape[:2]
                if max_pixels is not None and w * h > max_pixels:
                    raise MediaError(f"a frame is {w}x{h}, over the pixel limit of {max_pixels:,} (--max-pixels)")
                time_s = round(index / fps, 3) if fps else None
                frames.append(Frame(index=index, time_s=time_s, rgb=np.ascontiguousarray(bgr[:, :, ::-1])))
        index += 1
    total = index
    while cap.grab():  # count the hidden tail (grab only, bounded by the clock)
        total += 1
        clock.check(total)
    return frames, total


def sample_frames(
    reader: VideoReader,
    n: int,
    frame_count: int | None,
    fps: float | None,
    *,
    max_pixels: int | None = None,
    max_seconds: float | None = None,
) -> Iterator[Frame]:
    """The frames of :func:`read_samples` (kept for callers that iterate)."""
    yield from read_samples(reader, n, frame_count, fps, max_pixels=max_pixels, max_seconds=max_seconds).frames
