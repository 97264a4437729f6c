"""How long does grouping 100,000 perceptual hashes take? The multi-index against all pairs.

    PYTHONPATH=$PWD python benchmarks/grouping.py              # 10k, 30k, 100k hashes; results/grouping.json
    PYTHONPATH=$PWD python benchmarks/grouping.py --sizes 1000 # a quick look

Synthetic PDQ hashes: uniformly random ones, plus 5% near copies (each a random hash of the set with 0-40
bits flipped), so that groups exist and some pairs sit on either side of the 31-bit line. Each size is timed
through ``find_groups`` (deepcheck/known/groups.py: the multi-index, union-find, the group records) on
plain ``FileResult`` records, as a scan's driver runs it; all pairs are timed only where they fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def synthetic(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**63, size=(n, 4), dtype=np.uint64) | (
        rng.integers(0, 2, size=(n, 4), dtype=np.uint64) << np.uint64(63)
    )
    copies = rng.choice(n, size=n // 20, replace=False)
    for k in copies:
        src = words[rng.integers(0, n)].copy()
        for bit in rng.choice(256, size=rng.integers(0, 41), replace=False):
            src[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
        words[k] = src
    return ["".join(f"{int(w):016x}" for w in row) for row in words]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    ap.add_argument("--brute-max", type=int, default=30_000, help="largest size also timed with all pairs")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "grouping.json")
    args = ap.parse_args()
    from deepcheck.known.groups import find_groups
    from deepcheck.known.index import _all_pairs, near_pairs
    from deepcheck.media.perceptual import as_words
    from deepcheck.reports.results import FileResult

    rows = []
    for n in args.sizes:
        hashes = synthetic(n)
        files = [
            FileResult(path=f"f{i}.jpg", sha256=f"{i:064x}", hashes={"pdq": h, "pdq_quality": 100})
            for i, h in enumerate(hashes)
        ]
        t = time.perf_counter()
        groups = find_groups(files)
        seconds = time.perf_counter() - t
        row = {
            "hashes": n,
            "seconds": round(seconds, 2),
            "groups": len(groups),
            "grouped_files": sum(len(g["members"]) for g in groups),
        }
        if n <= args.brute_max:
            words = as_words(hashes)
            t = time.perf_counter()
            pairs = _all_pairs(words, words, 31, True)
            row["all_pairs_seconds"] = round(time.perf_counter() - t, 2)
            row["pairs"] = len(pairs[0])
            fast = near_pairs(words, None, 31)
            row["same_pairs"] = set(zip(*map(list, fast[:2]))) == set(zip(*map(list, pairs[:2])))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
