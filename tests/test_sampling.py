"""Video sampling modes on test-made H.264 clips whose frames say their own number."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from deepcheck.media.sampling import LONG_VIDEO_S, read_samples, sample_indices
from deepcheck.media.video import VideoReader
from tests.conftest import run_cli


def level(index: int) -> int:
    """The grey level of frame ``index``: distinct for neighbouring frames, so a frame's content names it."""
    return 16 + (index * 37) % 224


def numbered_h264(path: Path, frames: int, fps: int = 30, keyint: int = 30, preset: str = "veryfast") -> Path:
    """H.264 with B-frames (x264 'veryfast' uses 3) and a key frame every ``keyint`` frames."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"preset": preset, "g": str(keyint), "keyint_min": str(keyint), "sc_threshold": "0"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), level(i), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def sample(path: Path, n: int, mode: str):
    with VideoReader(path) as reader:
        info = reader.info("mp4")
        return info, read_samples(reader, n, info.frame_count, info.fps, sampling=mode)


def assert_frames_named_right(samples) -> None:
    for f in samples.frames:
        assert abs(float(f.rgb.mean()) - level(f.index)) < 6, f"frame {f.index} shows another frame's picture"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return numbered_h264(tmp_path_factory.mktemp("sampling") / "numbered.mp4", 300)


def test_every_frame_mode_gives_the_exact_points(clip):
    _, samples = sample(clip, 16, "every")
    assert [f.index for f in samples.frames] == sample_indices(300, 16)
    assert_frames_named_right(samples)
    assert samples.method.startswith("every frame")


def test_reference_mode_takes_the_nearest_decoded_frame(clip):
    _, exact = sample(clip, 16, "every")
    _, fast = sample(clip, 16, "reference")
    assert len(fast.frames) == 16
    # non-reference B-frames are skipped, so a point may move to a neighbour, never further than the B-run
    assert max(abs(a.index - b.index) for a, b in zip(exact.frames, fast.frames)) <= 3
    assert [f.index for f in fast.frames] != [f.index for f in exact.frames]  # some frames were really skipped
    assert_frames_named_right(fast)
    assert fast.method.startswith("reference frames")
    assert fast.frames[3].time_s == pytest.approx(fast.frames[3].index / 30, abs=1e-3)


def test_auto_uses_reference_frames_for_short_clips(clip):
    _, samples = sample(clip, 8, "auto")
    assert samples.method.startswith("reference frames")


def test_long_clip_seeks_to_key_frames(tmp_path):
    """Over LONG_VIDEO_S, auto decodes only key frames near the sample points."""
    frames = int(LONG_VIDEO_S * 10) + 600  # 10 fps, 3 minutes
    path = numbered_h264(tmp_path / "long.mp4", frames, fps=10, keyint=50, preset="ultrafast")
    info, samples = sample(path, 12, "auto")
    assert info.duration_s > LONG_VIDEO_S
    assert samples.method.startswith("key frames")
    assert len(samples.frames) == 12
    assert all(f.index % 50 == 0 for f in samples.frames)  # key frames only
    exact = sample_indices(frames, 12)
    assert all(abs(f.index - p) <= 25 for f, p in zip(samples.frames, exact))  # the nearest key frame
    assert_frames_named_right(samples)
    _, every = sample(path, 12, "every")
    assert [f.index for f in every.frames] == exact


def test_scan_records_the_sampling(tmp_path, clip):
    out = tmp_path / "r.json"
    result = run_cli("scan", str(clip), "--sampling", "every", "-f", "json", "-o", str(out), "--no-journal")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(out.read_text())
    assert report["settings"]["sampling"] == "every"
    assert report["files"][0]["media"]["sampling"].startswith("every frame")
    bad = run_cli("scan", str(clip), "--sampling", "sometimes", "--no-journal")
    assert bad.returncode == 2 and "--sampling" in bad.stderr
