"""The worker side of the supervised analysis workers: what runs inside each child process.

:func:`analyze_file` is the one per-file analysis that every engine runs: the local
engine's worker processes (``python -m deepcheck.scanning.worker_process CONN_FD BOARD_FD``,
started by deepcheck/scanning/workers.py) and the Ray engine's actors. A worker loads the
models once, then takes one file at a time from its pipe; while it works it writes the
file's stage (and its hash, once known) on a small shared board, which the driver reads
only if the worker dies, so that the file's record can say where it happened.

Run as a module, the worker is a fresh interpreter that imports deepcheck and nothing of
the program that started the scan (multiprocessing's ``spawn`` re-ran that program's
``__main__``, and with it an unguarded ``deepcheck.scan()`` call).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deepcheck.reports.results import FileResult

# Test-only fault injection (see _test_faults): honoured only when pytest is running the process tree.
FAULT_ENV = "DEEPCHECK_TEST_FAULT"
BOARD_BYTES = 512  # a worker's stage board (one JSON list; a SHA-256 and a stage name fit many times over)


class Board:
    """A worker's stage board: a small unlinked file both processes hold open, written in place.

    The worker writes the JSON [index, stage, sha256, size, media type] of the file in hand at offset 0;
    the driver reads it only when the worker has died. No pipe message, so the driver is not woken.
    The driver makes it (``Board()``) and passes the descriptor; the worker opens it by that (``Board(fd)``).
    """

    def __init__(self, fd: int | None = None):
        if fd is None:
            self._file: Any = tempfile.TemporaryFile(prefix="deepcheck-board-")
            fd = self._file.fileno()
        self.fd = fd

    @property
    def value(self) -> bytes:
        return os.pread(self.fd, BOARD_BYTES, 0).rstrip(b"\0")

    @value.setter
    def value(self, data: bytes) -> None:
        os.pwrite(self.fd, data[:BOARD_BYTES].ljust(BOARD_BYTES, b"\0"), 0)

    def close(self) -> None:
        if getattr(self, "_file", None) is not None:
            self._file.close()


def load_analyzer(settings: dict[str, Any], threads: int):
    """Models loaded once per worker process: local workers and Ray actors alike.

    torch is not imported here: the scan runs on ONNX Runtime, and torch would cost ~0.3 GB and
    seconds per worker. Where torch is loaded anyway (a PyTorch fallback, Grad-CAM), it gets the same share.
    """
    from deepcheck.model.onnx_runtime import set_inference_threads
    from deepcheck.model.runtime import tune_for_inference
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    tune_for_inference()
    set_inference_threads(threads)
    analyzer = Analyzer.create(ScanSettings(**settings))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(max(1, threads))
    return analyzer


def analyze_file(analyzer, path: str, display: str, on_stage: Callable[[str, FileResult], None] | None = None):
    """The one per-file analysis every engine runs in its workers: ``path`` → a record shown as ``display``."""
    analyzer.on_stage = on_stage
    try:
        result = analyzer.analyze(Path(path))
    finally:
        analyzer.on_stage = None
    result.path = display
    return result


def worker_info(analyzer) -> dict[str, Any]:
    from deepcheck.model.onnx_runtime import inference_threads

    classifier = analyzer.classifier
    return {
        "pid": os.getpid(),
        "threads": inference_threads(),
        "runtime": classifier.runtime,
        "runtime_note": classifier.runtime_note,
        "model_sha256": classifier.card.sha256,
    }


def worker_main(conn, board, settings: dict[str, Any], threads: int) -> None:
    """A worker process: load the models, then analyse one file per message until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle; it ends the workers
    _die_with_parent()
    try:
        analyzer = load_analyzer(settings, threads)
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}", type(exc).__name__))
        return
    conn.send(("ready", worker_info(analyzer)))
    faults = _test_faults()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return  # the driver is gone
        if task is None:
            conn.close()
            os._exit(0)  # nothing to flush; skips seconds of interpreter and runtime teardown
        index, path, display = task

        def stage(name: str, result: FileResult, index=index, path=path) -> None:
            # on the board, not the pipe: the driver reads it only if this worker dies, and is not woken
            board.value = json.dumps([index, name, result.sha256, result.size_bytes, result.media_type]).encode()
            for when, part, action in faults:
                if when == name and part in os.path.basename(path):
                    _inject(action)

        result = analyze_file(analyzer, path, display, stage)
        conn.send(("done", index, result.to_dict()))


def main(argv: list[str] | None = None) -> None:
    """``python -m deepcheck.scanning.worker_process CONN_FD BOARD_FD``: the pipe and board the driver passed.

    The first message on the pipe is (settings, threads); then :func:`worker_main` serves files.
    """
    from multiprocessing.connection import Connection

    conn_fd, board_fd = (int(x) for x in (argv if argv is not None else sys.argv[1:]))
    conn = Connection(conn_fd)
    try:
        settings, threads = conn.recv()
    except (EOFError, OSError):
        return  # the driver went away before saying what to load
    worker_main(conn, Board(board_fd), settings, threads)


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker if the driver dies (even by kill -9), so none is left running."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _test_faults() -> list[tuple[str, str, str]]:
    """``DEEPCHECK_TEST_FAULT=STAGE:NAME_PART:ACTION[,...]`` makes a worker fail for real on chosen files.

    ACTION is a signal name (SEGV, ABRT), ``hang`` or ``grow`` (allocate until stopped). It is
    honoured only under pytest (``PYTEST_CURRENT_TEST`` set), so it cannot change a real scan.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec or "PYTEST_CURRENT_TEST" not in os.environ:
        return []
    return [tuple(item.split(":", 2)) for item in spec.split(",")]


def _inject(action: str) -> None:
    if action == "hang":
        time.sleep(3600)
    elif action == "grow":
        hoard = []
        while True:
            hoard.append(b"\x01" * (64 << 20))  # written pages, really resident
            time.sleep(0.01)
    else:
        os.kill(os.getpid(), getattr(signal, f"SIG{action}"))
        time.sleep(5)


if __name__ == "__main__":
    main()
