"""Is model B's AUC really higher than model A's on the same files? A paired bootstrap (issue 23, part 7).

Two runs of ``generalisation.py --keep-scores`` score the same files. Their AUCs differ by a little, and
each alone carries about ±0.015 of sampling noise on ``ffpp-faces`` (±0.03 per method, ±0.08 on the 60
c40 videos). The difference of two models on the same files is much less noisy than that, because
both see the same hard and easy files. This resamples the files (reals and fakes apart, with
replacement) and reports the AUC difference B − A with its 95% interval, overall and per method.

    python benchmarks/paired_auc.py DIR_A DIR_B [--resamples 2000] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from two_views import SETS, combine


def paired(labels: np.ndarray, a: np.ndarray, b: np.ndarray, resamples: int, seed: int = 0) -> dict:
    """AUC of A and B, and B − A with a stratified bootstrap 95% interval."""
    rng = np.random.default_rng(seed)
    real, fake = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    diffs = []
    for _ in range(resamples):
        idx = np.r_[rng.choice(real, len(real)), rng.choice(fake, len(fake))]
        diffs.append(roc_auc_score(y, b[idx]) - roc_auc_score(y, a[idx]))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    auc_a, auc_b = roc_auc_score(labels, a), roc_auc_score(labels, b)
    return {
        "auc_a": round(float(auc_a), 3),
        "auc_b": round(float(auc_b), 3),
        "b_minus_a": round(float(auc_b - auc_a), 3),
        "ci95": [round(float(lo), 3), round(float(hi), 3)],
        "share_b_better": round(float(np.mean(np.array(diffs) > 0)), 3),
    }


def compare(views: dict, resamples: int) -> dict[str, dict]:
    """Overall and per method (each method's fakes against all reals)."""
    labels = np.array(views["a"]["labels"])
    a, b = (np.array(views[v]["scores"], dtype=float) for v in ("a", "b"))
    methods = views["a"]["methods"]
    rows = {"all": paired(labels, a, b, resamples)}
    for method in sorted({m for m, y in zip(methods, labels) if y == 1 and m}):
        keep = np.array([y == 0 or m == method for m, y in zip(methods, labels)])
        rows[method] = paired(labels[keep], a[keep], b[keep], resamples)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path, help="kept scores of the reference run (e.g. the control)")
    ap.add_argument("b", type=Path, help="kept scores of the run to compare with it")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    found = [s for s in SETS if (args.a / f"{s}.scores.json").is_file() and (args.b / f"{s}.scores.json").is_file()]
    if not found:
        print(f"skipped: no set's scores in both {args.a} and {args.b} (run generalisation.py --keep-scores first)")
        return 0
    result: dict = {"a": str(args.a), "b": str(args.b), "resamples": args.resamples, "sets": {}}
    for s in found:
        runs = [json.loads((d / f"{s}.scores.json").read_text()) for d in (args.a, args.b)]
        views, unpaired = combine(*runs)
        result["sets"][s] = {"files": len(views["a"]["labels"]), "unpaired": unpaired, **compare(views, args.resamples)}
    for s, rows in result["sets"].items():
        for name, r in rows.items():
            if isinstance(r, dict):
                print(f"{s:11s} {name:15s} A {r['auc_a']:.3f}  B {r['auc_b']:.3f}  B-A {r['b_minus_a']:+.3f}  "
                      f"95% [{r['ci95'][0]:+.3f}, {r['ci95'][1]:+.3f}]")  # fmt: skip
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
