"""Do the speed changes change any finding? The shipped settings against the old, slower ones.

    PYTHONPATH=$PWD python benchmarks/agreement.py [--videos ../shared/data/sample-videos] [--only sampling]

Sampling: every frame decoded and exact sample points (``--sampling every``) against the shipped
``auto`` (non-reference frames skipped, each point takes the nearest decoded frame; key frames for
clips over 2 minutes). Frames differ by a frame or two, so faces are not matched one to one: the
comparison is of file scores, verdicts, faces found and time. ``--only sampling`` writes
benchmarks/results/agreement_sampling.json.

Baseline: a full MTCNN search of every sampled frame on a copy with long side 960 px (deepcheck's
first default). Compared: the same at 640 px, and the shipped default (640 px, full search on every
4th sampled frame, local re-detection between). For each clip (the real DFDC sample videos when
present, and the speed workload's 1080p clips), all scan the same 32 sampled frames with the same
classifier (ONNX Runtime). Printed and saved to
benchmarks/results/agreement.json: faces found by each, box IoU between matched faces (per frame,
best match), the largest face-score difference and the file-score difference. Prefetching only
reorders work between threads and the classifier path is unchanged, so those give identical
records (tests/test_speed.py checks it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def compare(full, tracked) -> dict:
    from deepcheck.faces.tracking import iou

    by_frame: dict[int, list] = {}
    for f in full.faces:
        by_frame.setdefault(f.frame_index, []).append(f)
    ious, diffs = [], []
    for t in tracked.faces:
        best = max(by_frame.get(t.frame_index, []), key=lambda f: iou(f.box, t.box), default=None)
        if best is not None:
            ious.append(iou(best.box, t.box))
            diffs.append(abs(best.score - t.score))
    return {
        "faces_full": len(full.faces),
        "faces_tracked": len(tracked.faces),
        "iou_median": round(statistics.median(ious), 3) if ious else None,
        "iou_min": round(min(ious), 3) if ious else None,
        "face_score_max_diff": round(max(diffs), 4) if diffs else None,
        "file_score_full": full.score,
        "file_score_tracked": tracked.score,
        "file_score_diff": round(abs((full.score or 0) - (tracked.score or 0)), 4),
        "verdicts": [full.verdict, tracked.verdict],
        "seconds": [full.seconds, tracked.seconds],
    }


def compare_files(a, b) -> dict:
    """File-level agreement when the sampled frames themselves differ."""
    return {
        "faces": [len(a.faces), len(b.faces)],
        "file_scores": [a.score, b.score],
        "file_score_diff": round(abs((a.score or 0) - (b.score or 0)), 4),
        "verdicts": [a.verdict, b.verdict],
        "seconds": [a.seconds, b.seconds],
        "sampling": [a.media.get("sampling"), b.media.get("sampling")],
    }


def summarise(rows: dict) -> dict:
    return {
        "max_file_score_diff": max((r.get("file_score_diff", 0) for r in rows.values()), default=None),
        "verdicts_equal": all(r.get("verdicts", [0, 0])[0] == r.get("verdicts", [0, 0])[1] for r in rows.values()),
        "clips": rows,
    }


def runtime_agreement(val: Path) -> dict:
    """Every val crop scored by ONNX Runtime and by PyTorch: the largest differences, and AUC under each."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from deepcheck.media.images import read_crop_rgb
    from deepcheck.model.classifier import load_model
    from deepcheck.training.datasets import list_labelled

    samples = list_labelled(val)
    labels = np.array([s.label for s in samples])
    fast, reference = load_model(runtime="onnx"), load_model(runtime="torch")
    p_fast, p_ref = [], []
    for start in range(0, len(samples), 64):
        crops = [read_crop_rgb(s.path) for s in samples[start : start + 64]]
        p_fast.append(fast.predict(crops))
        p_ref.append(reference.predict(crops))
    a, b = np.concatenate(p_fast), np.concatenate(p_ref)
    return {
        "crops": len(samples),
        "max_prob_diff": float(np.max(np.abs(a - b))),
        "auc_onnx": round(float(roc_auc_score(labels, a)), 5),
        "auc_torch": round(float(roc_auc_score(labels, b)), 5),
        "verdicts_changed": int(np.sum((a >= fast.card.threshold) != (b >= fast.card.threshold))),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "data" / "sample-videos")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "deepcheck-bench")
    ap.add_argument("--val", type=Path, default=REPO.parent / "shared" / "data" / "dfdc-faces" / "val")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "agreement.json")
    ap.add_argument("--only", choices=["sampling", "detection", "all"], default="all")
    args = ap.parse_args()
    if args.only == "sampling" and args.out.name == "agreement.json":
        args.out = args.out.with_name("agreement_sampling.json")

    from workload import make_workload

    from deepcheck.model.runtime import tune_for_inference
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings, run_scan

    tune_for_inference()
    clips = sorted(args.videos.glob("*.mp4")) if args.videos.is_dir() else []
    if not clips:
        print(f"no sample videos at {args.videos}: comparing on the made workload only", file=sys.stderr)
    clips += make_workload(args.cache, clips=5, photos=0)["1080p"]
    shipped = Analyzer.create(ScanSettings())
    summary: dict = {}
    if args.only in ("sampling", "all"):
        every = Analyzer.create(replace(shipped.settings, sampling="every"))
        rows = {}
        for clip in clips:
            a = run_scan([clip], every, prefetch=False).files[0]
            b = run_scan([clip], shipped, prefetch=False).files[0]
            rows[clip.name] = compare_files(a, b) if a.status == b.status == "ok" else {"status": [a.status, b.status]}
            print("sampling", clip.name, rows[clip.name], file=sys.stderr)
        summary["sampling: every frame vs shipped auto"] = summarise(rows)
    if args.only == "sampling":
        variants = {}
    else:
        baseline = Analyzer.create(replace(shipped.settings, detect_size=960, detect_every=1))
        variants = {
            "640 px, every frame": Analyzer.create(replace(shipped.settings, detect_every=1)),
            f"shipped: {shipped.settings.detect_size} px, every {shipped.settings.detect_every}": shipped,
        }
        summary["baseline"] = "960 px, every frame"
    for name, analyzer in variants.items():
        rows = {}
        for clip in clips:
            a = run_scan([clip], baseline, prefetch=False).files[0]
            b = run_scan([clip], analyzer, prefetch=False).files[0]
            rows[clip.name] = compare(a, b) if a.status == b.status == "ok" else {"status": [a.status, b.status]}
            print(name, clip.name, rows[clip.name], file=sys.stderr)
        summary[name] = {
            "max_file_score_diff": max((r.get("file_score_diff", 0) for r in rows.values()), default=None),
            "max_face_score_diff": max((r.get("face_score_max_diff") or 0 for r in rows.values()), default=None),
            "min_iou": min((r["iou_min"] for r in rows.values() if r.get("iou_min") is not None), default=None),
            "faces": [
                sum(r.get("faces_full", 0) for r in rows.values()),
                sum(r.get("faces_tracked", 0) for r in rows.values()),
            ],
            "verdicts_equal": all(r.get("verdicts", [0, 0])[0] == r.get("verdicts", [0, 0])[1] for r in rows.values()),
            "clips": rows,
        }
    if args.val.is_dir() and args.only != "sampling":
        summary["val_crops_onnx_vs_torch"] = runtime_agreement(args.val)
        print(summary["val_crops_onnx_vs_torch"], file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: {kk: vv for kk, vv in v.items() if kk != "clips"} if isinstance(v, dict) else v
                for k, v in summary.items()
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
