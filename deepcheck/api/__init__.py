"""The Python API: what ``deepcheck scan`` does, as a function and an object.

Import the public names from ``deepcheck`` itself (``deepcheck.scan``, ``deepcheck.Scanner``,
``deepcheck.load_model``); the other names here are internal and may change. The CLI is built on
this package: ``deepcheck scan`` parses its options, checks them with :func:`plan_scan` (``plan.py``), runs
:func:`execute` (``run.py``), and adds only what belongs to a terminal (the table, report files, exit codes).

Heavy modules (torch, OpenCV, the pipeline) are imported inside the functions, so that
``import deepcheck`` stays cheap.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepcheck.api.plan import DEFAULT_MODEL, PathLike, UsageError, plan_scan
from deepcheck.api.run import ProgressCallback, execute, load_analyzer
from deepcheck.reports.results import FileResult, ScanReport

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import Classifier
    from deepcheck.scanning.pipeline import Analyzer
    from deepcheck.scanning.settings import ScanSettings
    from deepcheck.scanning.workers import WorkerPool

# Re-exported by deepcheck/__init__.py; the CLI imports plan_scan and execute from plan.py and run.py.
__all__ = ["Scanner", "load_model", "scan"]


def scan(
    paths: PathLike | Iterable[PathLike],
    *,
    frames: int = 32,
    threshold: float | None = None,
    model: PathLike = DEFAULT_MODEL,
    crops: bool = False,
    workers: int | None = None,
    engine: str = "local",
    progress: bool | ProgressCallback = False,
    **settings: Any,
) -> ScanReport:
    """Scan files and folders (recursively) exactly as ``deepcheck scan`` does, and return the report.

    The options have the CLI's defaults and meanings, under their Python names. ``settings`` takes the
    others: ``review_threshold`` (where the ``review`` band starts), ``min_face_prob``, ``detect_size``,
    ``detect_every``, ``sampling``, ``device``, ``runtime``, ``max_pixels``, ``min_face``, ``max_seconds``,
    ``max_memory_mb``, ``c2pa_trust``, ``explain``, ``journal`` (True: the default folder, False: none, or a
    folder), ``hash_lists`` (``--hash-list`` files), ``pdq_distance``, and for ``engine="ray"``: ``address``,
    ``ray_actors``, ``ray_cpus_per_actor``.

    ``progress=True`` draws the CLI's bar on stderr; a function is called as ``progress(done, total,
    file_result)`` after each file.

    Raises ValueError for a bad option (the CLI's message), TypeError for an unknown one,
    :class:`deepcheck.ModelError` for a model that is missing or fails its SHA-256 check, and
    RuntimeError when the Ray engine cannot start. A file that cannot be analysed never raises: it gets
    a record with ``status == "error"``, as in the CLI.
    """
    plan = plan_scan(
        frames=frames, threshold=threshold, model=model, crops=crops, workers=workers, engine=engine, **settings
    )
    return execute(paths, plan, progress=progress)


class Scanner:
    """The models loaded once, for many scans (a notebook loop, a service).

    Takes the options of :func:`scan` but ``workers`` and ``engine``. By default (``isolate=True``) a
    Scanner keeps one supervised worker process that holds the models, as each worker of
    :func:`scan` does: a file that crashes it, runs over ``max_seconds`` or over ``max_memory_mb``
    gets the same ``error`` record the CLI gives, and the next file gets a fresh worker. This is the
    choice for files you did not make (uploads). ``isolate=False`` loads the models and analyses in
    the calling process: a few milliseconds less per file (README.md, "Python API"), for trusted
    input only, because a decoder crash then ends the caller and no memory cap applies (decoding
    still stops at ``max_seconds``).

    Not thread-safe: use one Scanner per thread. ``close()`` (or a ``with`` block) ends the worker;
    it also ends when the Scanner is garbage-collected or Python exits. For example::

        with deepcheck.Scanner(frames=16) as scanner:
            verdicts = {path: scanner.scan_file(path).verdict for path in incoming}
    """

    def __init__(
        self,
        *,
        frames: int = 32,
        threshold: float | None = None,
        model: PathLike = DEFAULT_MODEL,
        crops: bool = False,
        progress: bool | ProgressCallback = False,
        isolate: bool = True,
        **settings: Any,
    ) -> None:
        if "workers" in settings:
            raise UsageError("a Scanner keeps one worker (no workers option); use deepcheck.scan(..., workers=N)")
        self._plan = plan_scan(frames=frames, threshold=threshold, model=model, crops=crops, **settings)
        if self._plan.engine != "local":
            raise UsageError("a Scanner analyses on this machine; use deepcheck.scan(..., engine='ray') for a cluster")
        self._progress = progress
        self._analyzer: Analyzer | None = None
        self._classifier: Classifier | None = None
        self._pool: WorkerPool | None = None
        if isolate:
            self._card, self._pool = _start_worker(self._plan.settings)
            self._closer = weakref.finalize(self, self._pool.close)
        else:
            self._analyzer = load_analyzer(self._plan.settings)
            self._card = self._analyzer.classifier.card

    @property
    def isolated(self) -> bool:
        """True when the files are analysed in a supervised worker process, not in this one."""
        return self._pool is not None

    @property
    def model(self) -> Classifier:
        """The classifier; ``.card`` is its model card. An isolated Scanner loads a copy here on first use."""
        if self._analyzer is not None:
            return self._analyzer.classifier
        if self._classifier is None:
            s = self._plan.settings
            self._classifier = load_model(s.model, device=s.device, runtime=s.runtime)
        return self._classifier

    @property
    def threshold(self) -> float:
        """The fake threshold in use (the option, else the model card's)."""
        return self._bands().fake

    @property
    def review_threshold(self) -> float:
        """Where the review band starts (the option, else the card's); equal to ``threshold`` when it is empty."""
        return self._bands().review

    def _bands(self):
        from deepcheck.model.scoring import bands_for

        s = self._plan.settings
        return bands_for(self._card, s.threshold, s.review_threshold)

    @property
    def settings(self) -> dict[str, Any]:
        """The settings recorded in every report (those that change scores)."""
        return self._plan.settings.to_dict()

    def scan_file(self, path: PathLike) -> FileResult:
        """One file's record, as in a scan's report. Never raises for a bad file: see ``status`` and ``error``.

        Unlike :meth:`scan`, a single file is always analysed afresh (no journal).
        """
        if self._analyzer is not None:
            return self._analyzer.analyze(Path(path))
        from deepcheck.media.evidence import display_path

        records: list[FileResult] = []
        self._running_pool().run([(0, os.fspath(path), display_path(Path(path))[0])], lambda _i, r: records.append(r))
        return records[0]

    def scan(self, paths: PathLike | Iterable[PathLike], progress: bool | ProgressCallback | None = None) -> ScanReport:
        """Scan files and folders with the loaded models: the report :func:`deepcheck.scan` gives."""
        chosen = self._progress if progress is None else progress
        if self._analyzer is not None:
            return execute(paths, self._plan, progress=chosen, analyzer=self._analyzer)
        return execute(paths, self._plan, progress=chosen, pool=self._running_pool(), card=self._card)

    def close(self) -> None:
        """End the worker process (an isolated Scanner); the Scanner cannot scan afterwards."""
        if self._pool is not None:
            self._closer()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _running_pool(self) -> WorkerPool:
        if self._pool is None or not self._closer.alive:
            raise ValueError("this Scanner is closed")
        self._pool.wait_ready()
        return self._pool


def _start_worker(settings: ScanSettings) -> tuple[ModelCard, WorkerPool]:
    """A checked model card and one supervised worker that has loaded the models (ModelError if they fail)."""
    from deepcheck.model.classifier import ModelError
    from deepcheck.scanning.engines.local import verified_card
    from deepcheck.scanning.workers import Limits, WorkerError, WorkerPool

    card = verified_card(settings.model)  # a missing or tampered model raises ModelError here, as in scan()
    pool = WorkerPool(settings.to_dict(), 1, Limits(seconds=settings.max_seconds, memory_mb=settings.max_memory_mb))
    try:
        pool.__enter__()
        pool.wait_ready()
    except WorkerError as exc:
        pool.close()
        raise ModelError(str(exc)) from exc
    except BaseException:
        pool.close()
        raise
    return card, pool


def load_model(name_or_card: PathLike = DEFAULT_MODEL, *, device: str = "cpu", runtime: str = "onnx") -> Classifier:
    """A shipped model by name, or a model card (or weights) path, checked against the card's SHA-256.

    Returns the classifier: ``.card`` is its model card (input size, calibration, threshold, metrics,
    limitations) and ``.predict(crops)`` the calibrated scores of RGB face crops. Raises
    :class:`deepcheck.ModelError` when the model is missing or fails its check.
    """
    from deepcheck.model.classifier import load_model as load

    return load(name_or_card, device=device, runtime=runtime)
