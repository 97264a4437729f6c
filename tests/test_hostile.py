"""The hostile corpus: every case gets a record with the right status and a clear message, never a crash."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from deepcheck.media.evidence import iter_inputs, open_evidence
from deepcheck.media.sampling import read_samples
from deepcheck.media.video import VideoReader
from deepcheck.reports.results import STATUS_ERROR, STATUS_NO_FACE, STATUS_OK, STATUS_SKIPPED
from tests import hostile_corpus
from tests.conftest import ASTRONAUT_FACE_BOX, iou, run_cli, unprivileged


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, astronaut) -> dict[str, Path]:
    return hostile_corpus.build(tmp_path_factory.mktemp("hostile"), astronaut)


def _face_found(r):
    assert r.status == STATUS_OK, r.error
    assert len(r.faces) == 1 and iou(r.faces[0].box, ASTRONAUT_FACE_BOX) > 0.5


def _error(fragment):
    def check(r):
        assert r.status == STATUS_ERROR and r.score is None and r.verdict is None
        assert fragment in r.error, r.error

    return check


def _skipped(fragment):
    def check(r):
        assert r.status == STATUS_SKIPPED and fragment in r.error, r.error

    return check


def _video_ok(r):
    assert r.status == STATUS_OK, r.error
    assert r.media_type == "video" and r.frames_analyzed == 8 and len(r.faces) >= 6


def _wrong_extension(media_type):
    def check(r):
        assert r.status == STATUS_OK and r.media_type == media_type, r.error
        assert "does not match content" in r.media["note_extension"]

    return check


def _one_pixel(r):
    assert r.status == STATUS_NO_FACE and r.score is None
    assert "too small to hold a face" in r.media["note_size"]


def _animated(r):
    _face_found(r)
    assert r.media["frames_in_file"] == 3
    assert r.media["note"] == "animated image: the first frame is analysed"
    assert "note_extension" not in r.media


def _lying_count(claimed):
    def check(r):
        _video_ok(r)
        assert r.media["frame_count"] == claimed and r.media["frames_counted"] == 20
        assert "sampled over the real length" in r.media["note_frame_count"]
        assert max(f.frame_index for f in r.faces) < 20

    return check


def _rotated(r):
    _video_ok(r)
    assert r.media["rotation"] == 90
    assert (r.media["width"], r.media["height"]) == (240, 320)  # portrait, as displayed


def _truncated_faststart(r):
    assert r.status == STATUS_OK, r.error
    assert 0 < r.media["frames_counted"] < 30 and "claims 30 frames" in r.media["note_frame_count"]


EXPECT = {
    "clip": _video_ok,
    "face_jpeg": _face_found,
    "zero_bytes": _error("empty file (0 bytes)"),
    "truncated_jpeg": _error("truncated"),
    "truncated_png": _error("cannot decode image"),
    "truncated_mp4": _error("cannot open video"),
    "random_jpg": _error("content does not match its .jpg extension"),
    "random_mp4": _error("content does not match its .mp4 extension"),
    "random_png": _error("cannot decode image"),
    "jpeg_named_mp4": _wrong_extension("image"),
    "mp4_named_jpg": _wrong_extension("video"),
    "png_bomb": _error("refused before decoding"),
    "one_pixel": _one_pixel,
    "grayscale": _face_found,
    "cmyk_jpeg": _face_found,
    "gray16_png": _face_found,
    "rgb16_png": _face_found,
    "rgba_png": _face_found,
    "palette_png": _face_found,
    "tiff": _face_found,
    "bmp": _face_found,
    "heic": _error("HEIC images are not supported"),
    "animated_gif": _animated,
    "animated_webp": _animated,
    "no_track_mp4": _error("holds no tracks"),
    "zero_frame_avi": _error("no decodable video frames"),
    "audio_only_mp4": _error("audio-only"),
    "claims_too_many_frames": _lying_count(1_000_000),
    "claims_too_few_frames": _lying_count(3),
    "rotated_phone_video": _rotated,
    "truncated_faststart_mp4": _truncated_faststart,
    "folder_named_mp4": _skipped("a directory"),
    "inside_folder_named_mp4": _face_found,
    "text_file": _skipped("not an image or video"),
    "fifo": _skipped("named pipe (FIFO)"),
}


def test_corpus_covers_every_expectation(corpus):
    assert set(corpus) == set(EXPECT)


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_hostile_case(case, corpus, analyzer):
    result = analyzer.analyze(corpus[case])
    EXPECT[case](result)
    assert result.path == str(corpus[case])
    assert result.sha256 is None or len(result.sha256) == 64


def test_whole_corpus_through_cli(corpus):
    root = corpus["clip"].parent
    proc = run_cli("scan", str(root), "-f", "json", "--frames", "4", "--no-journal")
    doc = json.loads(proc.stdout)
    paths = {f["path"] for f in doc["files"]}
    # every file is listed once; the folder named .mp4 is walked into, not reported as a file
    expected = {str(p) for name, p in corpus.items() if name != "folder_named_mp4"}
    assert paths == expected
    assert all(f["status"] in {"ok", "no_face", "error", "skipped"} for f in doc["files"])
    assert all(f["error"] for f in doc["files"] if f["status"] in {"error", "skipped"})
    flagged = any(f["verdict"] == "fake" for f in doc["files"])
    assert proc.returncode == (1 if flagged else 3), proc.stderr
    assert "Traceback" not in proc.stderr


def test_pixel_limit_is_configurable_and_refuses_before_allocating(corpus):
    import resource

    from deepcheck.media.formats import MediaError
    from deepcheck.media.images import load_image

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(MediaError, match="refused before decoding"):
        load_image(corpus["png_bomb"])  # 50,000 × 50,000 × 3 bytes would be 7.5 GB
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 100
    with pytest.raises(MediaError, match="over the limit of 1,000"):
        load_image(corpus["face_jpeg"], max_pixels=1000)
    rgb, _ = load_image(corpus["face_jpeg"], max_pixels=512 * 512)
    assert rgb.shape == (512, 512, 3)


def test_pixel_limit_applies_to_video(corpus):
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    analyzer = Analyzer.create(ScanSettings(frames=2, max_pixels=320 * 240 - 1))
    result = analyzer.analyze(corpus["clip"])
    assert result.status == STATUS_ERROR and "over the pixel limit" in result.error


def test_rotation_metadata_is_applied(corpus, astronaut):
    upright = hostile_corpus.face_frames(astronaut, 8, size=(240, 320))
    with VideoReader(corpus["rotated_phone_video"]) as reader:
        info = reader.info("mp4")
        frames = read_samples(reader, 8, info.frame_count, info.fps).frames
    first = frames[0].rgb.astype(np.int16)
    assert first.shape == (320, 240, 3)
    assert np.abs(first - upright[0]).mean() < 12  # lossy mp4v, but the same picture the right way up
    assert np.abs(first - np.rot90(upright[0], 2)).mean() > 25


def test_very_long_video_sampling_is_bounded(tmp_path):
    """3,000 frames: exactly n are kept, memory stays at a few frames, the decode-time limit stops it."""
    import tracemalloc

    import cv2

    from deepcheck.media.formats import MediaError
    from deepcheck.media.sampling import sample_indices

    path = tmp_path / "long.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (160, 120))
    for i in range(3000):
        writer.write(np.full((120, 160, 3), i % 256, np.uint8))
    writer.release()
    tracemalloc.start()
    with VideoReader(path) as reader:
        info = reader.info("mp4")
        samples = read_samples(reader, 8, info.frame_count, info.fps)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.frame_count == 3000
    assert [f.index for f in samples.frames] == sample_indices(3000, 8)
    frame_bytes = 120 * 160 * 3
    assert peak < 30 * frame_bytes  # holding every frame would take 3,000 × frame_bytes
    with VideoReader(path) as reader:
        with pytest.raises(MediaError, match="--max-seconds"):
            read_samples(reader, 8, None, 30.0, max_seconds=1e-9)


def test_decode_time_limit_gives_an_error_record(corpus):
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    analyzer = Analyzer.create(ScanSettings(frames=4, max_seconds=1e-9))
    result = analyzer.analyze(corpus["clip"])
    assert result.status == STATUS_ERROR and "over the limit of 1e-09 s per file" in result.error


# ---------------------------------------------------------------- names and paths

ODD_NAMES = [
    "with  spaces .jpg",
    "ünïcødé 写真 🙂.jpg",
    "new\nline.jpg",
    "tab\there.jpg",
    "-leading-dash.jpg",
    "--help.jpg",
    "x[red]markup[bold].jpg",
    "'quote\"s;$(echo).jpg",
    "a" * 251 + ".jpg",  # 255 bytes: the longest name the file system allows
]
ODD_VIDEO_NAMES = ["http:example.com.mp4", "%03d.mp4", "concat:x|y.mp4"]  # URLs/patterns to FFmpeg by name


@pytest.fixture()
def odd_tree(tmp_path, corpus) -> Path:
    root = tmp_path / "odd names"
    root.mkdir()
    jpg = corpus["face_jpeg"].read_bytes()
    clip = corpus["clip"].read_bytes()
    for name in ODD_NAMES:
        (root / name).write_bytes(jpg)
    for name in ODD_VIDEO_NAMES:
        (root / name).write_bytes(clip)
    fd = os.open(root, os.O_RDONLY)
    try:
        with open(os.open(b"bad-\xff\xfe-utf8.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as fh:
            fh.write(jpg)
    finally:
        os.close(fd)
    deep = root
    while len(str(deep)) < 3800:  # long but valid path
        deep = deep / ("d" * 200)
    deep.mkdir(parents=True)
    (deep / "deep.jpg").write_bytes(jpg)
    _make_deeper_than_path_max(deep, jpg)
    return root


def _make_deeper_than_path_max(start: Path, data: bytes) -> None:
    """Folders below ``start`` until the full path exceeds PATH_MAX (4096), made relative to dir fds."""
    fd = os.open(start, os.O_RDONLY)
    length = len(str(start))
    try:
        while length < 4400:
            os.mkdir("e" * 200, dir_fd=fd)
            nxt = os.open("e" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
            length += 201
        with open(os.open("too-deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as fh:
            fh.write(data)
    finally:
        os.close(fd)


def test_odd_names_in_process_and_every_writer(odd_tree, analyzer):
    import io

    from rich.console import Console

    from deepcheck.reports.writers import FORMATS
    from deepcheck.reports.writers.table import render_table
    from deepcheck.scanning.pipeline import run_scan

    report = run_scan(list(iter_inputs([odd_tree])), analyzer)
    by_name = {Path(r.path).name: r for r in report.files}
    for name in ODD_NAMES + ODD_VIDEO_NAMES + ["deep.jpg"]:
        assert by_name[name].status == STATUS_OK, (name, by_name[name].error)
    escaped = by_name["bad-\\xff\\xfe-utf8.jpg"]
    assert escaped.status == STATUS_OK and "not valid UTF-8" in escaped.media["note_path"]
    too_long = [r for r in report.files if len(r.path) > 4096]
    assert too_long and all(r.status == STATUS_ERROR and "path too long" in r.error for r in too_long)
    for fmt, writer in FORMATS.items():  # no writer chokes on newlines, markup, escapes or 4 kB paths
        text = writer(report)
        if isinstance(text, bytes):  # the PDF: its text layer is checked in tests/test_exhibit.py
            assert fmt == "pdf" and text.startswith(b"%PDF-")
            continue
        text.encode("utf-8")
        if fmt == "sarif":  # SARIF lists only findings: here the one file that could not be analysed
            assert "path too long" in text and "deep.jpg" not in text
        else:
            assert "deep.jpg" in text, fmt
    out = io.StringIO()
    render_table(report, Console(file=out, width=200), verbose=True)
    assert "markup" in out.getvalue()


def test_odd_names_through_cli(odd_tree):
    """The real CLI, progress bar drawn: FFmpeg never reads a name as a URL or a pattern, rich never as markup."""
    import subprocess

    from tests.conftest import deepcheck_cmd

    env = dict(os.environ, FORCE_COLOR="1", COLUMNS="120")
    proc = subprocess.run(
        [*deepcheck_cmd(), "scan", ".", "-f", "json", "--frames", "2", "--no-journal"],
        cwd=odd_tree, capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (1, 3)  # 3: the path deeper than PATH_MAX is an error record
    statuses = {f["path"]: f["status"] for f in json.loads(proc.stdout)["files"]}
    for name in ODD_NAMES + ODD_VIDEO_NAMES:
        assert statuses[name] == "ok", name
    dash = run_cli("scan", "-f", "json", "--no-journal", "--", "-leading-dash.jpg", cwd=odd_tree)
    assert json.loads(dash.stdout)["files"][0]["status"] == "ok"


# ---------------------------------------------------------------- symlinks, permissions, races


def test_symlinks_never_loop_or_escape(tmp_path, corpus, analyzer):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(corpus["face_jpeg"], outside / "elsewhere.jpg")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    shutil.copy(corpus["face_jpeg"], tree / "real.jpg")
    os.symlink("loop_b", tree / "loop_a")
    os.symlink("loop_a", tree / "loop_b")
    os.symlink("self", tree / "self")
    os.symlink("missing.jpg", tree / "broken.jpg")
    os.symlink(outside / "elsewhere.jpg", tree / "outside_file.jpg")
    os.symlink(outside, tree / "outside_dir")
    os.symlink("..", tree / "sub" / "parent")
    records = {Path(r.path).name: r for r in (analyzer.analyze(p) for p in iter_inputs([tree]))}
    assert set(records) == {"real.jpg", "loop_a", "loop_b", "self", "broken.jpg", "outside_file.jpg", "outside_dir",
                            "parent"}  # fmt: skip
    for name in ("loop_a", "loop_b", "self"):
        assert records[name].status == STATUS_ERROR and "symlink loop" in records[name].error
    assert records["broken.jpg"].status == STATUS_ERROR and "broken symlink" in records["broken.jpg"].error
    linked = records["outside_file.jpg"]
    assert linked.status == STATUS_OK and linked.media["symlink_to"] == str(outside / "elsewhere.jpg")
    for name in ("outside_dir", "parent"):
        assert records[name].status == STATUS_SKIPPED and "not followed" in records[name].error


def test_unreadable_file_and_folder(shared_dir, corpus, analyzer):
    shutil.copy(corpus["face_jpeg"], shared_dir / "readable.jpg")
    shutil.copy(corpus["face_jpeg"], shared_dir / "locked.jpg")
    (shared_dir / "locked.jpg").chmod(0)
    (shared_dir / "locked_dir").mkdir()
    shutil.copy(corpus["face_jpeg"], shared_dir / "locked_dir" / "hidden.jpg")
    (shared_dir / "locked_dir").chmod(0)
    with unprivileged():
        records = {Path(r.path).name: r for r in (analyzer.analyze(p) for p in iter_inputs([shared_dir]))}
    assert records["readable.jpg"].status == STATUS_OK
    assert records["locked.jpg"].status == STATUS_ERROR and "permission denied" in records["locked.jpg"].error
    folder = records["locked_dir"]
    assert folder.status == STATUS_ERROR and "folder could not be listed" in folder.error


def test_file_deleted_or_replaced_after_listing(tmp_path, corpus, analyzer):
    for name in ("gone.jpg", "swapped.jpg"):
        shutil.copy(corpus["face_jpeg"], tmp_path / name)
    listed = list(iter_inputs([tmp_path]))
    (tmp_path / "gone.jpg").unlink()
    (tmp_path / "swapped.jpg").write_bytes(b"now a text file\n")
    records = {Path(r.path).name: r for r in (analyzer.analyze(p) for p in listed)}
    assert records["gone.jpg"].status == STATUS_ERROR and "no such file" in records["gone.jpg"].error
    swapped = records["swapped.jpg"]  # analysed as it is now, and the hash says which content that was
    assert swapped.status == STATUS_ERROR and "does not match its .jpg" in swapped.error
    import hashlib

    assert swapped.sha256 == hashlib.sha256(b"now a text file\n").hexdigest()


def test_file_replaced_or_changed_while_open(tmp_path, corpus):
    """The open descriptor pins the file: the bytes hashed are the bytes decoded, and changes are seen."""
    import hashlib

    path = tmp_path / "evidence.jpg"
    original = corpus["face_jpeg"].read_bytes()
    path.write_bytes(original)
    with open_evidence(path) as evidence:
        (tmp_path / "other.jpg").write_bytes(b"replacement")
        os.replace(tmp_path / "other.jpg", path)
        assert evidence.sha256() == hashlib.sha256(original).hexdigest()
        assert "replaced by another file" in evidence.path_note()
        assert not evidence.changed_in_place()
    with open_evidence(path) as evidence:
        with open(path, "ab") as fh:
            fh.write(b"more")
        assert evidence.changed_in_place()
