"""Fuzzing: random and mutated image/video bytes only ever give MediaErrors from the decoders, records from the scan.

Example counts are modest (the CI machine has 2 cores). Every run draws the *same* examples
(``derandomize``, no example database), so a commit passes or fails the same way every time;
benchmarks/fuzz.py is the long, randomised run that looks for new crashes.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import cv2
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepcheck.media.formats import MediaError, sniff
from deepcheck.media.images import load_image
from deepcheck.media.sampling import read_samples
from deepcheck.media.video import VideoReader
from deepcheck.reports.results import STATUS_ERROR, STATUS_NO_FACE, STATUS_OK, STATUS_SKIPPED
from tests import hostile_corpus

MAGICS = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP", b"BM", b"II*\x00",
          b"\x00\x00\x00\x18ftypisom", b"RIFF\x00\x00\x00\x00AVI ", b"\x1a\x45\xdf\xa3"]  # fmt: skip
FIXED = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
EXTS = [".jpg", ".png", ".gif", ".webp", ".mp4", ".avi", ".mkv", ".bin"]


@functools.cache
def seeds() -> list[tuple[str, bytes]]:
    """Small valid files of every kind the decoders take (small, so face detection stays quick)."""
    import skimage.data
    from PIL import Image

    face = cv2.resize(skimage.data.astronaut()[40:200, 150:310], (96, 96), interpolation=cv2.INTER_AREA)
    image = Image.fromarray(face)
    frames = hostile_corpus.face_frames(face, 6, size=(128, 96))
    with tempfile.TemporaryDirectory() as tmp:
        mp4 = hostile_corpus.write_video(Path(tmp) / "s.mp4", frames).read_bytes()
        avi = hostile_corpus.write_video(Path(tmp) / "s.avi", frames, fourcc="MJPG").read_bytes()
    return [
        (".jpg", hostile_corpus.jpeg_bytes(face)),
        (".png", hostile_corpus.png_bytes(face)),
        (".gif", hostile_corpus.pil_bytes(image, "GIF", save_all=True, append_images=[image.rotate(90)])),
        (".webp", hostile_corpus.pil_bytes(image, "WEBP")),
        (".tif", hostile_corpus.pil_bytes(image, "TIFF", compression="tiff_lzw")),
        (".bmp", hostile_corpus.pil_bytes(image, "BMP")),
        (".mp4", mp4),
        (".avi", avi),
    ]


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    out = bytearray(data)
    for op in ops:
        if not out:
            break
        kind = op[0]
        if kind == "truncate":
            del out[op[1] % len(out) :]
        elif kind == "flip":
            out[op[1] % len(out)] = op[2]
        elif kind == "insert":
            at = op[1] % len(out)
            out[at:at] = op[2]
        elif kind == "overwrite":
            at = op[1] % len(out)
            out[at : at + len(op[2])] = op[2]
    return bytes(out)


positions = st.integers(min_value=0, max_value=1 << 20)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("truncate"), positions),
        st.tuples(st.just("flip"), positions, st.integers(0, 255)),
        st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=64)),
        st.tuples(st.just("overwrite"), positions, st.binary(min_size=1, max_size=32)),
        st.tuples(st.just("overwrite"), st.integers(0, 64), st.binary(min_size=1, max_size=16)),  # headers
    ),
    min_size=1,
    max_size=8,
)
mutated = st.tuples(st.integers(0, 7), ops).map(lambda t: (seeds()[t[0]][0], mutate(seeds()[t[0]][1], t[1])))
random_bytes = st.tuples(
    st.sampled_from(EXTS), st.tuples(st.sampled_from([b""] + MAGICS), st.binary(max_size=2048)).map(b"".join)
)
any_input = st.one_of(mutated, mutated, random_bytes)


def _write(folder: str, ext: str, data: bytes) -> Path:
    path = Path(folder) / f"input{ext}"
    path.write_bytes(data)
    return path


def decode(path: Path) -> None:
    """The decoding layer as the pipeline drives it: sniff, then decode the image or sample the video."""
    kind = sniff(path)
    if kind is None:
        return
    if kind[0] == "image":
        rgb, _ = load_image(path, max_pixels=4_000_000)
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
        return
    with VideoReader(path) as reader:
        info = reader.info(kind[1])
        if info.width * info.height > 4_000_000:
            return
        samples = read_samples(reader, 4, info.frame_count, info.fps, max_pixels=4_000_000, max_seconds=20)
    assert len(samples.frames) <= 4
    assert all(f.rgb.dtype == np.uint8 and f.rgb.ndim == 3 for f in samples.frames)


@settings(max_examples=60, **FIXED)
@given(any_input)
def test_decoders_raise_only_media_errors(case):
    ext, data = case
    with tempfile.TemporaryDirectory() as folder:
        try:
            decode(_write(folder, ext, data))
        except MediaError as exc:
            assert str(exc)  # a message for the report


@settings(max_examples=30, **FIXED)
@given(case=any_input)
def test_analyze_always_returns_a_record(case, analyzer):
    ext, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, ext, data)
        result = analyzer.analyze(path)
    assert result.status in {STATUS_OK, STATUS_NO_FACE, STATUS_ERROR, STATUS_SKIPPED}
    assert not (result.error or "").startswith("unexpected"), result.error  # a known failure, not a crash
    if result.status in (STATUS_ERROR, STATUS_SKIPPED):
        assert result.error and result.score is None and result.verdict is None
    if result.status == STATUS_OK:
        assert 0.0 <= result.score <= 1.0 and result.verdict in {"fake", "review", "real"}
    if data:
        assert result.sha256 is not None and result.size_bytes == len(data)


def test_scan_process_gives_a_record_for_every_mutated_file(tmp_path):
    """The real `deepcheck scan` on a folder of mutated files (fixed seed): a complete report, whatever crashes."""
    import json
    import random

    from tests.conftest import run_cli

    rng = random.Random(11)
    folder = tmp_path / "mutated"
    folder.mkdir()
    names = []
    for i in range(24):
        ext, data = seeds()[i % len(seeds())]
        ops = []
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(["truncate", "flip", "insert", "overwrite"])
            at = rng.randrange(len(data))
            blob = rng.randbytes(rng.randint(1, 32))
            ops.append({"truncate": (kind, at), "flip": (kind, at, blob[0])}.get(kind, (kind, at, blob)))
        name = f"m{i:02d}{ext}"
        (folder / name).write_bytes(mutate(data, ops))
        names.append(name)
    proc = run_cli("scan", str(folder), "-f", "json", "--no-journal", "--frames", "4", "--max-seconds", "60")
    assert proc.returncode in (0, 1, 3), proc.stderr[-3000:]
    files = json.loads(proc.stdout)["files"]
    assert [Path(f["path"]).name for f in files] == names  # one record per file, in order
    for f in files:
        assert f["status"] in {STATUS_OK, STATUS_NO_FACE, STATUS_ERROR, STATUS_SKIPPED}
        assert f["sha256"] is not None
        if f["status"] in (STATUS_ERROR, STATUS_SKIPPED):
            assert f["error"]


def test_avi_that_crashed_the_file_object_bridge_now_gets_a_record(analyzer):
    """It killed deepcheck 0.1.0 (SIGSEGV in OpenCV's Python-file bridge); decoded by descriptor it gets a record."""
    from deepcheck.media.fileio import sha256_file

    path = Path(__file__).parent / "data" / "crashed-opencv-file-bridge.avi"
    result = analyzer.analyze(path)
    assert result.status in {STATUS_OK, STATUS_NO_FACE, STATUS_ERROR}
    assert result.sha256 == sha256_file(path) == "6f8be70183e5d22584dec7ca56f0f352840c2561c9c645b2833b5d6b8d2d05be"
    assert result.media_type == "video"
