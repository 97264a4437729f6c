"""Supervised workers: a file that crashes, hangs or eats memory costs only its own record.

Workers fail for real: the test-only fault hook (deepcheck/scanning/worker_process.py, honoured only under
pytest) makes the worker holding a chosen file receive SIGSEGV, sleep, or allocate without
end, at a chosen stage. The driver must turn each into that file's error record, start a
fresh worker, and finish the scan.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from deepcheck.media.fileio import sha256_file
from tests.conftest import deepcheck_cmd, run_cli

TIMING = ("started", "finished")


def _comparable(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if k not in TIMING}
    doc["files"] = [{k: v for k, v in f.items() if k != "seconds"} for f in doc["files"]]
    return doc


def _folder(tmp_path: Path, media_dir: Path, names: dict[str, str]) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    for target, source in names.items():
        shutil.copy(media_dir / source, folder / target)
    return folder


def test_crash_time_limit_and_memory_limit_each_give_their_record(tmp_path, media_dir):
    folder = _folder(
        tmp_path,
        media_dir,
        {"a_crash.mp4": "clip.mp4", "b_face.jpg": "face.jpg", "c_hang.jpg": "face.jpg", "d_grow.jpg": "face.jpg"},
    )
    faults = "decoding:a_crash:SEGV,decoding:c_hang:hang,decoding:d_grow:grow"
    proc = run_cli(
        "scan", str(folder), "-f", "json", "--no-journal", "--workers", "2", "--frames", "4",
        "--max-seconds", "1", "--max-memory", "1000",
        env={"DEEPCHECK_TEST_FAULT": faults},
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr[-3000:]  # complete report, some files not analysed
    doc = json.loads(proc.stdout)
    files = {Path(f["path"]).name: f for f in doc["files"]}
    assert list(files) == ["a_crash.mp4", "b_face.jpg", "c_hang.jpg", "d_grow.jpg"]  # input order
    crash, face, hang, grow = files.values()
    assert crash["status"] == "error"
    assert crash["error"] == "analysis crashed (SIGSEGV) while decoding; the file may be damaged or hostile"
    assert crash["sha256"] == sha256_file(media_dir / "clip.mp4")  # hashed before it crashed: still identified
    assert crash["size_bytes"] == (media_dir / "clip.mp4").stat().st_size
    assert face["status"] == "ok" and face["verdict"] in ("real", "review", "fake")
    assert hang["status"] == "error"
    assert "over the time limit of 1 s per file (--max-seconds)" in hang["error"] and "while decoding" in hang["error"]
    assert grow["status"] == "error" and "memory limit of 1,000 MB (--max-memory)" in grow["error"]
    engine = doc["tool"]["engine"]
    assert engine["name"] == "local"
    assert engine["worker_deaths"] == 4 and engine["retried"] == 1  # the crash is tried once more; limits are not
    assert doc["settings"]["max_seconds"] == 1 and doc["settings"]["max_memory_mb"] == 1000


def test_reports_are_identical_whatever_the_number_of_workers(tmp_path, media_dir, analyzer):
    from deepcheck.media.evidence import iter_inputs
    from deepcheck.reports.writers import FORMATS
    from deepcheck.scanning.pipeline import run_scan

    folder = _folder(
        tmp_path,
        media_dir,
        {"face.jpg": "face.jpg", "noface.png": "noface.png", "corrupt.jpg": "corrupt.jpg", "clip.mp4": "clip.mp4"},
    )
    (folder / "readme.txt").write_text("not media\n")
    args = ["scan", str(folder), "-f", "json", "--no-journal", "--frames", "8"]
    one = run_cli(*args, "--workers", "1")
    two = run_cli(*args, "--workers", "2")
    assert one.returncode == two.returncode == 3, one.stderr[-2000:] + two.stderr[-2000:]
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert _comparable(a) == _comparable(b)
    in_process = json.loads(FORMATS["json"](run_scan(list(iter_inputs([folder])), analyzer)))
    a["tool"].pop("engine"), in_process["tool"].pop("engine", None)
    a["settings"]["frames"] = in_process["settings"]["frames"]  # the session analyzer samples 8 too
    assert _comparable(a)["files"] == _comparable(in_process)["files"]


def _journal_lines(folder: Path) -> list[dict]:
    lines = []
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


def test_driver_killed_twice_on_a_file_does_not_loop(tmp_path, media_dir):
    """A file in flight when two runs died (kill -9 of the driver) is not tried a third time."""
    folder = _folder(tmp_path, media_dir, {"a_stuck.jpg": "face.jpg", "b_face.jpg": "face.jpg"})
    journal = tmp_path / "journal"
    out = tmp_path / "report.json"
    command = [*deepcheck_cmd(), "scan", str(folder), "-f", "json", "-o", str(out), "-q", "--workers", "1",
               "--journal", str(journal)]  # fmt: skip
    env = dict(os.environ, DEEPCHECK_TEST_FAULT="decoding:a_stuck:hang")
    for run in (1, 2):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            marks = [e for e in _journal_lines(journal) if "in_flight" in e]
            if len(marks) >= run:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.5)  # let the worker reach the hang
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not out.exists()
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert third.returncode == 3, third.stderr[-2000:]
    stuck, face = json.loads(out.read_text(encoding="utf-8"))["files"]
    assert stuck["status"] == "error" and "interrupted 2 times while this file was being analysed" in stuck["error"]
    assert face["status"] == "ok"
    assert sum(1 for e in _journal_lines(journal) if e.get("in_flight", "").endswith("a_stuck.jpg")) == 2


def test_driver_killed_while_a_file_crashes_workers_resumes_without_looping(tmp_path, media_dir):
    """kill -9 of the driver while a worker-crashing file is in flight: the re-run reuses the finished
    photo, tries the crashing file only once more (the killed run counts as an attempt) and finishes."""
    folder = _folder(tmp_path, media_dir, {"a_face.jpg": "face.jpg", "b_bad.mp4": "clip.mp4"})
    journal = tmp_path / "journal"
    out = tmp_path / "report.json"
    command = [*deepcheck_cmd(), "scan", str(folder), "-f", "json", "-o", str(out), "--workers", "1",
               "--frames", "4", "--journal", str(journal)]  # fmt: skip
    env = dict(os.environ, DEEPCHECK_TEST_FAULT="decoding:b_bad:SEGV")
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while first.poll() is None and time.monotonic() < deadline:
        lines = _journal_lines(journal)
        if any(e.get("in_flight", "").endswith("b_bad.mp4") for e in lines):
            break
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # the worker has crashed or is about to; its replacement is loading
    first.wait()
    lines = _journal_lines(journal)
    assert [e["path"] for e in lines if "result" in e] == [str(folder / "a_face.jpg")]  # the photo was finished
    assert not any(e.get("settled", "").endswith("b_bad.mp4") for e in lines), "the run ended before the kill"

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 3, second.stderr[-2000:]
    assert "resumed: 1 of 2 files taken from the journal" in second.stderr  # the photo was not analysed again
    doc = json.loads(out.read_text(encoding="utf-8"))
    face, bad = doc["files"]
    assert face["status"] == "ok" and Path(face["path"]).name == "a_face.jpg"
    assert bad["error"] == "analysis crashed (SIGSEGV) while decoding; the file may be damaged or hostile"
    assert doc["tool"]["engine"]["worker_deaths"] == 1  # one more try, not two: the killed run counted
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert third.returncode == 3 and json.loads(out.read_text(encoding="utf-8"))["files"][1]["status"] == "error"
