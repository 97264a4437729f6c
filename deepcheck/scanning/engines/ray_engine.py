"""Scanning on a Ray cluster: the same per-file analysis, spread over many machines.

Each Ray actor loads the models once and then analyses the files it is sent, one
at a time, with the same per-file function as the local engine's worker processes
(``deepcheck.scanning.worker_process.analyze_file``). The driver (the ``deepcheck scan`` process)
keeps exactly one file in flight per actor, so a worker that dies is known to
have died on that file: the file is sent again, and after ``max_attempts``
deaths it gets an ``error`` record. Nothing is dropped and the scan finishes.

Results come back in any order; the report lists them in input order, so it is
the same report the local engine writes, apart from timings and ``tool.engine``.
Every finished record goes to the scan's one resume journal (``deepcheck.scanning.journal``),
so a re-run after the driver was killed analyses only the files left over. The
workers hash the files (the driver may not see the evidence) and the driver looks
the hash up; files in flight are marked there too, as the local engine does.

Workers open the files themselves: the evidence must be visible at the same
path on every node (a shared filesystem). Ray is an optional dependency and is
imported only when this engine runs.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepcheck.reports.results import STATUS_ERROR, FileResult, ScanReport
from deepcheck.scanning.engines.ray_cluster import (
    EngineError,
    RayOptions,
    actor_count,
    cluster_info,
    connect,
    first_line,
    require_ray,
)

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.scanning.journal import Journal

MISSING_FILE = "no such file or folder"  # Analyzer's message for a path that does not exist
MAX_WORKER_RESTARTS = 100  # per actor; a crash loop on one node cannot go on forever


class FileWorker:
    """The Ray actor: models loaded once in ``__init__``, then one file per call."""

    def __init__(self, settings: dict[str, Any], threads: int):
        from deepcheck.scanning.worker_process import load_analyzer

        self.analyzer = load_analyzer(settings, threads)
        self.node = _node_ip()
        self.node_id = _node_id()

    def info(self, probe: str | None) -> dict[str, Any]:
        """Who this worker is, and whether it sees the evidence where the driver does."""
        from deepcheck._version import __version__
        from deepcheck.model.onnx_runtime import inference_threads

        return {
            "pid": os.getpid(),
            "node": self.node,
            "node_id": self.node_id,
            "version": __version__,
            "model_sha256": self.analyzer.classifier.card.sha256,
            "threads": inference_threads(),
            "runtime": self.analyzer.classifier.runtime,
            "runtime_note": self.analyzer.classifier.runtime_note,
            "probe_visible": None if probe is None else os.path.lexists(probe),
        }

    def analyze(self, path: str, display: str, known: frozenset[str]) -> dict[str, Any]:
        """Analyse ``path``; report it as ``display``. When its content hash is in ``known``
        (journaled earlier), return only the hash: the driver already has the record."""
        if known:
            from deepcheck.media.fileio import sha256_file

            try:
                digest = sha256_file(Path(path))
                if digest in known:
                    stat = os.stat(path)
                    return {"journaled": digest, "size_bytes": stat.st_size, "mtime": stat.st_mtime}
            except OSError:
                pass  # the analysis below reports why the file cannot be read
        from deepcheck.scanning.worker_process import analyze_file

        return {"result": analyze_file(self.analyzer, path, display), "node": self.node}


def _node_ip() -> str:
    import ray

    return ray.util.get_node_ip_address()


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


@dataclass
class _Pool:
    """Live actors and the budget for replacing dead ones."""

    make: Callable[[], Any]
    idle: list
    replacements_left: int
    every: list  # every actor started, so all are stopped at the end

    def replace(self) -> None:
        if self.replacements_left > 0:
            self.replacements_left -= 1
            actor = self.make()
            self.every.append(actor)
            self.idle.append(actor)


def run_scan_ray(
    paths: list[Path],
    settings,
    options: RayOptions | None = None,
    journal: Journal | None = None,
    on_file: Callable[[int, FileResult], None] | None = None,
    card: ModelCard | None = None,
) -> ScanReport:
    """Scan ``paths`` on Ray; the same ``ScanReport`` as ``pipeline.run_scan``, plus ``tool.engine``.

    The driver loads no model: the card (its weights' SHA-256 checked) gives the provenance and the
    threshold, as in the local engine.
    """
    from deepcheck.scanning.engines.local import verified_card
    from deepcheck.scanning.report_header import report_header, utc_now

    ray = require_ray()
    options = options or RayOptions()
    card = card or verified_card(settings.model)
    report = report_header(settings, card, settings.runtime)
    t0 = time.perf_counter()
    started_here = connect(ray, options)
    try:
        cluster = cluster_info(ray)
        engine: dict[str, Any] = {"name": "ray", "ray_version": ray.__version__, **cluster}
        files = [Path(p) for p in paths]
        wanted = actor_count(options, settings, cluster, len(files))
        pool = _start_pool(ray, settings, options, wanted, files, report.model["sha256"], engine)
        engine["startup_seconds"] = round(time.perf_counter() - t0, 3)
        # the workers score, so their classifier runtime is the report's (the driver only read the card)
        runtimes, note = engine.pop("classifier_runtimes", None), engine.pop("classifier_runtime_note", None)
        if runtimes:
            report.model["runtime"] = "+".join(runtimes)
        report.model.pop("runtime_note", None)
        if note:
            report.model["runtime_note"] = note
        try:
            results, stats = _drive(ray, pool, files, options, journal, on_file)
        finally:
            for actor in pool.every:
                ray.kill(actor)
        engine.update(stats)
        engine["journal"] = str(journal.path) if journal is not None else None
    finally:
        if started_here:
            ray.shutdown()
    report.files = results
    report.tool["engine"] = engine
    report.finished = utc_now()
    return report


def _start_pool(ray, settings, options, wanted, files, model_sha, engine) -> _Pool:
    """Start the actors, wait until each has loaded the model, and check they match the driver."""
    from deepcheck._version import __version__

    gpu = str(settings.device).startswith("cuda")
    actor_class = ray.remote(FileWorker).options(
        num_cpus=options.cpus_per_actor,
        num_gpus=1 if gpu else 0,
        max_restarts=MAX_WORKER_RESTARTS,
        max_task_retries=0,  # the driver resubmits, so it knows which file a worker died on
    )
    threads = max(1, int(options.cpus_per_actor))
    make = lambda: actor_class.remote(settings.to_dict(), threads)  # noqa: E731
    actors = [make() for _ in range(wanted)]
    probe = next((os.path.abspath(p) for p in files if os.path.lexists(p)), None)
    try:
        infos = ray.get([a.info.remote(probe) for a in actors], timeout=options.start_timeout_s)
    except ray.exceptions.GetTimeoutError as exc:
        for a in actors:
            ray.kill(a)
        raise EngineError(
            f"{wanted} Ray workers did not start within {options.start_timeout_s:g} s (busy cluster?)"
        ) from exc
    except ray.exceptions.RayError as exc:
        for a in actors:
            ray.kill(a)
        raise EngineError(f"a Ray worker could not start: {first_line(exc)}") from exc
    for info in infos:
        problem = None
        if info["version"] != __version__:
            problem = f"runs deepcheck {info['version']}, the driver {__version__}"
        elif info["model_sha256"] != model_sha:
            problem = f"has model {info['model_sha256'][:12]}…, the driver {model_sha[:12]}…"
        elif info["probe_visible"] is False:
            problem = f"cannot see {probe}: put the evidence on a filesystem mounted at the same path on every node"
        if problem:
            for a in actors:
                ray.kill(a)
            raise EngineError(f"Ray worker on node {info['node']} {problem}")
    engine.update(
        actors=wanted,
        cpus_per_actor=options.cpus_per_actor,
        threads_per_actor=infos[0]["threads"] if infos else threads,
        classifier_runtimes=sorted({i["runtime"] for i in infos}),
        classifier_runtime_note=next((i["runtime_note"] for i in infos if i["runtime_note"]), None),
        worker_nodes=len({i["node_id"] for i in infos}),
        worker_node_ips=sorted({i["node"] for i in infos}),
    )
    return _Pool(make=make, idle=list(actors), replacements_left=2 * wanted + 4, every=list(actors))


def _drive(ray, pool: _Pool, files, options, journal, on_file):
    """Keep one file in flight per live actor; collect, retry, journal. Results in input order.

    A worker that died is restarted by Ray; while it restarts (reloading the model)
    every call to it fails at once, so it is pinged until it answers and only then
    given a file again. Only a death during an ``analyze`` call counts against that file.
    """
    from deepcheck.scanning.engines.local import interrupted_record

    n = len(files)
    abs_paths = [os.path.abspath(p) for p in files]
    results: list[FileResult | None] = [None] * n
    # a file in flight when earlier runs' drivers died counts as tried (the local engine does the same)
    attempts = [journal.interrupted(p) if journal is not None else 0 for p in files]
    todo = deque(range(n))
    bypass: set[int] = set()  # journal said "known" but had no record: analyse for real
    calls: dict[Any, tuple] = {}  # ref → ("file", index, actor) | ("ping", actor, down_since)
    resting: list[tuple[float, Any, float]] = []  # (ping again at, actor, down since)
    stats = {"resumed": 0, "retried": 0, "worker_deaths": 0}

    def finish(i: int, result: FileResult, fresh: bool) -> None:
        results[i] = result
        if journal is not None and fresh:
            journal.record(result, files[i])
        elif journal is not None:
            journal.settle(files[i])  # reused: the worker only hashed it
        if on_file:
            on_file(i, result)

    def worker_down(actor, exc, since: float) -> None:
        if isinstance(exc, ray.exceptions.ActorDiedError) or time.monotonic() - since > options.start_timeout_s:
            ray.kill(actor)  # gone for good (restarts used up, or it never came back): start a fresh one
            pool.replace()
        else:
            resting.append((time.monotonic() + 0.5, actor, since))

    for i in [i for i in todo if attempts[i] >= options.max_attempts]:
        todo.remove(i)
        finish(i, interrupted_record(files[i], attempts[i]), fresh=True)
    while todo or calls or resting:
        now = time.monotonic()
        for entry in [r for r in resting if r[0] <= now]:
            resting.remove(entry)
            calls[entry[1].info.remote(None)] = ("ping", entry[1], entry[2])
        while todo and pool.idle:
            i = todo.popleft()
            actor = pool.idle.pop()
            known = frozenset() if i in bypass or journal is None else journal.known(files[i])
            if journal is not None:
                journal.mark_in_flight(files[i])
            calls[actor.analyze.remote(abs_paths[i], str(files[i]), known)] = ("file", i, actor)
        if not calls:
            if not resting:
                raise EngineError(f"all Ray workers are gone; {len(todo)} files left (re-run to resume)")
            time.sleep(0.1)
            continue
        ready, _ = ray.wait(list(calls), num_returns=1, timeout=0.5)
        if ready and len(calls) > 1:  # take every finished call in one go: one wait per batch, not per file
            ready, _ = ray.wait(list(calls), num_returns=len(calls), timeout=0)
        for ref in ready:
            kind, *rest = calls.pop(ref)
            if kind == "ping":
                actor, since = rest
                try:
                    ray.get(ref)
                    pool.idle.append(actor)
                except ray.exceptions.RayError as exc:
                    worker_down(actor, exc, since)
                continue
            i, actor = rest
            try:
                reply = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # analyze raised: a bug, not a dead worker
                pool.idle.append(actor)
                finish(i, _error(files[i], f"worker raised {first_line(exc)}"), fresh=True)
                continue
            except ray.exceptions.RayError as exc:  # the worker process (or its node) died on this file
                stats["worker_deaths"] += 1
                worker_down(actor, exc, time.monotonic())
                attempts[i] += 1
                if attempts[i] < options.max_attempts:
                    stats["retried"] += 1
                    todo.appendleft(i)
                else:
                    message = (
                        f"the worker process died {attempts[i]} times while analysing this file "
                        f"(killed, crashed or out of memory; last: {type(exc).__name__}); not analysed"
                    )
                    finish(i, _error(files[i], message), fresh=True)
                continue
            pool.idle.append(actor)
            if "journaled" in reply:
                record = journal.lookup_hashed(files[i], reply["journaled"], reply["size_bytes"], reply["mtime"])
                if record is None:
                    bypass.add(i)
                    todo.appendleft(i)
                    continue
                stats["resumed"] += 1
                finish(i, record, fresh=False)
                continue
            result = reply["result"]
            if result.error == MISSING_FILE and os.path.lexists(abs_paths[i]):
                result.error = (
                    f"not visible on worker node {reply['node']} (the driver sees it): "
                    "mount the evidence at the same path on every node"
                )
            finish(i, result, fresh=True)
    return results, stats


def _error(path: Path, message: str) -> FileResult:
    return FileResult(path=str(path), status=STATUS_ERROR, error=message)
