"""Split the shared DFDC val crops into two identity-disjoint halves.

`calib.csv` fits the temperature and threshold (deepcheck calibrate);
`holdout.csv` measures them on people the calibration never saw, so the
reported false-positive rate is not true by construction.

    python benchmarks/val_splits.py ../shared/data/dfdc-faces runs/splits
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path


def main(data: Path, out: Path) -> None:
    rows = [r for r in csv.DictReader(open(data / "metadata.csv", encoding="utf-8")) if r["split"] == "val"]
    by_cluster: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_cluster[r["cluster"]].append(r)
    halves: dict[str, list[dict]] = {"calib": [], "holdout": []}
    for cluster in sorted(by_cluster, key=lambda c: (-len(by_cluster[c]), c)):
        smaller = min(halves, key=lambda h: len(halves[h]))
        halves[smaller].extend(by_cluster[cluster])
    out.mkdir(parents=True, exist_ok=True)
    for name, items in halves.items():
        with open(out / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["path", "label", "cluster"])
            for r in sorted(items, key=lambda r: r["file"]):
                writer.writerow([str((data / r["file"]).resolve()), r["label"].lower(), r["cluster"]])
        reals = sum(r["label"] == "REAL" for r in items)
        print(f"{name}: {len(items)} crops ({reals} real), {len({r['cluster'] for r in items})} identity groups")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
