"""The Ray engine on a one-node Ray started by the tests: same report, killed workers, killed driver.

Ray runs with 2 CPUs and 1-2 workers on tiny inputs (the astronaut photo, a short
clip). Workers are killed for real (SIGKILL of the actor's process), found by
the title Ray gives a process while it runs a method: ``ray::FileWorker.analyze``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deepcheck.media.evidence import iter_inputs
from deepcheck.reports.results import STATUS_ERROR, STATUS_NO_FACE, STATUS_OK, FileResult
from deepcheck.reports.writers import FORMATS
from deepcheck.scanning.journal import Journal
from deepcheck.scanning.pipeline import ScanSettings, run_scan
from tests.conftest import RAY_LOOPBACK_ENV, REPO, deepcheck_cmd, run_cli

TIMING = ("started", "finished")


@pytest.fixture(scope="module")
def ray_cluster():
    """A private one-node Ray (2 CPUs, no dashboard) for this module; yields its address."""
    assert os.environ.get(RAY_LOOPBACK_ENV) == "0"  # set by conftest.py before Ray is imported
    ray = pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[ray]" to run the Ray tests')
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    address = ray.get_runtime_context().gcs_address
    try:
        assert address.startswith("127.0.0.1:"), f"Ray is not on loopback: {address}"
        yield address
    finally:
        ray.shutdown()


def _comparable(doc: dict) -> dict:
    """A report without what may differ between engines: times, per-file seconds, engine provenance."""
    doc = json.loads(json.dumps(doc))
    for key in TIMING:
        doc.pop(key, None)
    doc.get("tool", {}).pop("engine", None)
    for f in doc.get("files", [doc] if doc.get("type") == "file" else []):
        f.pop("seconds", None)
    return doc


def _local(targets, analyzer, threads: int = 1, annotated: bool = False):
    """The local engine's report with ``threads`` torch threads, the Ray workers' count.

    ``annotated``: with the groups and links that every door to a scan (the CLI, the API) adds after its
    engine, to compare with what ``deepcheck scan`` writes.

    Scores are rounded to 5 decimals, but a different thread count sums in another
    order and can move one score by 1e-5, so the engines are compared like for like."""
    import torch

    from deepcheck.known import annotate

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        report = run_scan(targets, analyzer)
    finally:
        torch.set_num_threads(before)
    if annotated:
        annotate(report, targets)
    return report


def _folder(media_dir: Path, tmp_path: Path, names: dict[str, str]) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    for target, source in names.items():
        shutil.copy(media_dir / source, folder / target)
    return folder


class _WorkerKiller(threading.Thread):
    """SIGKILLs this test's Ray worker processes while they analyse a file, up to ``times`` times."""

    def __init__(self, times: int):
        super().__init__(daemon=True)
        self.times, self.killed, self.done = times, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set() and len(self.killed) < self.times:
            for pid in _analyzing_workers():
                if pid not in self.killed:
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
                    break
            time.sleep(0.05)


def _analyzing_workers() -> list[int]:
    """Pids of processes of the Ray started by this pytest process that are inside ``FileWorker.analyze``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::FileWorker.analyze") and _descends_from_me(int(entry)):
            found.append(int(entry))
    return found


def _descends_from_me(pid: int) -> bool:
    for _ in range(4):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        if pid == os.getpid():
            return True
    return False


def test_ray_report_identical_to_local(ray_cluster, analyzer, media_dir, tmp_path):
    from deepcheck.scanning.engines.ray_engine import RayOptions, run_scan_ray

    folder = _folder(
        media_dir,
        tmp_path,
        {"face.jpg": "face.jpg", "noface.png": "noface.png", "corrupt.jpg": "corrupt.jpg", "clip.mp4": "clip.mp4"},
    )
    (folder / "readme.txt").write_text("not media\n")
    targets = list(iter_inputs([folder]))
    local = _local(targets, analyzer)
    seen = []
    remote = run_scan_ray(targets, ScanSettings(frames=8), RayOptions(actors=2), on_file=lambda i, r: seen.append(i))

    assert sorted(seen) == list(range(len(targets)))
    assert [f.path for f in remote.files] == [str(p) for p in targets]  # input order, whatever finished first
    assert {f.status for f in remote.files} >= {STATUS_OK, STATUS_NO_FACE, STATUS_ERROR}
    assert _comparable(remote.to_dict()) == _comparable(local.to_dict())
    assert FORMATS["csv"](remote) == FORMATS["csv"](local)  # no timing column: byte-identical
    local_lines = [_comparable(json.loads(x)) for x in FORMATS["jsonl"](local).splitlines()]
    remote_lines = [_comparable(json.loads(x)) for x in FORMATS["jsonl"](remote).splitlines()]
    assert remote_lines == local_lines
    engine = remote.tool["engine"]
    assert engine["name"] == "ray" and engine["nodes"] == 1 and engine["cpus"] == 2.0 and engine["actors"] == 2
    assert engine["worker_deaths"] == 0 and engine["resumed"] == 0


def test_worker_killed_mid_file_is_retried(ray_cluster, analyzer, media_dir, tmp_path):
    from deepcheck.scanning.engines.ray_engine import RayOptions, run_scan_ray

    folder = _folder(media_dir, tmp_path, {"a_clip.mp4": "clip.mp4", "b_face.jpg": "face.jpg"})
    targets = list(iter_inputs([folder]))
    killer = _WorkerKiller(times=1)
    killer.start()
    try:
        report = run_scan_ray(targets, ScanSettings(frames=8), RayOptions(actors=1))
    finally:
        killer.done.set()
    assert len(killer.killed) == 1  # the kill happened while a file was being analysed
    engine = report.tool["engine"]
    assert engine["worker_deaths"] == 1 and engine["retried"] == 1
    assert [f.status for f in report.files] == [STATUS_OK, STATUS_OK]  # nothing lost
    assert _comparable(report.to_dict())["files"] == _comparable(_local(targets, analyzer).to_dict())["files"]


def test_file_that_keeps_killing_its_worker_gets_an_error_record(ray_cluster, media_dir, tmp_path):
    from deepcheck.scanning.engines.ray_engine import RayOptions, run_scan_ray

    folder = _folder(media_dir, tmp_path, {"a_deadly.jpg": "face.jpg", "b_sky.png": "noface.png"})
    targets = list(iter_inputs([folder]))
    killer = _WorkerKiller(times=2)  # both attempts at the first file die
    killer.start()
    try:
        report = run_scan_ray(targets, ScanSettings(frames=8), RayOptions(actors=1, max_attempts=2))
    finally:
        killer.done.set()
    deadly, sky = report.files
    assert deadly.status == STATUS_ERROR and deadly.score is None
    assert "worker process died 2 times" in deadly.error
    assert sky.status == STATUS_NO_FACE  # the scan went on and finished
    assert report.tool["engine"]["worker_deaths"] == 2


def test_driver_killed_then_rerun_analyses_only_the_rest(ray_cluster, analyzer, media_dir, tmp_path):
    names = {f"face_{i}.jpg": "face.jpg" for i in range(5)}
    names.update({"sky.png": "noface.png", "zz_clip.mp4": "clip.mp4"})
    folder = _folder(media_dir, tmp_path, names)
    cache = tmp_path / "cache"
    out = tmp_path / "report.json"
    args = [*deepcheck_cmd(), "scan", str(folder), "--engine", "ray", "--address", ray_cluster]
    args += ["--ray-actors", "1", "--frames", "8", "--format", "json", "--output", str(out), "--quiet"]
    env = dict(os.environ, DEEPCHECK_JOURNAL=str(cache), PYTHONUNBUFFERED="1")

    first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None and _journaled(cache) < 2:
        time.sleep(0.05)
    assert first.poll() is None, "the scan ended before it could be interrupted: " + first.stderr.read().decode()
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = _journaled(cache)
    assert 2 <= done_before < len(names) and not out.exists()

    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode in (0, 1), second.stderr
    doc = json.loads(out.read_text())
    assert doc["tool"]["engine"]["resumed"] == done_before  # only the rest was analysed
    assert _journaled(cache) == len(names)  # each file journaled once, none twice
    local = _local(list(iter_inputs([folder])), analyzer, annotated=True)
    assert _comparable(doc) == _comparable(json.loads(FORMATS["json"](local)))


def _journaled(cache: Path) -> int:
    files = list(cache.glob("*.jsonl"))
    if not files:
        return 0
    lines = files[0].read_bytes().split(b"\n")
    return sum(1 for line in lines if line.startswith(b'{"path"') and line.endswith(b"}"))


def test_cli_ray_fails_cleanly_without_a_cluster_or_with_journal_in_evidence(ray_cluster, media_dir, tmp_path):
    folder = _folder(media_dir, tmp_path, {"face.jpg": "face.jpg"})
    nobody = run_cli("scan", str(folder), "--engine", "ray", "--address", "127.0.0.1:1", "-q")
    assert nobody.returncode == 2 and "no Ray cluster answers at 127.0.0.1:1" in nobody.stderr
    journal = folder / ".cache"
    proc = run_cli("scan", str(folder), "--engine", "ray", "--address", ray_cluster, "--journal", str(journal), "-q")
    assert proc.returncode == 2 and "is inside the scanned folder" in proc.stderr
    assert not (folder / ".cache").exists()  # nothing written into the evidence
    local_only = run_cli("scan", str(folder), "--address", ray_cluster)
    assert local_only.returncode == 2 and "only apply with --engine ray" in local_only.stderr


def test_missing_ray_says_how_to_install_it(media_dir):
    """Runs without Ray too: Ray is hidden from the interpreter."""
    code = (
        "import sys; sys.modules['ray'] = None; sys.argv = ['deepcheck'] + sys.argv[1:]; "
        "from deepcheck.cli import run; run()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "scan", str(media_dir / "face.jpg"), "--engine", "ray"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 2
    assert 'pip install -e ".[ray]"' in proc.stderr and proc.stdout == ""


def test_journal_takes_worker_hashes_and_survives_a_torn_last_line(tmp_path):
    """The Ray driver may not read the evidence: its workers hash, the one journal looks the hash up."""
    journal = Journal(tmp_path, "k" * 64)
    one = FileResult(path="/ev/one.jpg", status=STATUS_OK, score=0.25, verdict="real", sha256="1" * 64, size_bytes=10)
    journal.mark_in_flight(Path("/ev/one.jpg"))
    journal.record(one, Path("/ev/one.jpg"))
    journal.mark_in_flight(Path("/ev/bad.jpg"))
    journal.record(FileResult(path="/ev/bad.jpg", status=STATUS_ERROR, error="x", sha256="2" * 64), Path("/ev/bad.jpg"))
    journal.mark_in_flight(Path("/ev/torn.jpg"))
    with open(journal.path, "ab") as fh:
        fh.write(b'{"path": "/ev/torn.jpg", "result": {"pa')  # the driver died mid-write

    again = Journal(tmp_path, "k" * 64)
    assert again.known("/ev/one.jpg") == {"1" * 64}
    assert again.known("/ev/bad.jpg") == frozenset()  # errors are tried again, never reused
    assert again.lookup_hashed("/ev/one.jpg", "1" * 64, 10, 5.0).score == 0.25
    assert again.lookup_hashed("/ev/one.jpg", "9" * 64, 10, 5.0) is None  # other content: analysed again
    assert again.reused == 1
    assert again.known("/ev/torn.jpg") == frozenset() and again.interrupted(Path("/ev/torn.jpg")) == 1
    assert again.interrupted(Path("/ev/one.jpg")) == 0 and again.interrupted(Path("/ev/bad.jpg")) == 0
    other = Journal(tmp_path, "j" * 64)
    assert other.path != again.path and other.known("/ev/one.jpg") == frozenset()
