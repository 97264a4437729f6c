"""What do the hashes (MD5, PDQ, vPDQ) add to a folder scan? Interleaved runs with hashing on and off.

Run through ``benchmarks/speed.py --hashing-only`` (same workload: ~1 MP photos, 10 s 1080p clips). The
same loaded models scan the same folder with the shipped pipeline, then with the three hashing steps
replaced by no-ops (SHA-256 alone is read, no PDQ, no vPDQ frames), repeat after repeat, so that load
from other jobs on this shared machine falls on both alike. Reported: the medians and their ratio.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from contextlib import contextmanager
from pathlib import Path


class _NoVpdq:
    note = None

    def wants(self, time_s):
        return False

    def compact(self):
        return []


@contextmanager
def hashing_off():
    """The pipeline with only the SHA-256 it had before (what the hashes cost is the difference)."""
    from deepcheck.media import evidence
    from deepcheck.scanning import pipeline

    saved = (pipeline._perceptual_hash, pipeline.VpdqCollector, evidence.EvidenceFile.digests)

    def sha_only(self):
        digest = hashlib.sha256()
        self.file.seek(0)
        while chunk := self.file.read(evidence.CHUNK):
            digest.update(chunk)
        self.file.seek(0)
        return "", digest.hexdigest()

    pipeline._perceptual_hash = lambda result, rgb: None
    pipeline.VpdqCollector = _NoVpdq
    evidence.EvidenceFile.digests = sha_only
    try:
        yield
    finally:
        pipeline._perceptual_hash, pipeline.VpdqCollector, evidence.EvidenceFile.digests = saved


def hashing_cost(analyzer, folders: dict[str, list[Path]], repeats: int) -> dict:
    """Seconds per file with and without the hashes, per folder, interleaved; the added share."""
    from deepcheck.scanning.pipeline import run_scan

    out = {}
    for name, paths in folders.items():
        on, off = [], []
        for _ in range(repeats):
            for times, switch in ((on, None), (off, hashing_off)):
                t = time.perf_counter()
                if switch is None:
                    run_scan(paths, analyzer)
                else:
                    with switch():
                        run_scan(paths, analyzer)
                times.append((time.perf_counter() - t) / len(paths))
        with_h, without = statistics.median(on), statistics.median(off)
        out[name] = {
            "files": len(paths),
            "seconds_per_file_with_hashes": round(with_h, 4),
            "seconds_per_file_without": round(without, 4),
            "added_percent": round(100 * (with_h - without) / without, 1),
            "runs_with": [round(x, 4) for x in on],
            "runs_without": [round(x, 4) for x in off],
        }
    return out


def hashing_steps(paths_by_kind: dict[str, list[Path]], repeats: int = 5) -> dict:
    """The hashing steps alone, on the decoded pixels: PDQ per photo, vPDQ per clip (ms, median)."""
    import numpy as np
    from PIL import Image

    from deepcheck.media.perceptual import pdq

    out = {}
    photos = paths_by_kind.get("photo") or []
    if photos:
        pictures = [np.asarray(Image.open(p).convert("RGB")) for p in photos[:20]]
        runs = []
        for _ in range(repeats):
            t = time.perf_counter()
            for rgb in pictures:
                pdq(rgb)
            runs.append((time.perf_counter() - t) / len(pictures))
        out["pdq_ms_per_photo"] = round(1000 * statistics.median(runs), 2)
    return out
