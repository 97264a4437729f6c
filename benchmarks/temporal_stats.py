"""Do a fake video's face scores move more over its frames than a real one's? (issue 23, temporal cues)

Reenactment re-renders the mouth in every frame on its own, and a swap's blend can flicker. If that
showed in the detector's per-frame scores, a statistic of their movement would separate the c40 videos
without any new training. This reads the per-face scores that ``generalisation.py --keep-scores DIR``
kept for ``ffpp-c40`` (each video's sampled frames, person 0) and gives the video AUC of:

- ``file score``: the product's own score (the person rule, calibrated);
- ``mean logit`` / ``median logit`` / ``p90 logit``: the level of the frame scores;
- ``std logit``: how far they spread;
- ``jitter``: the mean absolute change of the logit from one sampled frame to the next.

Overall and per method (each method's fakes against all reals). With 20 real and 40 fake videos,
differences under about 0.08 are noise.

    python benchmarks/temporal_stats.py SCORES_DIR [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from two_views import _logit

STATS = ("file score", "mean logit", "median logit", "p90 logit", "std logit", "jitter")


def video_stats(faces: list, score: float) -> dict[str, float]:
    """The statistics of one video from its kept ``[frame, person, probability]`` rows (person 0)."""
    rows = sorted((f, p) for f, person, p in faces if person == 0)
    z = _logit(np.array([p for _f, p in rows], dtype=float)) if rows else np.zeros(1)
    return {
        "file score": float(score),
        "mean logit": float(z.mean()),
        "median logit": float(np.median(z)),
        "p90 logit": float(np.percentile(z, 90)),
        "std logit": float(z.std()),
        "jitter": float(np.abs(np.diff(z)).mean()) if len(z) > 1 else 0.0,
    }


def table(records: list[dict]) -> dict[str, dict[str, float]]:
    """AUC of each statistic, overall and per method."""
    ok = [r for r in records if r.get("status") == "ok" and r.get("score") is not None]
    labels = np.array([r["label"] for r in ok])
    methods = [r.get("method") or "" for r in ok]
    stats = [video_stats(r["faces"], r["score"]) for r in ok]
    out: dict[str, dict[str, float]] = {}
    for name in STATS:
        values = np.array([s[name] for s in stats])
        row = {"all": round(float(roc_auc_score(labels, values)), 3)}
        for method in sorted({m for m, y in zip(methods, labels) if y == 1 and m}):
            keep = np.array([y == 0 or m == method for m, y in zip(methods, labels)])
            row[method] = round(float(roc_auc_score(labels[keep], values[keep])), 3)
        out[name] = row
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scores", type=Path, help="a generalisation.py --keep-scores folder")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    path = a.scores / "ffpp-c40.scores.json"
    if not path.is_file():
        print(f"skipped: no {path} (run generalisation.py --keep-scores first)")
        return 0
    rows = table(json.loads(path.read_text(encoding="utf-8")))
    methods = sorted({k for r in rows.values() for k in r if k != "all"})
    print("| statistic | all | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for name, r in rows.items():
        print(f"| {name} | {r['all']:.3f} | " + " | ".join(f"{r[m]:.3f}" for m in methods) + " |")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({"scores": str(a.scores), "auc": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
