"""Interrupted scans lose nothing: kill -9 mid-scan, run the same command again, get the same report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np

from tests import hostile_corpus
from tests.conftest import deepcheck_cmd, run_cli

TIMING_FIELDS = {"started", "finished"}


def _comparable(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if k not in TIMING_FIELDS}
    doc["files"] = [{k: v for k, v in f.items() if k != "seconds"} for f in doc["files"]]
    return doc


def _journal_lines(folder: Path) -> list[dict]:
    """The finished records in the journal."""
    lines = []
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line torn by the kill
            if "result" in entry:  # finished records, not the in-flight marks
                lines.append(entry)
    return lines


def test_kill_9_then_resume_gives_the_uninterrupted_report(tmp_path, astronaut):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for i in range(6):
        frames = hostile_corpus.face_frames(np.roll(astronaut, 24 * i, axis=1), 20)
        hostile_corpus.write_video(evidence / f"clip_{i}.mp4", frames)
    (evidence / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)  # errors are retried
    journal = tmp_path / "journal"
    out = tmp_path / "report.json"
    command = [*deepcheck_cmd(), "scan", str(evidence), "-f", "json", "-o", str(out), "--frames", "6", "-q",
               "--journal", str(journal)]  # fmt: skip

    proc = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not _journal_lines(journal) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {e["path"] for e in _journal_lines(journal)}
    assert proc.returncode == -signal.SIGKILL
    assert 1 <= len(done_before) < 6, "the kill should land mid-scan"
    assert not out.exists()  # no half-written report

    resumed = subprocess.run(command, env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert resumed.returncode in (1, 3), resumed.stderr
    entries = _journal_lines(journal)
    # files finished before the kill were not analysed again: each file is in the journal once
    assert sorted(e["path"] for e in entries) == sorted({e["path"] for e in entries})
    assert len(entries) == 6 and done_before <= {e["path"] for e in entries}

    fresh = run_cli("scan", str(evidence), "-f", "json", "--frames", "6", "-q", "--no-journal")
    assert _comparable(json.loads(out.read_text(encoding="utf-8"))) == _comparable(json.loads(fresh.stdout))


def test_changed_settings_or_content_are_analysed_again(tmp_path, media_dir):
    """The journal key covers settings and content: nothing stale is ever reused."""
    import shutil

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copy(media_dir / "face.jpg", evidence / "face.jpg")
    journal = tmp_path / "journal"
    args = ["scan", str(evidence), "-f", "json", "--journal", str(journal)]
    first = run_cli(*args)
    again = run_cli(*args)
    assert "resumed: 1 of 1 files" in again.stderr
    assert _comparable(json.loads(first.stdout)) == _comparable(json.loads(again.stdout))
    other = run_cli(*args, "--min-face-prob", "0.95")
    assert "resumed" not in other.stderr
    shutil.copy(media_dir / "noface.png", evidence / "face.jpg")  # same name, new content
    changed = run_cli(*args)
    assert "resumed" not in changed.stderr
    assert json.loads(changed.stdout)["files"][0]["status"] == "no_face"
