"""The local engine: supervised worker processes on this machine (deepcheck/scanning/workers.py).

:func:`run_scan_local` is what ``deepcheck scan`` runs: paths and settings in, a
``ScanReport`` out, progress through a callback. The driver (this process)
never decodes evidence. It reads the model card, takes finished files from the
resume journal, hands the rest to the workers, and collects their records in
input order, so the report is the same whatever the number of workers.

The journal also learns which file each worker holds (``in_flight``) before it
is handed over. If the driver itself is killed, a re-run counts each file that
was in flight as one attempt: a file that was in flight when two runs died is
not tried a third time but gets an ``error`` record, so a scan can never loop
on a file that brings the machine down.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from deepcheck.media.evidence import display_path
from deepcheck.reports.results import STATUS_ERROR, FileResult, ScanReport
from deepcheck.scanning.workers import MAX_ATTEMPTS, Limits, WorkerPool, default_workers

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.scanning.journal import Journal
    from deepcheck.scanning.settings import ScanSettings


def verified_card(model: str) -> ModelCard:
    """The model's card, with its weights' SHA-256 checked (ModelError if not): the driver loads no model."""
    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import ModelError, resolve_card_path, verify_weights

    card_path = resolve_card_path(model)
    try:
        card = ModelCard.read(card_path)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(f"model card {card_path} is not valid: {exc}") from exc
    verify_weights(card, card_path.parent / card.weights_file)
    return card


def run_scan_local(
    paths: list[Path],
    settings: ScanSettings,
    *,
    workers: int | None = None,
    journal: Journal | None = None,
    on_file: Callable[[int, FileResult], None] | None = None,
    card: ModelCard | None = None,
    pool: WorkerPool | None = None,
) -> ScanReport:
    """Scan ``paths`` in ``workers`` processes; records in input order, ``on_file`` as each finishes.

    ``pool`` is a running pool to use and leave running (a ``deepcheck.Scanner`` keeps one between
    scans); without it the scan starts its own and ends it. Raises ``ModelError`` or ``WorkerError``
    when the workers cannot start (fatal for a scan).
    """
    from deepcheck.scanning.report_header import report_header, utc_now

    card = card or verified_card(settings.model)
    count = workers or default_workers()
    started = utc_now()
    results: list[FileResult | None] = [None] * len(paths)

    def finished(i: int, result: FileResult, fresh: bool = True) -> None:
        results[i] = result
        if fresh and journal is not None:
            journal.record(result, paths[i])
        if on_file:
            on_file(i, result)

    limits = Limits(seconds=settings.max_seconds, memory_mb=settings.max_memory_mb)
    tasks, attempts = [], {}
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(WorkerPool(settings.to_dict(), min(count, max(1, len(paths))), limits))
        before = dict(pool.stats)
        for i, path in enumerate(paths):  # while the workers load their models
            reused = journal.lookup(path) if journal is not None else None
            if reused is not None:
                finished(i, reused, fresh=False)
                continue
            earlier = journal.interrupted(path) if journal is not None else 0
            if earlier >= MAX_ATTEMPTS:
                finished(i, interrupted_record(path, earlier))
                continue
            attempts[i] = earlier
            tasks.append((i, os.fspath(path), display_path(path)[0]))
        info = pool.wait_ready() if tasks else {}
        mark = (lambda i: journal.mark_in_flight(paths[i])) if journal is not None else None
        pool.run(tasks, finished, attempts=attempts, on_dispatch=mark)
        stats = {name: value - before.get(name, 0) for name, value in pool.stats.items()}  # this scan's own
    report = report_header(settings, card, info.get("runtime", settings.runtime), info.get("runtime_note"))
    report.started = started
    report.tool["engine"] = {"name": "local", **stats}
    report.files = [r for r in results if r is not None]
    report.finished = utc_now()
    return report


def interrupted_record(path: Path, times: int) -> FileResult:
    """The record of a file that earlier runs' drivers died on while it was being analysed."""
    return FileResult(
        path=display_path(path)[0],
        status=STATUS_ERROR,
        error=(
            f"not analysed: earlier runs of this scan were interrupted {times} times while this file was being "
            "analysed (it may crash or exhaust the machine); it was not tried again"
        ),
    )
