"""How small may a face be? Crop AUC on DFDC val as if each face had been a given size in its source.

``--min-face`` (the smallest face box MTCNN searches for) trades speed against coverage: the pyramid
starts at that size, so a larger value is faster. A face found but too small to classify is no help,
so the default should sit where the classifier stops being useful. Each val crop is shrunk to the
pixels a face box of B px gives the card's framing (0.85 B on a side), then scored as scan scores it
(the classifier resizes to its input size). The crops come from boxes of 36-666 px (median 155), so
sizes above the native one only re-sample.

    PYTHONPATH=$PWD python benchmarks/face_size.py [--data ../shared/data/dfdc-faces]

Writes benchmarks/results/face_size.json. Skips politely when the shared data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from deepcheck.model.classifier import load_model
from deepcheck.training.metrics import detection_metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import val_crops  # noqa: E402

BOX_SIZES = (24, 32, 40, 48, 64, 80, 96, 128)


def as_if_box(img: np.ndarray, box: int, size_rel_height: float) -> np.ndarray:
    """The crop with the resolution a face box of ``box`` px would give it (never enlarged here)."""
    side = max(2, round(size_rel_height * box))
    if side >= img.shape[0]:
        return img
    return cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/dfdc-faces"))
    parser.add_argument("--model", default="deepcheck-lite0")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/face_size.json"))
    args = parser.parse_args()
    found = val_crops(args.data)
    if found is None:
        return 0
    samples, labels, images = found
    model = load_model(args.model)
    rel = model.card.framing.size_rel_height
    results: dict = {"model": model.card.name, "sha256": model.card.sha256, "n": len(samples), "by_box_px": {}}
    for box in (*BOX_SIZES, None):
        t0 = time.perf_counter()
        scores = model.predict([img if box is None else as_if_box(img, box, rel) for img in images])
        m = detection_metrics(labels, scores, model.card.threshold)
        key = "native" if box is None else str(box)
        results["by_box_px"][key] = {k: round(float(m[k]), 4) for k in ("auc", "tpr", "fpr") if k in m}
        print(f"face box {key:>6} px: AUC {m['auc']:.4f}  ({time.perf_counter() - t0:.0f} s)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
