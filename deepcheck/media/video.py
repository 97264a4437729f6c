"""Video decoding with PyAV: open a clip from its read-only descriptor, index its packets, decode its frames.

How frames are chosen from the stream is in ``deepcheck/media/sampling.py``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import av

from deepcheck.media.evidence import open_readonly
from deepcheck.media.formats import MediaError, MediaInfo

SNAPSHOT_MAX_BYTES = 512 * 1024 * 1024  # videos up to this size are decoded from an in-memory copy
MAX_BAD_PACKETS = 64  # packets that fail to decode before a stream is given up as corrupt

# What PyAV and FFmpeg raise on damaged or hostile input; turned into MediaError (a per-file error record).
DECODE_ERRORS = (av.FFmpegError, OSError, ValueError, IndexError, OverflowError, UnicodeError, RuntimeError)


av.logging.set_level(None)  # FFmpeg warns on every hostile file; the record already says what failed


class VideoReader:
    """A video opened with PyAV (FFmpeg) from an open file, never from its name.

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
    get an error record. No bridge that reads from a Python file object is
    used: OpenCV's crashed (SIGSEGV) on damaged AVIs. Rotation metadata
    (display matrix) is applied to the frames; the reported width and height
    are those of the rotated frames.
    """

    def __init__(self, source: Path | BinaryIO):
        self.path = source if isinstance(source, (str, os.PathLike)) else None
        self._own_file = self.path is not None
        self.file: BinaryIO = os.fdopen(open_readonly(source), "rb") if self._own_file else source
        self.container = None
        self.stream = None
        self._snapshot: int | None = None
        self._index: tuple[list[int], list[int]] | None = None
        try:
            self._url = self._decoder_path()
        except BaseException:
            self.close()
            raise
        self._open()

    def _decoder_path(self) -> str:
        url, self._snapshot = ffmpeg_path(self.file.fileno())
        return url

    def _open(self) -> None:
        try:
            self.container = av.open(self._url, mode="r", metadata_errors="replace")  # tags as provenance reads them
            streams = self.container.streams.video
        except DECODE_ERRORS as exc:
            reason = video_open_failure(self.file)
            self.close()
            raise MediaError(reason) from exc
        if not streams:
            reason = video_open_failure(self.file, no_video=True)
            self.close()
            raise MediaError(reason)
        self.stream = streams[0]
        self.stream.thread_type = "AUTO"

    def rewind(self) -> None:
        """Start again from the first frame (reopening is more reliable than seeking on odd files)."""
        if self.container is not None:
            self.container.close()
        self._open()

    def packet_index(self, on_packet: Callable[[int], None] | None = None) -> tuple[list[int], list[int]]:
        """Presentation times of the stream's packets (sorted) and the positions of key frames in that list.

        Demuxing only: cheap, and it counts what is really in the stream, not
        what the header claims. Packets without a timestamp count in stream
        order. Cached; the reader is rewound afterwards.
        """
        if self._index is None:
            stamps, keys = [], []
            order = 0
            try:
                for packet in self.container.demux(self.stream):
                    if packet.size == 0:
                        continue
                    pts = packet.pts if packet.pts is not None else packet.dts
                    stamps.append((pts if pts is not None else order, packet.is_keyframe))
                    order += 1
                    if on_packet is not None:
                        on_packet(order)  # the caller's time limit
            except DECODE_ERRORS:
                pass  # a damaged tail: keep the packets read so far
            stamps.sort(key=lambda item: item[0])
            pts_list = [p for p, _ in stamps]
            keys = [i for i, (_, key) in enumerate(stamps) if key]
            self._index = (pts_list, keys)
            self.rewind()
        return self._index

    def info(self, container: str) -> MediaInfo:
        stream = self.stream
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        count = int(stream.frames or 0)
        width, height = stream.codec_context.width, stream.codec_context.height
        rotation = 0
        first = self._first_frame()
        if first is not None:
            width, height = first.width, first.height
            rotation = rotation_of(first)
            if rotation in (90, 270):
                width, height = height, width
        info = MediaInfo(
            kind="video",
            container=container,
            width=int(width),
            height=int(height),
            fps=round(fps, 3) if fps and fps < 1000 else None,
            frame_count=count if count > 0 else None,
            duration_s=round(count / fps, 3) if fps and count > 0 and fps < 1000 else None,
            codec=stream.codec_context.name or None,
        )
        if rotation:
            info.extra["rotation"] = rotation
            info.extra["note_rotation"] = f"rotation metadata ({rotation}°) applied to the frames"
        return info

    def _first_frame(self) -> av.VideoFrame | None:
        """The first decodable frame (for its size and rotation); the reader is rewound afterwards."""
        try:
            for frame in decoded_frames(self):
                return frame
            return None
        finally:
            self.rewind()

    def close(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            finally:
                self.container = None
                self.stream = None
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


def rotation_of(frame: av.VideoFrame) -> int:
    """Clockwise degrees (0, 90, 180, 270) that turn the decoded frame upright."""
    try:
        return int(round(-frame.rotation / 90.0)) % 4 * 90  # PyAV gives counter-clockwise degrees
    except DECODE_ERRORS:  # a malformed display matrix
        return 0


def decoded_frames(
    reader: VideoReader, max_packets: int | None = None, before_decode: Callable[[av.Packet], None] | None = None
) -> Iterator[av.VideoFrame]:
    """Decoded frames in presentation order; damaged packets are skipped, up to ``MAX_BAD_PACKETS``.

    ``max_packets`` bounds the packets read (a seek that lands on nothing decodable must not read on);
    ``before_decode`` sees each packet first (to change the decoder's frame skipping for it).
    """
    bad = 0
    read = 0
    try:
        packets = reader.container.demux(reader.stream)
        while max_packets is None or read < max_packets:
            read += 1
            try:
                packet = next(packets)
            except StopIteration:
                return
            except DECODE_ERRORS:
                return  # a damaged container tail ends the stream
            if before_decode is not None:
                before_decode(packet)
            try:
                frames = packet.decode()
            except DECODE_ERRORS:
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    return
                continue
            yield from frames
    except DECODE_ERRORS as exc:
        raise MediaError(f"cannot decode video: {exc}") from exc


def ffmpeg_path(fd: int) -> tuple[str, int | None]:
    """A path naming the open file ``fd``, or its in-memory copy, for FFmpeg (see VideoReader), and the
    copy's descriptor, which the caller closes (None when FFmpeg reads ``fd`` itself)."""
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        size = os.fstat(fd).st_size
        if size <= SNAPSHOT_MAX_BYTES:
            snapshot = _memory_copy(fd, size)
            return f"/proc/self/fd/{snapshot}", snapshot
        return f"/proc/self/fd/{fd}", None
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return f"{folder}/{fd}", None
    raise MediaError("videos cannot be decoded on this system: it has no /proc/self/fd or /dev/fd")


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


def video_open_failure(fh: BinaryIO, no_video: bool = False) -> str:
    """Why FFmpeg could not open a file: says 'audio-only' or 'no frames' when the MP4 boxes show it."""
    tracks = mp4_track_kinds(fh)
    if tracks is not None:
        if not tracks:
            return "cannot open video: the container holds no tracks (an empty or unfinished recording)"
        if "vide" not in tracks:
            return f"no video track: an audio-only or data-only file (tracks: {', '.join(tracks)})"
    if no_video:
        return "no video stream in the file (audio-only, data-only, or not a video)"
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
