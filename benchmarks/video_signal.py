"""Where the signal goes between FaceForensics++ crops (AUC ~0.70) and c40 videos (~0.55): issue 23, part 8.

Each row isolates one difference between the two measurements, with the same model:

- ``crops``: ``ffpp-faces`` scored as crops (the usual row);
- ``crops, detected``: the same crops through MTCNN and the model's own framing (no ``--crops``);
- ``crops, H.264 CRF n``: the crops re-encoded once by libx264 at CRF n (c40 is CRF ~40), then scored;
- ``c40 faces`` / ``c40 frames`` / ``c40 videos``: every face crop of the videos as a sample (labelled
  by its video), every frame, and the videos under each person-score rule;
- ``c40 faces, box ≥ N px``: faces by MTCNN box height.

    python benchmarks/video_signal.py [--model deepcheck-lite0] [--data ../shared/data]

Writes benchmarks/results/video_signal/<model>-<sha8>.json. Skips politely without the shared data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from deepcheck.model import scoring
from deepcheck.scanning.pipeline import Analyzer, ScanSettings
from deepcheck.training.augment import video_codec
from deepcheck.training.datasets import list_labelled
from deepcheck.training.evaluate import stored_file_score
from deepcheck.training.metrics import detection_metrics


def _auc(labels, scores) -> float | None:
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=float)
    if len(set(labels.tolist())) < 2:
        return None
    return detection_metrics(labels, scores, 0.5)["auc"]


def score_files(analyzer: Analyzer, samples) -> list[dict]:
    out = []
    for s in samples:
        r = analyzer.analyze(s.path)
        out.append(
            {
                "label": s.label,
                "method": s.method,
                "score": r.score,
                "faces": [(f.frame_index, f.person, f.score, f.box[3] - f.box[1]) for f in r.faces],
            }
        )
    return out


def file_auc(files: list[dict]) -> tuple[float | None, int]:
    scored = [f for f in files if f["score"] is not None]
    return _auc([f["label"] for f in scored], [f["score"] for f in scored]), len(scored)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="deepcheck-lite0")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--crfs", default="23,32,40")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/video_signal"))
    a = ap.parse_args()
    faces_dir, videos_dir = a.data / "ffpp-faces", a.data / "ffpp-c40-videos"
    if not faces_dir.is_dir() or not videos_dir.is_dir():
        print("skipped: the shared FF++ validation data is not on this machine")
        return 0
    rows = []
    crops = Analyzer.create(ScanSettings(model=a.model, crops=True))
    card = crops.classifier.card
    samples = list_labelled(faces_dir)
    auc, n = file_auc(score_files(crops, samples))
    rows.append({"row": "crops", "auc": auc, "n": n})
    detected = Analyzer.create(ScanSettings(model=a.model, crops=False))
    auc, n = file_auc(score_files(detected, samples))
    rows.append({"row": "crops, detected", "auc": auc, "n": n})
    for crf in (int(c) for c in a.crfs.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            recoded = []
            for i, s in enumerate(samples):
                img = cv2.imread(str(s.path))[:, :, ::-1]
                path = Path(tmp) / f"{i}.png"
                cv2.imwrite(str(path), video_codec(np.ascontiguousarray(img), crf)[:, :, ::-1])
                recoded.append(type(s)(path, s.label, s.method))
            auc, n = file_auc(score_files(crops, recoded))
        rows.append({"row": f"crops, H.264 CRF {crf}", "auc": auc, "n": n})
        print(rows[-1], file=sys.stderr)
    videos = score_files(detected, list_labelled(videos_dir))
    faces = [(v["label"], f) for v in videos for f in v["faces"]]
    rows.append({"row": "c40 faces", "auc": _auc([lb for lb, _ in faces], [f[2] for _, f in faces]), "n": len(faces)})
    frames = []
    for v in videos:
        by_frame: dict[int, float] = {}
        for f in v["faces"]:
            by_frame[f[0]] = max(by_frame.get(f[0], 0.0), f[2])
        frames += [(v["label"], s) for s in by_frame.values()]
    rows.append({"row": "c40 frames", "auc": _auc(*zip(*frames)) if frames else None, "n": len(frames)})
    for rule in scoring.PERSON_RULES:
        labels, scores = [], []
        for v in videos:
            if not v["faces"]:
                continue
            labels.append(v["label"])
            scores.append(stored_file_score(v["faces"], rule))
        rows.append({"row": f"c40 videos, {rule}", "auc": _auc(labels, scores), "n": len(labels)})
    heights = np.array([f[3] for _, f in faces])
    for lo in (0, 80, 120, 160):
        keep = [(lb, f[2]) for lb, f in faces if f[3] >= lo]
        rows.append({"row": f"c40 faces, box >= {lo} px", "auc": _auc(*zip(*keep)) if keep else None, "n": len(keep)})
    result = {
        "model": card.name,
        "sha256": card.sha256,
        "framing": card.framing.__dict__,
        "input_size": card.input_size,
        "command": "python benchmarks/video_signal.py " + " ".join(sys.argv[1:]),
        "c40_face_box_height_px": {q: float(np.percentile(heights, q)) for q in (10, 50, 90)} if len(heights) else {},
        "rows": rows,
    }
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"{card.name}-{card.sha256[:8]}.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| row | n | AUC |\n|---|---|---|")
    for r in rows:
        auc = "–" if r["auc"] is None else f"{r['auc']:.3f}"
        print(f"| {r['row']} | {r['n']} | {auc} |")
    print(f"c40 face box height, 10/50/90th percentile: {result['c40_face_box_height_px']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
