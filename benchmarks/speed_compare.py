"""Comparisons in one folder scan: worker processes against in-process (``speed.py --workers-only``), and
other backbones against the shipped one (``--backbones``)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from timing import cpu_of, folder_scan


def compare_workers(shipped, work: dict, repeats: int, counts=(1, 2)) -> dict:
    """Marginal cost of the supervised workers (deepcheck/scanning/workers.py) against the in-process path.

    Models are loaded before timing in both, so this is the per-file price of the process boundary
    (pipes, plain-data records, supervision) and the gain of N workers. Runs are interleaved
    (in-process, then each worker count, per repeat) so that load from other jobs hits all alike.
    CPU seconds (driver + workers) are reported beside wall time: on a shared machine they show
    the cost of the work itself, where wall time also shows who got the cores.
    """
    from deepcheck.scanning.workers import Limits, WorkerPool

    def pooled(pool, paths):
        pool.run([(i, str(p), str(p)) for i, p in enumerate(paths)], lambda i, r: None)

    folders = {"10 s 1080p clip": work["1080p"], "photo": work["photos"]}
    wall: dict = {name: {} for name in folders}
    cpu: dict = {name: {} for name in folders}
    pools = {}

    def timed(name, label, fn, pids):
        w, c = time.perf_counter(), time.process_time() + cpu_of(pids)
        fn()
        n = len(folders[name])
        wall[name].setdefault(label, []).append((time.perf_counter() - w) / n)
        cpu[name].setdefault(label, []).append((time.process_time() + cpu_of(pids) - c) / n)

    try:
        for n in counts:
            pools[n] = WorkerPool(shipped.settings.to_dict(), n, Limits()).__enter__()
            pools[n].wait_ready()
            pooled(pools[n], work["1080p"][:1] + work["photos"][:2])  # warm-up, as for the in-process path
        for _ in range(repeats):
            for name, paths in folders.items():
                timed(name, "in-process", lambda p=paths: folder_scan(shipped, p), [])
                for n, pool in pools.items():
                    pids = [w.process.pid for w in pool.workers]
                    timed(name, f"{n} worker{'s' if n > 1 else ''}", lambda p=paths, q=pool: pooled(q, p), pids)
    finally:
        for pool in pools.values():
            pool.close()
    out = {}
    for name in folders:
        base_wall, base_cpu = statistics.median(wall[name]["in-process"]), statistics.median(cpu[name]["in-process"])
        out[name] = {}
        for label in wall[name]:
            mw, mc = statistics.median(wall[name][label]), statistics.median(cpu[name][label])
            out[name][label] = {
                "wall_s_per_file": round(mw, 4),
                "wall_vs_in_process": round(mw / base_wall, 3),
                "cpu_s_per_file": round(mc, 4),
                "cpu_vs_in_process": round(mc / base_cpu, 3),
            }
            print(
                f"{name} {label}: wall {mw:.3f} s/file ({mw / base_wall:.3f}x), cpu {mc:.3f} s/file "
                f"({mc / base_cpu:.3f}x)",
                file=sys.stderr,
            )
    return out


def backbone_cost(shipped, cards: list[Path], work: dict, repeats: int, frames: int) -> dict:
    """Issue 23 part 6: what a bigger backbone costs in a folder scan, same detector, same clips.

    Each card's classifier replaces the shipped one in an otherwise shipped Analyzer; runs are
    interleaved per repeat so that load from other jobs hits every model alike. Weights do not change
    the cost, so untrained cards of another architecture serve as well as trained ones.
    """
    import numpy as np

    from deepcheck.model.classifier import load_model
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    models = {"shipped": shipped.classifier}
    for card in cards:
        models[str(card)] = load_model(card, runtime="onnx")
    analyzers = {name: Analyzer(ScanSettings(frames=frames), m, shipped.detector) for name, m in models.items()}
    for a in analyzers.values():  # warm-up
        folder_scan(a, work["1080p"][:1])
    times: dict = {name: {res: [] for res in ("1080p", "720p")} for name in analyzers}
    for _ in range(repeats):
        for res in ("1080p", "720p"):
            for name, a in analyzers.items():
                t = time.perf_counter()
                folder_scan(a, work[res])
                times[name][res].append((time.perf_counter() - t) / len(work[res]))
    out = {}
    for name, m in models.items():
        face = np.zeros((m.card.input_size, m.card.input_size, 3), np.uint8)
        t = time.perf_counter()
        for _ in range(5):
            m.predict([face] * 32)
        out[name] = {
            "architecture": m.card.architecture,
            "input_size": m.card.input_size,
            "seconds_per_clip": {res: round(statistics.median(v), 3) for res, v in times[name].items()},
            "runs": {res: [round(x, 3) for x in v] for res, v in times[name].items()},
            "classifier_ms_per_face": round((time.perf_counter() - t) / (5 * 32) * 1000, 2),
        }
    return out
