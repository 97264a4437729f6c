"""Two scores of each face combined: two views (tight and wide) of one model, or two models (issue 23, part 4).

Reads the per-face scores that ``generalisation.py --keep-scores DIR`` kept for two runs, pairs each face
of a file with the same face in the other run (same detector, same frames, so the same faces in the same
order), and scores each run alone and the weighted mean of the two calibrated logits, under the product's
person rule. Files whose face lists differ are counted and left out of every row, so all rows score the
same files.

Kept scores are probabilities at the temperature of the card that scored them. ``--temperatures`` divides
each run's logits once more, for a run scored with an uncalibrated card (its ``deepcheck calibrate``
temperature) so that both runs are averaged on their calibrated scale; 1 where the card was calibrated.
Besides AUC, each row gives the share of fakes and of reals above a threshold chosen as ``deepcheck
calibrate`` chooses it: the lowest with at most 1% (5%, 10%) of the reals of each of ``dfdc-val`` and
``ffpp-faces`` above it.
That is where a ``fake`` verdict is decided, and where a higher AUC has not always meant more fakes caught.

    python benchmarks/two_views.py DIR_A DIR_B [--temperatures TA TB] [--weight W] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from deepcheck.model.classifier import calibrate
from deepcheck.training.evaluate import stored_file_score
from deepcheck.training.metrics import detection_metrics, threshold_for_fpr

SETS = ("dfdc-val", "ffpp-faces", "ffpp-c40")
CALIBRATION_SETS = ("dfdc-val", "ffpp-faces")  # as the shipped card's calibration
FPR_TARGETS = (0.01, 0.05, 0.10)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def combine(a: list[dict], b: list[dict], ta: float = 1.0, tb: float = 1.0, weight: float = 0.5):
    """Per view (a, b, both): labels, methods and file scores; and the count of unpaired files.

    ``ta``/``tb`` divide each run's logits (the calibration its card lacked, else 1); ``both`` is
    ``(1 - weight)`` of a's calibrated logit plus ``weight`` of b's.
    """
    other = {f["path"]: f for f in b}
    views: dict[str, dict] = {v: {"labels": [], "methods": [], "scores": []} for v in ("a", "b", "both")}
    unpaired = 0
    for f in a:
        g = other.get(f["path"])
        if not f["faces"] or g is None or [x[:2] for x in f["faces"]] != [x[:2] for x in g["faces"]]:
            unpaired += 1
            continue
        la = _logit(np.array([x[2] for x in f["faces"]])) / ta
        lb = _logit(np.array([x[2] for x in g["faces"]])) / tb
        mix = (1 - weight) * la + weight * lb
        for view, logits in (("a", la), ("b", lb), ("both", mix)):
            faces = [(x[0], x[1], float(v)) for x, v in zip(f["faces"], calibrate(logits, 1.0))]
            views[view]["labels"].append(f["label"])
            views[view]["methods"].append(f["method"])
            views[view]["scores"].append(stored_file_score(faces))
    return views, unpaired


def auc_row(d: dict) -> dict[str, float | None]:
    """AUC overall and per method (each method's fakes against all reals)."""
    labels, scores, methods = np.array(d["labels"]), np.array(d["scores"], dtype=float), d["methods"]
    row = {"all": detection_metrics(labels, scores, 0.5)["auc"]}
    for method in sorted({m for m, y in zip(methods, labels) if y == 1 and m}):
        keep = np.array([y == 0 or m == method for m, y in zip(methods, labels)])
        row[method] = detection_metrics(labels[keep], scores[keep], 0.5)["auc"]
    return {k: (round(v, 3) if v is not None else None) for k, v in row.items()}


def operating_points(by_set: dict[str, dict]) -> dict[str, dict[str, dict[str, float]]]:
    """TPR and FPR per set at the threshold calibrate would choose for each false-alarm target."""
    arrays = {name: (np.array(d["labels"]), np.array(d["scores"], dtype=float)) for name, d in by_set.items()}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for target in FPR_TARGETS:
        # calibrate's rule: the lowest threshold that holds the target on each calibration set's reals
        threshold = max(threshold_for_fpr(arrays[s][1][arrays[s][0] == 0], target) for s in CALIBRATION_SETS)
        out[f"fpr<={target:.2f}"] = {
            name: {
                "tpr": round(float(np.mean(scores[labels == 1] >= threshold)), 3),
                "fpr": round(float(np.mean(scores[labels == 0] >= threshold)), 3),
            }
            for name, (labels, scores) in arrays.items()
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path, help="kept scores of the first run (e.g. the tight view, or the shipped model)")
    ap.add_argument("b", type=Path, help="kept scores of the second run")
    ap.add_argument("--temperatures", type=float, nargs=2, default=(1.0, 1.0), metavar=("TA", "TB"))
    ap.add_argument("--weight", type=float, default=0.5, help="share of the second run in the mean logit")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    ta, tb = args.temperatures
    found = [s for s in SETS if (args.a / f"{s}.scores.json").is_file() and (args.b / f"{s}.scores.json").is_file()]
    if not found:
        print(f"skipped: no set's scores in both {args.a} and {args.b} (run generalisation.py --keep-scores first)")
        return 0
    views: dict[str, dict[str, dict]] = {}
    result: dict = {"a": str(args.a), "b": str(args.b), "temperatures": [ta, tb], "weight": args.weight, "sets": {}}
    for s in found:
        runs = [json.loads((d / f"{s}.scores.json").read_text()) for d in (args.a, args.b)]
        views[s], unpaired = combine(*runs, ta, tb, args.weight)
        result["sets"][s] = {
            "files": len(views[s]["a"]["labels"]),
            "unpaired": unpaired,
            "auc": {v: auc_row(d) for v, d in views[s].items()},
        }
    if all(s in views for s in CALIBRATION_SETS):
        result["operating_points"] = {v: operating_points({s: views[s][v] for s in views}) for v in ("a", "b", "both")}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
