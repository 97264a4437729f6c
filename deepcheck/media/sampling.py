"""Which video frames are analysed: sample points spread over the stream, decoded within a time limit.

Sampling first reads the packet index (demuxing only, no decoding), which gives
the stream's real length whatever the header claims. Frames are then decoded
in one of three ways (``sampling``):

- ``reference`` (the default for clips up to ``LONG_VIDEO_S``): the decoder
  skips non-reference frames (``skip_frame=NONREF``; about half of an H.264
  stream with B-frames), and each sample point takes the nearest decoded
  frame. Nothing after the last sample point is decoded.
- ``keyframes`` (the default for longer clips, when the stream has enough key
  frames): each sample point seeks to its nearest key frame and decodes that
  frame alone, so the cost does not grow with the clip's length.
- ``every``: every frame is decoded and each sample point is exact.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np

from deepcheck.media.formats import Frame, MediaError
from deepcheck.media.perceptual import DOWNSAMPLE_PX, VpdqCollector
from deepcheck.media.video import DECODE_ERRORS, VideoReader, decoded_frames, rotation_of

LONG_VIDEO_S = 120.0  # above this, sampling="auto" seeks to key frames instead of decoding the stream
SAMPLING_MODES = ("auto", "reference", "keyframes", "every")


def sample_indices(frame_count: int, n: int) -> list[int]:
    """``n`` frame indices spread evenly over the clip (centres of n equal segments)."""
    if frame_count <= 0 or n <= 0:
        return []
    n = min(n, frame_count)
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


@dataclass
class Samples:
    """Frames sampled from a video, with what sampling learnt about the stream."""

    frames: list[Frame]
    frames_in_stream: int | None = None  # set when the container's count is missing or wrong
    note: str | None = None  # set when the container's frame count was wrong
    method: str = ""  # how the frames were chosen (reference, keyframes, every), for the report


class Clock:
    """The per-file decode-time limit, checked between packets and frames."""

    def __init__(self, max_seconds: float | None):
        self.max_seconds = max_seconds
        self.stop_at = None if not max_seconds or max_seconds <= 0 else time.monotonic() + max_seconds

    def check(self, count: int, what: str = "decoding") -> None:
        if self.stop_at is not None and time.monotonic() > self.stop_at:
            verb = "reading" if what == "read" else "decoding"
            raise MediaError(
                f"{verb} stopped after {count:,} frames: over the limit of "
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
    sampling: str = "auto",
    vpdq: VpdqCollector | None = None,
) -> Samples:
    """``n`` frames spread evenly over the stream's real length (see the module docstring for ``sampling``).

    The container's frame count is checked against the packet index, not
    trusted: frames are always spread over the real length, so frames hidden
    behind a lying header are reached too. At most ``n`` frames are held;
    ``max_pixels`` and ``max_seconds`` bound each frame's size and the file's
    total time. ``vpdq`` is offered each frame decoded on the way, to hash one per second.
    """
    if sampling not in SAMPLING_MODES:
        raise ValueError(f"sampling must be one of {', '.join(SAMPLING_MODES)}, not {sampling!r}")
    clock = Clock(max_seconds)
    pts_list, keys = reader.packet_index(lambda count: clock.check(count, "read"))
    counted = len(pts_list)
    samples = Samples([])
    if not frame_count:
        samples.frames_in_stream = counted
    elif counted != frame_count:
        samples.frames_in_stream = counted
        samples.note = (
            f"the container claims {frame_count:,} frames but the stream has {counted:,}; "
            "frames were sampled over the real length"
        )
    wanted = sample_indices(counted, n)
    if not wanted:
        return samples
    mode = sampling
    if mode == "auto":
        long_clip = bool(fps) and counted / fps > LONG_VIDEO_S
        mode = "keyframes" if long_clip and len(keys) >= 2 * len(wanted) else "reference"
    times = _times(reader, pts_list)
    if mode == "keyframes":
        frames = _at_key_frames(reader, wanted, pts_list, keys, times, clock, max_pixels, vpdq)
        if vpdq is not None:
            vpdq.note = "vPDQ from the key frames decoded near the sample points (a long clip), not one per second"
        samples.method = f"key frames: {len(frames)} of the stream's {len(keys):,} key frames, near the sample points"
    else:
        frames, decoded = _walk(
            reader, wanted, pts_list, times, clock, max_pixels, skip_nonref=mode == "reference", vpdq=vpdq
        )
        if mode == "reference":
            samples.method = (
                f"reference frames: non-reference frames skipped; each sample point took the nearest of "
                f"{decoded:,} decoded frames"
            )
        else:
            samples.method = f"every frame: {decoded:,} frames decoded, exact sample points"
    samples.frames = frames
    return samples


def _times(reader: VideoReader, pts_list: list[int]) -> Callable[[int], float | None]:
    """Seconds from the stream's first frame, for a packet position."""
    base = float(reader.stream.time_base) if reader.stream.time_base else None
    first = pts_list[0] if pts_list else 0

    def at(position: int) -> float | None:
        if base is None:
            return None
        return round((pts_list[position] - first) * base, 3)

    return at


def _position(pts_list: list[int], pts: int | None, fallback: int) -> int:
    """The frame's position in presentation order, from its timestamp."""
    if pts is None:
        return min(fallback, len(pts_list) - 1)
    return min(bisect.bisect_left(pts_list, pts), len(pts_list) - 1)


def _picture(frame: av.VideoFrame, index: int, time_s: float | None, max_pixels: int | None) -> Frame:
    w, h = frame.width, frame.height
    if max_pixels is not None and w * h > max_pixels:
        raise MediaError(f"a frame is {w}x{h}, over the pixel limit of {max_pixels:,} (--max-pixels)")
    try:
        rgb = frame.to_ndarray(format="rgb24")
    except DECODE_ERRORS as exc:
        raise MediaError(f"cannot convert a video frame: {exc}") from exc
    turns = rotation_of(frame) // 90
    if turns:
        rgb = np.rot90(rgb, k=-turns)
    return Frame(index=index, time_s=time_s, rgb=np.ascontiguousarray(rgb))


def _offer(vpdq: VpdqCollector | None, frame: av.VideoFrame, time_s: float | None) -> None:
    """Hash this decoded frame for vPDQ when it is the first at or after the next whole second.

    The decoder scales it straight to at most 512 px (what PDQ would shrink it to anyway), which costs far
    less than a full-size RGB conversion. A hashing failure ends the vPDQ, never the analysis.
    """
    if vpdq is None or not vpdq.wants(time_s) or vpdq.note:
        return
    try:
        w, h = frame.width, frame.height
        scale = min(1.0, DOWNSAMPLE_PX / max(w, h, 1))
        size = {"width": max(1, round(w * scale)), "height": max(1, round(h * scale))}
        rgb = frame.reformat(format="rgb24", interpolation="AREA", **size).to_ndarray()
        turns = rotation_of(frame) // 90
        if turns:
            rgb = np.rot90(rgb, k=-turns)
        vpdq.add(time_s, rgb)
    except (*DECODE_ERRORS, MemoryError) as exc:
        vpdq.note = f"vPDQ stopped at {time_s:g} s: {type(exc).__name__}: {exc}"


def _mark_packets(
    reader: VideoReader, pts_list: list[int], times: Callable[[int], float | None], vpdq: VpdqCollector | None
) -> Callable[[av.Packet], None] | None:
    """Decode, despite NONREF skipping, the frame shown at each whole second (vPDQ's frames).

    Which frames are reference frames depends on the encoder, so a re-encoded copy would otherwise be
    hashed a few frames off the mark and miss its original in fast motion. A non-reference frame is
    referenced by nothing, so decoding one more costs one frame a second and changes no other frame.
    """
    if vpdq is None or not pts_list or times(0) is None:
        return None
    seconds = [times(i) or 0.0 for i in range(len(pts_list))]
    wanted = {pts_list[i] for i in (bisect.bisect_left(seconds, k) for k in range(int(seconds[-1]) + 1))}
    context = reader.stream.codec_context

    def before_decode(packet: av.Packet) -> None:
        mode = "DEFAULT" if packet.pts in wanted else "NONREF"
        if context.skip_frame != mode:
            context.skip_frame = mode

    return before_decode


def _walk(
    reader: VideoReader,
    wanted: list[int],
    pts_list: list[int],
    times: Callable[[int], float | None],
    clock: Clock,
    max_pixels: int | None,
    skip_nonref: bool,
    vpdq: VpdqCollector | None = None,
) -> tuple[list[Frame], int]:
    """Decode from the start to the last sample point; each point takes the nearest decoded frame."""
    if skip_nonref:
        reader.stream.codec_context.skip_frame = "NONREF"
    exact = _mark_packets(reader, pts_list, times, vpdq) if skip_nonref else None
    chosen: list[Frame] = []
    taken: set[int] = set()
    prev: tuple[int, av.VideoFrame] | None = None
    target = 0
    decoded = 0

    def take(position: int, frame: av.VideoFrame) -> None:
        if position not in taken:
            taken.add(position)
            chosen.append(_picture(frame, position, times(position), max_pixels))

    for frame in decoded_frames(reader, before_decode=exact):
        position = _position(pts_list, frame.pts, decoded)
        decoded += 1
        clock.check(decoded)
        _offer(vpdq, frame, times(position))
        while target < len(wanted) and position >= wanted[target]:
            point = wanted[target]
            if prev is not None and point - prev[0] < position - point:
                take(*prev)
            else:
                take(position, frame)
            target += 1
        if target == len(wanted):
            break  # nothing after the last sample point is needed
        prev = (position, frame)
    if target < len(wanted) and prev is not None:
        take(*prev)  # the stream ended before the last points: its last decoded frame stands in
    chosen.sort(key=lambda f: f.index)
    return chosen, decoded


def _at_key_frames(
    reader: VideoReader,
    wanted: list[int],
    pts_list: list[int],
    keys: list[int],
    times: Callable[[int], float | None],
    clock: Clock,
    max_pixels: int | None,
    vpdq: VpdqCollector | None = None,
) -> list[Frame]:
    """For each sample point, seek to the nearest key frame and decode it alone."""
    nearest: list[int] = []
    for point in wanted:
        i = bisect.bisect_left(keys, point)
        options = [keys[j] for j in (i - 1, i) if 0 <= j < len(keys)]
        best = min(options, key=lambda k: abs(k - point))
        if best not in nearest:
            nearest.append(best)
    stream = reader.stream
    stream.codec_context.skip_frame = "NONKEY"
    frames: list[Frame] = []
    taken: set[int] = set()
    gop = len(pts_list) // max(1, len(keys))
    for count, key in enumerate(nearest, 1):
        clock.check(count)
        try:
            reader.container.seek(pts_list[key], stream=stream, backward=True, any_frame=False)
        except DECODE_ERRORS:
            continue
        for frame in decoded_frames(reader, max_packets=2 * gop + 16):
            position = _position(pts_list, frame.pts, key)
            if position >= key or frame.pts is None:
                if position not in taken:
                    taken.add(position)
                    frames.append(_picture(frame, position, times(position), max_pixels))
                    _offer(vpdq, frame, times(position))
                break
    frames.sort(key=lambda f: f.index)
    return frames
