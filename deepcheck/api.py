"""The Python API: what ``deepcheck scan`` does, as a function and an object.

Import the public names from ``deepcheck`` itself (``deepcheck.scan``, ``deepcheck.Scanner``,
``deepcheck.load_model``); the other names here are internal and may change. The CLI is built on
this module: ``deepcheck scan`` parses its options, checks them with :func:`plan_scan`, runs
:func:`execute`, and adds only what belongs to a terminal (the table, report files, exit codes).

Heavy modules (torch, OpenCV, the pipeline) are imported inside the functions, so that
``import deepcheck`` stays cheap.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from deepcheck.reports.results import FileResult, ScanReport

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import Classifier
    from deepcheck.scanning.pipeline import Analyzer
    from deepcheck.scanning.settings import ScanSettings
    from deepcheck.scanning.workers import WorkerPool

PathLike = Union[str, "os.PathLike[str]"]
ProgressCallback = Callable[[int, int, FileResult], None]  # (files done, files in all, the file just finished)
Log = Callable[[str, str], None]  # (level: "warning" or "info", message)

DEFAULT_MODEL = "deepcheck-lite0"  # the same as deepcheck.model.classifier.DEFAULT_MODEL, without importing it
ENGINES = ("local", "ray")
# How a scan runs; none of these changes a score, so they are not ScanSettings (not in the report).
RUN_OPTIONS = ("journal", "address", "ray_actors", "ray_cpus_per_actor", "hash_lists", "pdq_distance")

_logger = logging.getLogger("deepcheck")


class UsageError(ValueError):
    """A bad option, with the CLI's message. Public code sees a ValueError; the CLI exits 2."""


@dataclass
class ScanPlan:
    """A checked scan request: the settings that change scores, and how the scan runs."""

    settings: ScanSettings
    engine: str = "local"
    workers: int | None = None  # analysis worker processes (None: one per core)
    journal: bool | PathLike = True  # True: the default folder; False: no journal; a folder: that one
    address: str | None = None
    ray_actors: int | None = None
    ray_cpus_per_actor: float = 1.0
    # --hash-list files (paths; loaded and checked by plan_scan into deepcheck.known.HashList objects)
    hash_lists: list[Any] = dataclasses.field(default_factory=list)
    pdq_distance: int = 31  # PDQ Hamming distance for hash-list matches and duplicate groups (Meta's default)


def plan_scan(
    *,
    frames: int = 32,
    threshold: float | None = None,
    model: PathLike = DEFAULT_MODEL,
    crops: bool = False,
    workers: int | None = None,
    engine: str = "local",
    **settings: Any,
) -> ScanPlan:
    """Check every scan option once, for the API and the CLI alike.

    Raises TypeError for an unknown option name and ValueError (the CLI's message) for a bad value.
    """
    from deepcheck.scanning.settings import ScanSettings

    run = {name: settings.pop(name) for name in RUN_OPTIONS if name in settings}
    if run.get("journal", True) is None:  # None, as on the command line without --journal: the default folder
        run["journal"] = True
    known = {f.name for f in dataclasses.fields(ScanSettings)}
    unknown = sorted(set(settings) - known)
    if unknown:
        choices = sorted((known | set(RUN_OPTIONS)) - {"frames", "threshold", "model", "crops"})
        raise TypeError(f"unknown scan option(s) {', '.join(unknown)}; known: {', '.join(choices)}")
    plan = ScanPlan(
        settings=ScanSettings(frames=frames, threshold=threshold, model=str(model), crops=crops, **settings),
        engine=engine,
        workers=workers,
        **run,
    )
    _check(plan)
    return plan


def _check(plan: ScanPlan) -> None:
    from deepcheck.media.sampling import SAMPLING_MODES
    from deepcheck.model.classifier import RUNTIMES

    s = plan.settings
    if s.threshold is not None and not 0.0 <= s.threshold <= 1.0:
        raise UsageError("--threshold must be between 0 and 1")
    if s.review_threshold is not None and not 0.0 <= s.review_threshold <= 1.0:
        raise UsageError("--review-threshold must be between 0 and 1")
    if s.threshold is not None and s.review_threshold is not None and s.review_threshold > s.threshold:
        raise UsageError("--review-threshold must not be above --threshold (the review band lies under it)")
    if s.frames < 1 or s.detect_every < 1 or s.min_face < 1:
        raise UsageError("--frames, --detect-every and --min-face must be at least 1")
    if s.max_pixels < 1 or s.max_seconds < 0 or s.max_memory_mb < 0 or (plan.workers is not None and plan.workers < 1):
        raise UsageError("--max-pixels and --workers must be at least 1, --max-seconds and --max-memory at least 0")
    if s.sampling not in SAMPLING_MODES:
        raise UsageError(f"unknown --sampling {s.sampling!r}; choose {', '.join(SAMPLING_MODES)}")
    if s.runtime not in RUNTIMES:
        raise UsageError(f"unknown --runtime {s.runtime!r}; choose {' or '.join(RUNTIMES)}")
    if plan.engine not in ENGINES:
        raise UsageError(f"unknown --engine {plan.engine!r}; choose local or ray")
    if plan.engine == "local" and (plan.address is not None or plan.ray_actors is not None):
        raise UsageError("--address and --ray-actors only apply with --engine ray")
    if plan.engine == "ray" and plan.workers is not None:
        raise UsageError("--workers applies to --engine local; use --ray-actors with --engine ray")
    if (plan.ray_actors is not None and plan.ray_actors < 1) or plan.ray_cpus_per_actor <= 0:
        raise UsageError("--ray-actors must be at least 1 and --ray-cpus-per-actor above 0")
    s.c2pa_trust = checked_trust(s.c2pa_trust)
    if not 0 <= plan.pdq_distance <= 128:
        raise UsageError("--pdq-distance must be between 0 and 128 (Meta's default is 31)")
    from deepcheck.known import HashListError, load_hash_lists

    try:
        plan.hash_lists = load_hash_lists(plan.hash_lists)
    except HashListError as exc:
        raise UsageError(f"--hash-list {exc}") from exc


def checked_trust(path: PathLike | None) -> str | None:
    """The ``--c2pa-trust`` file as an absolute path, once it is known to hold PEM certificates (else UsageError)."""
    if path is None:
        return None
    from deepcheck.provenance import read_trust

    try:
        read_trust(os.fspath(path))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--c2pa-trust: {getattr(exc, 'strerror', None) or exc} ({os.fspath(path)})") from exc
    return str(Path(path).absolute())


def execute(
    paths: PathLike | Iterable[PathLike],
    plan: ScanPlan,
    *,
    progress: bool | ProgressCallback = False,
    log: Log | None = None,
    before_analysis: Callable[[list[Path]], None] | None = None,
    analyzer: Analyzer | None = None,
    pool: WorkerPool | None = None,
    card: ModelCard | None = None,
) -> ScanReport:
    """Run a scan: the one place it happens, whichever door (``deepcheck.scan``, ``Scanner.scan``, the CLI).

    ``before_analysis`` gets the expanded file list once the models are ready and before any file is
    read (the CLI hashes the inputs for its manifest there). ``analyzer`` analyses in this process with
    models already loaded (``Scanner(isolate=False)``); ``pool`` is a running worker pool to use and
    leave running, with its checked ``card`` (an isolated ``Scanner``).
    """
    from deepcheck.known import annotate
    from deepcheck.media.evidence import iter_inputs

    roots = _as_paths(paths)
    if not roots:
        raise UsageError("no input: give files or folders")
    targets = list(iter_inputs(roots))
    log = log or _log
    if plan.engine == "ray":
        report = _run_ray(targets, roots, plan, progress, log, before_analysis)
    else:
        report = _run_local(targets, roots, plan, progress, log, before_analysis, analyzer, pool, card)
    for warning in annotate(report, targets, plan.hash_lists, plan.pdq_distance):
        log("warning", warning)
    return report


def _run_local(targets, roots, plan: ScanPlan, progress, log: Log, before_analysis, analyzer, pool, card) -> ScanReport:
    """Supervised worker processes (deepcheck/scanning/workers.py): a Scanner's own, or the scan's.

    With ``analyzer`` (``Scanner(isolate=False)``) the files are analysed in this process instead.
    """
    from deepcheck.scanning.engines.local import run_scan_local, verified_card
    from deepcheck.scanning.pipeline import run_scan

    if analyzer is not None:
        card = analyzer.classifier.card
    card = card or verified_card(plan.settings.model)
    if before_analysis is not None:
        before_analysis(targets)
    journal = _open_journal(card, plan.settings, plan.journal, roots, log)
    with _reporter(progress, len(targets), "scanning") as on_file:
        if analyzer is not None:
            report = run_scan(targets, analyzer, on_file=on_file, journal=journal)
            report.tool["engine"] = {"name": "local", "workers": 0}
        else:
            report = run_scan_local(
                targets, plan.settings, workers=plan.workers, journal=journal, on_file=on_file, card=card, pool=pool
            )
    if journal is not None and journal.problem:
        log("warning", journal.problem)
    if journal is not None and journal.reused:
        log("info", f"resumed: {journal.reused} of {len(targets)} files taken from the journal {journal.path}")
    return report


def _run_ray(targets, roots, plan: ScanPlan, progress, log: Log, before_analysis) -> ScanReport:
    """The Ray engine; its failures to start raise EngineError (a RuntimeError)."""
    from deepcheck.scanning.engines.local import verified_card
    from deepcheck.scanning.engines.ray_engine import RayOptions, require_ray, run_scan_ray

    options = RayOptions(
        address=plan.address,
        actors=plan.ray_actors,
        cpus_per_actor=plan.ray_cpus_per_actor,
        log_to_driver=progress is True,  # worker logs only where a terminal bar is shown too
    )
    if before_analysis is not None:
        before_analysis(targets)
    require_ray()
    card = verified_card(plan.settings.model)
    journal = _open_journal(card, plan.settings, plan.journal, roots, log)
    with _reporter(progress, len(targets), "scanning on ray") as on_file:
        report = run_scan_ray(targets, plan.settings, options, journal, on_file=on_file, card=card)
    if journal is not None and journal.problem:
        log("warning", journal.problem)
    return report


def load_analyzer(settings: ScanSettings) -> Analyzer:
    """The models for these settings, loaded as the CLI loads them (raises ModelError)."""
    from deepcheck.model.runtime import tune_for_inference
    from deepcheck.scanning.pipeline import Analyzer

    tune_for_inference()
    return Analyzer.create(settings)


def _open_journal(card: ModelCard, settings: ScanSettings, journal: bool | PathLike, roots: list[Path], log: Log):
    """The resume journal, never inside the evidence (see deepcheck/scanning/journal.py). None when it cannot be."""
    from deepcheck.scanning.journal import Journal, default_dir, inside

    if journal is False:
        return None
    chosen = None if journal is True else Path(journal)
    directory = chosen or default_dir()
    evidence = inside(directory, roots)
    if evidence is not None:
        if chosen is not None:
            raise UsageError(f"--journal {chosen} is inside the scanned folder {evidence}; choose a folder outside it")
        log(
            "warning",
            f"the journal folder {directory} is inside the scanned folder {evidence}; "
            "scanning without a journal (pass --journal DIR elsewhere to be able to resume)",
        )
        return None
    try:
        return Journal.for_run(card, settings, directory)
    except OSError as exc:
        log("warning", f"no journal (cannot use {directory}: {exc.strerror or exc}); an interrupted scan restarts")
        return None


@contextmanager
def _reporter(progress: bool | ProgressCallback, total: int, label: str) -> Iterator[Callable | None]:
    """The pipeline's ``on_file(index, result)`` for a progress choice: none, a callback, or a bar on stderr."""
    if progress is False or progress is None:
        yield None
        return
    done = 0
    if progress is not True:
        if not callable(progress):
            raise TypeError("progress must be True, False or a function progress(done, total, file_result)")

        def call(_index: int, result: FileResult) -> None:
            nonlocal done
            done += 1
            progress(done, total, result)

        yield call
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)
        # escaped: a name such as "[red]x.jpg" is rich markup (restyled, or a MarkupError on "[/]")
        yield lambda _index, result: bar.update(task, advance=1, description=escape(Path(result.path).name[:40]))


def _log(level: str, message: str) -> None:
    """Without a CLI, notes go to the "deepcheck" logger (warnings reach stderr even when logging is not set up)."""
    _logger.log(logging.WARNING if level == "warning" else logging.INFO, message)


def _as_paths(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    return [Path(p) for p in paths]


# ----------------------------------------------------------------------------------------------------------------
# The public API (re-exported by deepcheck/__init__.py)


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
