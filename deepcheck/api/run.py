"""Running a checked scan: expand the inputs, pick the engine, open the journal, report progress.

:func:`execute` is the one place a scan happens, whichever door it came through; the engines themselves
live in deepcheck/scanning/engines/.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from deepcheck.api.plan import PathLike, ScanPlan, UsageError
from deepcheck.reports.results import FileResult, ScanReport

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.scanning.pipeline import Analyzer
    from deepcheck.scanning.settings import ScanSettings
    from deepcheck.scanning.workers import WorkerPool

ProgressCallback = Callable[[int, int, FileResult], None]  # (files done, files in all, the file just finished)
Log = Callable[[str, str], None]  # (level: "warning" or "info", message)

_logger = logging.getLogger("deepcheck")


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
