"""Accuracy and robustness of a shipped model on the shared DFDC val crops.

Measures crop-level AUC on clean val crops, after JPEG re-compression at
quality 50, and after halving and restoring the resolution; and the
false-positive rate on real faces at the card's threshold, on all val reals
and on the identity-disjoint holdout half (see val_splits.py).

    python benchmarks/accuracy.py --data ../shared/data/dfdc-faces [--model deepcheck-lite0]

Skips politely when the shared data is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from deepcheck.media.images import read_crop_rgb
from deepcheck.model.classifier import load_model
from deepcheck.training.augment import down_up, jpeg
from deepcheck.training.datasets import list_labelled
from deepcheck.training.metrics import detection_metrics

CONDITIONS = {
    "clean": lambda img: img,
    "jpeg_q50": lambda img: jpeg(img, 50),
    "half_size": lambda img: down_up(img, 0.5),
}


def val_crops(data: Path) -> tuple[list, np.ndarray, list[np.ndarray]] | None:
    """The DFDC val crops (samples, labels with 1 = fake, RGB images); None, said politely, when absent."""
    if not (data / "val").is_dir():
        print(f"skipped: {data / 'val'} not found (the shared DFDC crops are not on this machine)")
        return None
    samples = list_labelled(data / "val")
    return samples, np.array([s.label for s in samples]), [read_crop_rgb(s.path) for s in samples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/dfdc-faces"))
    parser.add_argument("--model", default="deepcheck-lite0")
    parser.add_argument("--splits", type=Path, default=None, help="folder with holdout.csv (val_splits.py)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/accuracy.json"))
    args = parser.parse_args()
    found = val_crops(args.data)
    if found is None:
        return 0
    samples, labels, images = found
    model = load_model(args.model)
    threshold = model.card.threshold
    results: dict = {
        "model": model.card.name,
        "sha256": model.card.sha256,
        "threshold": threshold,
        "temperature": model.card.temperature,
        "n": len(samples),
        "conditions": {},
    }
    for name, transform in CONDITIONS.items():
        t0 = time.perf_counter()
        scores = model.predict([transform(img) for img in images])
        metrics = detection_metrics(labels, scores, threshold)
        metrics["seconds"] = round(time.perf_counter() - t0, 1)
        results["conditions"][name] = metrics
        if name == "clean" and args.splits and (args.splits / "holdout.csv").is_file():
            holdout = {str(Path(r["path"]).resolve()) for r in csv.DictReader(open(args.splits / "holdout.csv"))}
            mask = np.array([str(s.path.resolve()) in holdout for s in samples])
            results["holdout_clean"] = detection_metrics(labels[mask], scores[mask], threshold)
    clean_auc = results["conditions"]["clean"]["auc"]
    print(f"model {model.card.name} (threshold {threshold}, temperature {model.card.temperature})")
    print(f"{'condition':<12} {'AUC':>7} {'ΔAUC':>7} {'FPR@thr':>8} {'TPR@thr':>8} {'EER':>7} {'log-loss':>9}")
    for name, m in results["conditions"].items():
        print(
            f"{name:<12} {m['auc']:7.4f} {m['auc'] - clean_auc:+7.4f} {m['fpr_at_threshold']:8.4f} "
            f"{m['tpr_at_threshold']:8.4f} {m['eer']:7.4f} {m['log_loss']:9.4f}"
        )
    if "holdout_clean" in results:
        h = results["holdout_clean"]
        print(
            f"holdout half (identities unseen by calibration): n={h['n']} AUC {h['auc']:.4f} "
            f"FPR@thr {h['fpr_at_threshold']:.4f} TPR@thr {h['tpr_at_threshold']:.4f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
