"""Each speed change gives the results of the plain path, within stated tolerances.

Timing is the benchmark's job (benchmarks/speed.py); these tests check that
batching, key-frame tracking, prefetching and streaming change no finding.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import cv2
import numpy as np
import pytest

from deepcheck.faces.tracking import detect_tracked, key_indices
from deepcheck.media.sampling import read_samples
from deepcheck.media.video import VideoReader
from deepcheck.scanning.pipeline import Analyzer, run_scan
from tests.conftest import iou, write_face_video

BOX_IOU = 0.8  # a face found by tracking overlaps the per-frame box at least this much
SCORE_TOL = 0.05  # and its calibrated score differs by at most this


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory, astronaut):
    """A face crossing a 960×540 frame in 6 s (a brisk walk across the picture), 24 sampled frames."""
    path = write_face_video(tmp_path_factory.mktemp("speed") / "moving.mp4", astronaut, 180, (960, 540), 30.0)
    with VideoReader(path) as reader:
        frames = read_samples(reader, 24, None, 30.0).frames
    return path, [f.rgb for f in frames]


def test_key_frames_cover_the_clip():
    assert key_indices(32, 4) == [0, 4, 8, 12, 16, 20, 24, 28, 31]
    assert key_indices(5, 8) == [0, 4]
    assert key_indices(1, 4) == [0] and key_indices(0, 4) == []
    assert key_indices(6, 1) == list(range(6))


def test_tracking_finds_the_faces_of_per_frame_detection(analyzer, moving_clip):
    _, frames = moving_clip
    full = analyzer.detector.detect(frames)
    tracked = detect_tracked(analyzer.detector, frames, every=4)
    assert all(len(f) == 1 for f in full), "the test clip shows one face in every frame"
    assert [len(t) for t in tracked] == [1] * len(frames)
    overlaps = [iou(f[0].box, t[0].box) for f, t in zip(full, tracked)]
    assert min(overlaps) >= BOX_IOU, overlaps
    for k in key_indices(len(frames), 4):  # key frames are searched exactly as before
        assert tracked[k][0].box == full[k][0].box


def test_tracked_and_per_frame_scans_agree(analyzer, moving_clip):
    path, _ = moving_clip
    per_frame = Analyzer(replace(analyzer.settings, detect_every=1), analyzer.classifier, analyzer.detector)
    a = run_scan([path], per_frame).files[0]
    b = run_scan([path], analyzer).files[0]
    assert a.status == b.status == "ok"
    assert len(a.faces) == len(b.faces)
    assert abs(a.score - b.score) <= SCORE_TOL
    assert max(abs(x.score - y.score) for x, y in zip(a.faces, b.faces)) <= SCORE_TOL * 2


def test_a_face_lost_between_key_frames_is_searched_again(analyzer, astronaut):
    """A jump no window can follow (the face teleports) falls back to a full search of that frame."""
    small = cv2.resize(astronaut, (200, 200))
    frames = []
    for i in range(9):
        canvas = np.full((540, 960, 3), 90, np.uint8)
        x = 40 if i < 4 else 700
        canvas[150:350, x : x + 200] = small
        frames.append(canvas)
    tracked = detect_tracked(analyzer.detector, frames, every=8)
    full = analyzer.detector.detect(frames)
    assert [len(t) for t in tracked] == [len(f) for f in full] == [1] * 9
    assert min(iou(f[0].box, t[0].box) for f, t in zip(full, tracked)) >= BOX_IOU


def test_batched_and_single_detection_agree(analyzer, moving_clip):
    _, frames = moving_clip
    batched = analyzer.detector.detect(frames[:6])
    single = [analyzer.detector.detect([f])[0] for f in frames[:6]]
    for b, s in zip(batched, single):
        assert len(b) == len(s)
        for x, y in zip(b, s):
            assert np.allclose(x.box, y.box, atol=0.5) and abs(x.prob - y.prob) < 1e-4


def test_batched_and_single_classification_agree(analyzer, astronaut):
    crops = [astronaut[60:200, 160:300], astronaut[80:240, 150:310], cv2.flip(astronaut[60:200, 160:300], 1)]
    batched = analyzer.classifier.predict(crops)
    single = np.concatenate([analyzer.classifier.predict([c]) for c in crops])
    assert np.allclose(batched, single, atol=1e-4)


def test_prefetch_gives_the_same_report(analyzer, media_dir):
    paths = sorted(p for p in media_dir.iterdir())
    a = run_scan(paths, analyzer, prefetch=False)
    b = run_scan(paths, analyzer, prefetch=True)

    def strip(report):
        return [{k: v for k, v in f.to_dict().items() if k != "seconds"} for f in report.files]

    assert strip(a) == strip(b)
    assert [f.status for f in b.files].count("error") >= 1  # the corrupt file is still an error record


def test_sampling_streams_a_long_clip(tmp_path, astronaut):
    """1,200 frames of 352×400 (500 MB decoded): sampling 8 holds about 8 frames, never the clip."""
    path = write_face_video(tmp_path / "long.mp4", astronaut, 1200, (352, 400), 30.0)
    frame_bytes = 352 * 400 * 3
    with VideoReader(path) as reader:
        tracemalloc.start()
        samples = read_samples(reader, 8, None, 30.0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert len(samples.frames) == 8 and samples.frames_in_stream == 1200
    assert peak < 16 * frame_bytes, f"peak {peak / 1e6:.1f} MB for 8 frames of {frame_bytes / 1e6:.2f} MB"


def test_onnx_runtime_scores_equal_pytorch(analyzer, astronaut):
    """The default runtime (ONNX Runtime) against the PyTorch reference, on real face crops."""
    from deepcheck.model.classifier import load_model

    crops = [astronaut[60:200, 160:300], astronaut[40:260, 130:330], cv2.flip(astronaut[60:200, 160:300], 1)]
    fast, reference = load_model(runtime="onnx"), load_model(runtime="torch")
    assert fast.runtime == "onnx" and reference.runtime == "torch"
    assert np.allclose(fast.logits(crops), reference.logits(crops), atol=1e-3)
    assert np.allclose(fast.predict(crops), reference.predict(crops), atol=1e-4)
    assert analyzer.classifier.runtime == "onnx"
