"""Two views of each face (issue 23, part 4): the tight crop and the wide one, scored apart, then combined.

Reads the per-face scores that ``generalisation.py --keep-scores DIR`` kept for two runs of the same
weights at two framings, pairs each face of a file with the same face in the other run (same detector,
same frames, so the same faces in the same order), and gives video AUC for each view alone and for the
mean logit of the two, overall and per method, under the product's person rule. Files whose face lists
differ are counted and left out of every row, so all rows score the same files.

    python benchmarks/two_views.py TIGHT_DIR WIDE_DIR [--set ffpp-c40] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from deepcheck.training.evaluate import stored_file_score
from deepcheck.training.metrics import detection_metrics


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def combine(tight: list[dict], wide: list[dict]) -> tuple[dict[str, dict], int]:
    """Per view (tight, wide, mean-logit): labels, methods and file scores; and the count of unpaired files."""
    other = {f["path"]: f for f in wide}
    views: dict[str, dict] = {v: {"labels": [], "methods": [], "scores": []} for v in ("tight", "wide", "two-view")}
    unpaired = 0
    for f in tight:
        g = other.get(f["path"])
        if not f["faces"] or g is None or [x[:2] for x in f["faces"]] != [x[:2] for x in g["faces"]]:
            unpaired += 1
            continue
        a = np.array([x[2] for x in f["faces"]])
        b = np.array([x[2] for x in g["faces"]])
        mean = 1 / (1 + np.exp(-(_logit(a) + _logit(b)) / 2))
        for view, s in (("tight", a), ("wide", b), ("two-view", mean)):
            faces = [(x[0], x[1], float(v)) for x, v in zip(f["faces"], s)]
            views[view]["labels"].append(f["label"])
            views[view]["methods"].append(f["method"])
            views[view]["scores"].append(stored_file_score(faces))
    return views, unpaired


def table(views: dict[str, dict]) -> dict[str, dict[str, float | None]]:
    """AUC per view, overall and per method (each method's fakes against all reals)."""
    out: dict[str, dict[str, float | None]] = {}
    for view, d in views.items():
        labels, scores, methods = np.array(d["labels"]), np.array(d["scores"], dtype=float), d["methods"]
        row = {"all": detection_metrics(labels, scores, 0.5)["auc"]}
        for method in sorted({m for m, y in zip(methods, labels) if y == 1 and m}):
            keep = np.array([y == 0 or m == method for m, y in zip(methods, labels)])
            row[method] = detection_metrics(labels[keep], scores[keep], 0.5)["auc"]
        out[view] = {k: (round(v, 3) if v is not None else None) for k, v in row.items()}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tight", type=Path)
    ap.add_argument("wide", type=Path)
    ap.add_argument("--set", default="ffpp-c40")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    paths = [args.tight / f"{args.set}.scores.json", args.wide / f"{args.set}.scores.json"]
    if not all(p.is_file() for p in paths):
        print(f"skipped: {paths[0]} or {paths[1]} not found (run generalisation.py --keep-scores first)")
        return 0
    views, unpaired = combine(*(json.loads(p.read_text()) for p in paths))
    result = {"set": args.set, "files": len(views["tight"]["labels"]), "unpaired": unpaired, "auc": table(views)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
