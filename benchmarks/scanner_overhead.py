"""What does an isolated Scanner cost per file? ``Scanner()`` (one supervised worker) against
``Scanner(isolate=False)`` (models in the calling process), on the same files, after start-up.

Both scan the same distinct photos of the astronaut face (and, with ``--videos``, short clips) one
``scan_file`` at a time, in alternating rounds so that a busy machine disturbs both alike. The
difference per file is the isolation's cost: the path and the record crossing a pipe, and the
driver's bookkeeping. Start-up (loading the models) is timed apart.

    PYTHONPATH=$PWD python benchmarks/scanner_overhead.py --images 20 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ray_overhead import make_workload  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--videos", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import deepcheck

    with tempfile.TemporaryDirectory() as tmp:
        work = make_workload(Path(tmp), args.images, args.videos, 0)
        files = work["image"] + work["video"]
        start = {}
        scanners = {}
        for name, isolate in (("isolated", True), ("in-process", False)):
            t = time.perf_counter()
            scanners[name] = deepcheck.Scanner(frames=8, journal=False, isolate=isolate)
            start[name] = time.perf_counter() - t
        per_file: dict[str, list[float]] = {name: [] for name in scanners}
        scores: dict[str, list] = {name: [] for name in scanners}
        for r in range(args.rounds):
            order = list(scanners) if r % 2 == 0 else list(reversed(scanners))
            for name in order:
                for path in files:
                    t = time.perf_counter()
                    result = scanners[name].scan_file(path)
                    per_file[name].append(time.perf_counter() - t)
                    if r == 0:
                        scores[name].append(result.score)
        for scanner in scanners.values():
            scanner.close()
    assert scores["isolated"] == scores["in-process"], "the two paths gave different scores"
    med = {name: statistics.median(v) for name, v in per_file.items()}
    mean = {name: statistics.fmean(v) for name, v in per_file.items()}
    print(
        json.dumps(
            {
                "files": len(files),
                "rounds": args.rounds,
                "start_s": {k: round(v, 3) for k, v in start.items()},
                "median_ms": {k: round(1000 * v, 1) for k, v in med.items()},
                "mean_ms": {k: round(1000 * v, 1) for k, v in mean.items()},
                "overhead_median_ms": round(1000 * (med["isolated"] - med["in-process"]), 1),
                "overhead_mean_ms": round(1000 * (mean["isolated"] - mean["in-process"]), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
