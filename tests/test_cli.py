"""The CLI through its real entry point: formats, stdout hygiene, exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil

from tests.conftest import REPO, run_cli


def _mixed(media_dir, tmp_path):
    folder = tmp_path / "evidence"
    folder.mkdir()
    for name in ("face.jpg", "noface.png", "corrupt.jpg", "notes.jpg", "readme.txt", "clip.mp4"):
        shutil.copy(media_dir / name, folder / name)
    shutil.copy(media_dir / "face.jpg", folder / "ünïcode naïve 写真.jpg")
    return folder


def test_json_document_and_exit_code(media_dir, tmp_path):
    folder = _mixed(media_dir, tmp_path)
    proc = run_cli("scan", str(folder), "--format", "json", "--frames", "4")
    doc = json.loads(proc.stdout)  # stdout holds only the JSON document
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert set(by_name) == {
        "face.jpg",
        "noface.png",
        "corrupt.jpg",
        "notes.jpg",
        "readme.txt",
        "clip.mp4",
        "ünïcode naïve 写真.jpg",
    }
    assert by_name["face.jpg"]["status"] == "ok"
    assert by_name["ünïcode naïve 写真.jpg"]["status"] == "ok"
    assert by_name["noface.png"]["status"] == "no_face" and by_name["noface.png"]["verdict"] is None
    assert by_name["corrupt.jpg"]["status"] == "error" and by_name["corrupt.jpg"]["error"]
    assert by_name["notes.jpg"]["status"] == "error"
    assert by_name["readme.txt"]["status"] == "skipped"
    clip = by_name["clip.mp4"]
    assert clip["media_type"] == "video" and clip["frames_analyzed"] == 4
    assert all(set(face) >= {"frame_index", "time_s", "box", "detection_prob", "score"} for face in clip["faces"])
    for entry in doc["files"]:
        assert set(entry) >= {"path", "sha256", "media_type", "status", "score", "verdict", "error", "faces"}
    assert doc["model"]["sha256"] and doc["tool"]["version"] and doc["started"] and doc["finished"]
    assert doc["settings"]["frames"] == 4
    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import DEFAULT_MODEL, MODELS_DIR

    card = ModelCard.read(MODELS_DIR / f"{DEFAULT_MODEL}.json")  # what changes scores is in the report
    assert (doc["model"]["input_size"], doc["model"]["flip_average"]) == (card.input_size, card.flip_average)
    threshold, review = doc["model"]["threshold"], doc["model"]["review_threshold"]
    assert review == card.review_threshold < threshold == card.threshold  # the card's two thresholds
    flagged = any(f["verdict"] == "fake" for f in doc["files"])
    assert proc.returncode == (1 if flagged else 3), proc.stderr
    for f in doc["files"]:
        if f["score"] is not None:
            expected = "fake" if f["score"] >= threshold else "review" if f["score"] >= review else "real"
            assert f["verdict"] == expected


def test_formats_agree(media_dir, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    shutil.copy(media_dir / "face.jpg", folder / "a.jpg")
    shutil.copy(media_dir / "noface.png", folder / "b.png")
    outputs = {}
    for fmt in ("json", "jsonl", "csv"):
        out = tmp_path / f"report.{fmt}"
        proc = run_cli("scan", str(folder), "--format", fmt, "--output", str(out), "--quiet")
        assert proc.stdout == ""  # with --output nothing goes to stdout
        outputs[fmt] = out.read_text(encoding="utf-8")
    doc = json.loads(outputs["json"])
    lines = [json.loads(line) for line in outputs["jsonl"].splitlines()]
    assert lines[0]["type"] == "scan" and lines[0]["model"] == doc["model"]
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    for f, line, row in zip(doc["files"], lines[1:], rows):
        assert line["path"] == row["path"] == f["path"]
        assert line["score"] == f["score"]
        assert (row["score"] == "" and f["score"] is None) or float(row["score"]) == f["score"]
        assert row["status"] == f["status"] and (row["verdict"] or None) == f["verdict"]
        assert row["sha256"] == f["sha256"]


def test_exit_codes(media_dir, tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(media_dir / "noface.png", clean / "sky.png")
    assert run_cli("scan", str(clean), "-q", "-f", "json").returncode == 0
    faces = tmp_path / "faces"
    faces.mkdir()
    shutil.copy(media_dir / "face.jpg", faces / "face.jpg")
    assert run_cli("scan", str(faces), "-q", "-f", "json", "--threshold", "0").returncode == 1
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(media_dir / "corrupt.jpg", broken / "bad.jpg")
    assert run_cli("scan", str(broken), "-q", "-f", "json").returncode == 3
    assert run_cli("scan", str(broken), "-q", "-f", "json", "--exit-zero").returncode == 0
    usage = run_cli("scan", str(clean), "--format", "nope")
    assert usage.returncode == 2 and "unknown --format" in usage.stderr


def test_files_from_stdin_and_python_cli(media_dir, tmp_path):
    listing = f"{media_dir / 'noface.png'}\n{media_dir / 'face.jpg'}\n"
    proc = run_cli("scan", "--files-from", "-", "-f", "jsonl", stdin=listing)
    files = [json.loads(line) for line in proc.stdout.splitlines()][1:]
    assert [f["path"] for f in files] == [str(media_dir / "noface.png"), str(media_dir / "face.jpg")]
    import subprocess
    import sys

    version = subprocess.run([sys.executable, str(REPO / "cli.py"), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("deepcheck ")


def test_table_is_default(media_dir):
    proc = run_cli("scan", str(media_dir / "face.jpg"))
    assert "face.jpg" in proc.stdout and "verdict" in proc.stdout
