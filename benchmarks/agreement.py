"""Do the speed changes change any finding? Key-frame tracking against a full search of every frame.

    PYTHONPATH=$PWD python benchmarks/agreement.py [--videos ../shared/data/sample-videos] [--every 4]

For each clip (the real DFDC sample videos when present, and the speed workload's 1080p clips),
both settings scan the same 32 sampled frames with the same loaded models. Printed and saved to
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


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def compare(full, tracked) -> dict:
    by_frame: dict[int, list] = {}
    for f in full.faces:
        by_frame.setdefault(f.frame_index, []).append(f)
    ious, diffs = [], []
    for t in tracked.faces:
        best = max(by_frame.get(t.frame_index, []), key=lambda f: _iou(f.box, t.box), default=None)
        if best is not None:
            ious.append(_iou(best.box, t.box))
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "data" / "sample-videos")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "deepcheck-bench")
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "agreement.json")
    args = ap.parse_args()

    from workload import make_workload

    from deepcheck.pipeline import Analyzer, ScanSettings, run_scan
    from deepcheck.runtime import tune_for_inference

    tune_for_inference()
    clips = sorted(args.videos.glob("*.mp4")) if args.videos.is_dir() else []
    if not clips:
        print(f"no sample videos at {args.videos}: comparing on the made workload only", file=sys.stderr)
    clips += make_workload(args.cache, clips=5, photos=0)["1080p"]
    tracked = Analyzer.create(ScanSettings(detect_every=args.every))
    full = Analyzer(replace(tracked.settings, detect_every=1), tracked.classifier, tracked.detector)
    rows = {}
    for clip in clips:
        a = run_scan([clip], full, prefetch=False).files[0]
        b = run_scan([clip], tracked, prefetch=False).files[0]
        rows[clip.name] = compare(a, b) if a.status == b.status == "ok" else {"status": [a.status, b.status]}
        print(clip.name, rows[clip.name], file=sys.stderr)
    summary = {
        "every": args.every,
        "clips": rows,
        "max_file_score_diff": max((r.get("file_score_diff", 0) for r in rows.values()), default=None),
        "max_face_score_diff": max((r.get("face_score_max_diff") or 0 for r in rows.values()), default=None),
        "min_iou": min((r["iou_min"] for r in rows.values() if r.get("iou_min") is not None), default=None),
        "verdicts_equal": all(r.get("verdicts", [0, 0])[0] == r.get("verdicts", [0, 0])[1] for r in rows.values()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "clips"}, indent=2))


if __name__ == "__main__":
    main()
