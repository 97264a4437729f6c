"""Supervised analysis workers: native decoders and models run in child processes that may die.

Any native decoder (FFmpeg, libjpeg, libtiff, libwebp) or inference runtime can
crash on hostile bytes, and a crash in the scan's own process would take every
record with it. So the driver (the ``deepcheck scan`` process) never decodes:
it hands one file at a time to each worker process, over a pipe, and each
worker loads the models once and runs ``analyze_file``, the one per-file
analysis that the Ray engine's actors run too (deepcheck/scanning/worker_process.py
holds the worker side; this module is the driver's).

A worker is a fresh interpreter running ``python -m deepcheck.scanning.worker_process``,
not a multiprocessing child: multiprocessing's ``spawn`` re-imports the caller's
``__main__`` in every child, so a plain script that calls ``deepcheck.scan()``
without an ``if __name__ == "__main__":`` guard ran its scan again inside each
worker, and the workers died. A worker imports deepcheck and nothing of the caller.

The driver knows which file every worker holds and what it is doing with it
(hashing, decoding, detecting faces, classifying). When a worker dies, by a
signal (SIGSEGV, SIGABRT, an out-of-memory kill) or because the driver ended
it for going over the per-file time limit or the memory limit, that file gets
an ``error`` record saying what happened, a fresh worker takes over, and the
scan goes on. A file that crashed a worker is tried once more, then recorded.
Records cross the process boundary as plain data (``FileResult.to_dict()``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deepcheck.reports.results import STATUS_ERROR, FileResult, ScanReport
from deepcheck.scanning.worker_process import Board

CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT})
MAX_ATTEMPTS = 2  # a file that crashed a worker is tried once more, then gets an error record
KILL_GRACE_S = 5.0  # decoding stops itself at the time limit; a worker still busy this much later is ended
POLL_S = 0.05  # how often the driver looks at the workers' memory and clocks
START_TIMEOUT_S = 600.0  # a worker must have loaded the models by then
WORKER_MODULE = "deepcheck.scanning.worker_process"


class WorkerError(Exception):
    """Workers cannot be started or keep dying outside any file; fatal for the scan."""


@dataclass
class Limits:
    """Hard limits per file and per worker, enforced by ending the worker; 0 means none."""

    seconds: float = 300.0
    memory_mb: int = 4096


@dataclass
class _Task:
    index: int
    path: str
    display: str
    started: float = 0.0
    stage: str = "starting"
    sha256: str | None = None
    size_bytes: int | None = None
    media_type: str | None = None


@dataclass
class _Worker:
    process: subprocess.Popen
    conn: Any
    board: Board
    ready: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    task: _Task | None = None
    ended_for: str | None = None  # why the driver ended it (time or memory limit)
    started: float = field(default_factory=time.monotonic)


class WorkerPool:
    """``count`` worker processes (fresh interpreters, so no state is shared) with one task in flight each."""

    def __init__(self, settings: dict[str, Any], count: int, limits: Limits, threads: int | None = None):
        self.settings = settings
        self.count = max(1, count)
        self.limits = limits
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.count)
        self.workers: list[_Worker] = []
        self.info: dict[str, Any] = {}
        self.stats = {"worker_deaths": 0, "retried": 0}
        self._spare_starts = 2 * self.count + 4  # deaths outside any file cannot restart workers forever

    def __enter__(self) -> WorkerPool:
        for _ in range(self.count):
            self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self, spare: bool = False) -> None:
        """Start a worker; ``spare`` when it replaces one that died outside any file (a bounded budget)."""
        if spare:
            if self._spare_starts <= 0:
                raise WorkerError("analysis workers keep dying before they can take a file; giving up")
            self._spare_starts -= 1
        from multiprocessing import Pipe

        parent, child = Pipe()
        board = Board()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, str(child.fileno()), str(board.fd)],
                pass_fds=(child.fileno(), board.fd),
                stdin=subprocess.DEVNULL,
                stdout=_stdout_for_workers(),
                env=_worker_environment(),
            )
        except OSError as exc:
            parent.close()
            board.close()
            raise WorkerError(f"an analysis worker could not be started: {exc}") from exc
        finally:
            child.close()
        parent.send((self.settings, self.threads))  # the first message: what to load
        self.workers.append(_Worker(process, parent, board))

    def wait_ready(self) -> dict[str, Any]:
        """Block until every worker has loaded the models; their info (runtime, threads)."""
        while not all(w.ready for w in self.workers):
            self._poll(_noop, _noop)
        return self.info

    def run(
        self,
        tasks: list[tuple[int, str, str]],
        on_result: Callable[[int, FileResult], None],
        attempts: dict[int, int] | None = None,
        on_dispatch: Callable[[int], None] | None = None,
    ) -> None:
        """Analyse every (index, path, display); ``on_result`` gets each record as it finishes.

        ``attempts`` counts earlier deaths on a file (from an interrupted run's journal);
        ``on_dispatch`` is told each file as it is handed to a worker.
        """
        todo = [_Task(i, p, d) for i, p, d in tasks]
        todo.reverse()  # pop() from the end takes them in input order
        deaths = dict(attempts or {})
        pending: dict[int, _Task] = {}
        while todo or pending:
            for worker in self.workers:
                if worker.ready and worker.task is None and todo:
                    task = todo.pop()
                    task.started, task.stage = time.monotonic(), "starting"
                    if on_dispatch:
                        on_dispatch(task.index)
                    try:
                        worker.conn.send((task.index, task.path, task.display))
                    except OSError:  # it died while idle: the file goes back; its closed pipe restarts it
                        todo.append(task)
                        continue
                    worker.task = task
                    pending[task.index] = task

            def died(task: _Task, message: str, retry: bool) -> None:
                del pending[task.index]
                deaths[task.index] = deaths.get(task.index, 0) + 1
                if retry and deaths[task.index] < MAX_ATTEMPTS:
                    self.stats["retried"] += 1
                    todo.append(_Task(task.index, task.path, task.display))
                else:
                    on_result(task.index, _death_record(task, message))

            def done(index: int, result: FileResult) -> None:
                pending.pop(index, None)
                on_result(index, result)

            self._poll(done, died)

    def _poll(self, done: Callable, died: Callable) -> None:
        """Wait a moment for messages and deaths, then check every busy worker's clock and memory.

        A worker's end of its pipe closes only when the worker process ends, so a pipe at its end
        is a death (however it came: a crash, a kill by the driver or the system, an exit).
        """
        from multiprocessing.connection import wait

        for ready in wait([w.conn for w in self.workers], timeout=POLL_S):
            for worker in list(self.workers):
                if ready is worker.conn and not self._read(worker, done):
                    self._reap(worker, done, died)
        now = time.monotonic()
        for worker in self.workers:
            self._check_limits(worker, now)
            if not worker.ready and now - worker.started > START_TIMEOUT_S:
                raise WorkerError(f"an analysis worker did not load the models within {START_TIMEOUT_S:g} s")

    def _read(self, worker: _Worker, done: Callable) -> bool:
        """Take the worker's messages; False once its pipe is at its end (the worker has ended)."""
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                kind = message[0]
                if kind == "ready":
                    worker.ready, worker.info = True, message[1]
                    self.info = self.info or message[1]
                elif kind == "failed":
                    self.close()
                    raise WorkerError(f"an analysis worker could not load the models: {message[1]}")
                elif kind == "done" and worker.task and worker.task.index == message[1]:
                    worker.task = None
                    done(message[1], ScanReport.from_dict({"files": [message[2]]}).files[0])
        except (EOFError, OSError):
            return False  # the worker ended, perhaps mid-message
        return True

    def _reap(self, worker: _Worker, done: Callable, died: Callable) -> None:
        """A worker process ended: its file (if any) gets a record or a retry, and a fresh worker starts."""
        if worker not in self.workers:
            return
        self._read(worker, done)  # a record sent just before the end still counts
        _end(worker.process, grace=KILL_GRACE_S)
        worker.conn.close()
        self.workers.remove(worker)
        task = worker.task
        if task is not None:
            self.stats["worker_deaths"] += 1
            _read_board(worker.board, task)
            message, retry = _death_message(worker.process.returncode, worker.ended_for, task.stage, self.limits)
            died(task, message, retry)
        worker.board.close()
        self._start(spare=task is None)

    def _check_limits(self, worker: _Worker, now: float) -> None:
        task = worker.task
        if task is None or worker.ended_for:
            return
        limits = self.limits
        if limits.seconds and now - task.started > limits.seconds + KILL_GRACE_S:
            worker.ended_for = "time"
        elif limits.memory_mb and _rss_mb(worker.process.pid) > limits.memory_mb:
            worker.ended_for = "memory"
        if worker.ended_for:
            worker.process.kill()

    def close(self) -> None:
        """Ask idle workers to stop; end any that do not (and any still loading: they hold no file)."""
        for worker in self.workers:
            if not worker.ready:
                worker.process.kill()
                continue
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 5.0
        for worker in self.workers:
            _end(worker.process, grace=max(0.0, deadline - time.monotonic()))
            worker.conn.close()
            worker.board.close()
        self.workers = []


def _noop(*args: object) -> None:
    pass


def _end(process: subprocess.Popen, grace: float) -> None:
    """Wait up to ``grace`` seconds for a worker to end, then kill it; always reaped (no zombie)."""
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _worker_environment() -> dict[str, str]:
    """The caller's environment, with this very deepcheck first on the worker's import path.

    ``PYTHONSAFEPATH`` keeps the worker's current folder off its path (Python 3.11+), so a stray
    ``deepcheck`` folder where the caller runs cannot stand in for the installed one.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # holds deepcheck/
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONSAFEPATH"] = "1"
    return env


def _stdout_for_workers() -> int:
    """Workers' stray prints go to stderr: stdout is the driver's, and may carry a JSON or CSV report."""
    try:
        os.fstat(2)
        return 2
    except OSError:
        return subprocess.DEVNULL


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc; 0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _death_message(code: int | None, ended_for: str | None, stage: str, limits: Limits) -> tuple[str, bool]:
    """What the record says about a worker that died on a file, and whether the file is tried again."""
    while_ = f"while {stage}" if stage != "starting" else "at the start"
    if ended_for == "time":
        return (
            f"analysis stopped {while_}: over the time limit of {limits.seconds:g} s per file (--max-seconds)",
            False,
        )
    if ended_for == "memory":
        return (
            f"analysis stopped {while_}: its worker went over the memory limit of {limits.memory_mb:,} MB "
            "(--max-memory); the file may be damaged or hostile, or need a higher limit",
            False,
        )
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code in CRASH_SIGNALS:
            return f"analysis crashed ({name}) {while_}; the file may be damaged or hostile", True
        if -code == signal.SIGKILL:
            return (
                f"the analysis worker was killed (SIGKILL) {while_}: most likely the system ran out of memory",
                True,
            )
        return f"the analysis worker was ended by {name} {while_}", True
    return f"the analysis worker exited unexpectedly (exit code {code}) {while_}", True


def _read_board(board, task: _Task) -> None:
    """What a dead worker last wrote of its file: the stage it was in, and the hash once it had one."""
    try:
        index, stage, sha256, size, media_type = json.loads(board.value.decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return  # nothing written yet for any file, or a write cut short by the death
    if index == task.index:
        task.stage, task.sha256, task.size_bytes, task.media_type = stage, sha256, size, media_type


def _death_record(task: _Task, message: str) -> FileResult:
    return FileResult(
        path=task.display,
        media_type=task.media_type,
        status=STATUS_ERROR,
        error=message,
        sha256=task.sha256,
        size_bytes=task.size_bytes,
    )


def default_workers() -> int:
    """Workers when ``--workers`` is not given: one per core (measured fastest; benchmarks/README.md)."""
    return max(1, os.cpu_count() or 1)
