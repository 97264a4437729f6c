"""Generalisation of one model: DFDC (in-dataset) against FaceForensics++ (methods it never saw).

One command, one table. Rows:

- ``dfdc-val``: DFDC val crops (identity-disjoint from training), crop level, ``--crops``;
- ``ffpp-faces``: FaceForensics++ crops, crop level, ``--crops``, overall and per method;
- ``ffpp-c40``: FaceForensics++ c40 videos, video level through the whole scan path, overall and per method.

Each row gives AUC, TPR at the model's threshold (fakes caught) and FPR at the threshold (reals flagged), and
the share of fakes and of reals in each verdict band: ``fake`` (at or over the fake threshold), ``review`` (from
the review threshold up to it) and the two together, as the model card and the README table them.
For the videos it also compares person-score aggregation rules (scoring.PERSON_RULES) on the stored face
scores, so the rule can be chosen on data the model never trained on.

    python benchmarks/generalisation.py [--model deepcheck-lite0] [--data ../shared/data] [--skip-videos]
                                        [--note TEXT] [--write-card]
                                        [--keep-scores DIR]

Writes benchmarks/results/generalisation/<model>-<sha8>.json and appends one line per run to
benchmarks/results/generalisation/runs.jsonl. The FF++ folders are validation-only: never train on them.
Skips politely when the shared data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from deepcheck.model import scoring
from deepcheck.scanning.pipeline import Analyzer, ScanSettings
from deepcheck.training.calibration import band_rates
from deepcheck.training.datasets import list_labelled
from deepcheck.training.evaluate import evaluate, stored_file_score
from deepcheck.training.metrics import detection_metrics

SETS = {
    "dfdc-val": ("dfdc-faces/val", True),
    "ffpp-faces": ("ffpp-faces", True),
    "ffpp-c40": ("ffpp-c40-videos", False),
}


BANDS = ("fake", "review", "review_or_fake")


def _row(name: str, m: dict, files: list[dict], fake: float, review: float, method: str | None = None) -> dict:
    """One table row: AUC and rates at the fake threshold, then each band's TPR and FPR (from the stored scores)."""
    scored = [f for f in files if f["score"] is not None and (f["label"] == 0 or method in (None, f["method"]))]
    rates = band_rates(np.array([f["label"] for f in scored]), np.array([f["score"] for f in scored]), fake, review)
    row = {
        "set": name,
        "n_real": m.get("n_real"),
        "n_fake": m.get("n_fake"),
        "auc": m.get("auc"),
        "tpr_at_threshold": m.get("tpr_at_threshold"),
        "fpr_at_threshold": m.get("fpr_at_threshold"),
    }
    for band in BANDS:
        row[f"{band}_tpr"], row[f"{band}_fpr"] = rates[band]["tpr"], rates[band]["fpr"]
    return row


def rescore(files: list[dict], rule: str) -> tuple[np.ndarray, np.ndarray]:
    """File scores from stored face scores under a person-aggregation rule (the product's own code)."""
    kept = [f for f in files if f["faces"]]
    return np.array([f["label"] for f in kept]), np.array([stored_file_score(f["faces"], rule) for f in kept])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="deepcheck-lite0")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--skip-videos", action="store_true", help="crop-level rows only (minutes, not tens)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/generalisation"))
    parser.add_argument("--note", default="", help="what this run is (recorded in runs.jsonl)")
    parser.add_argument("--keep-scores", type=Path, default=None, help="also keep each set's per-face scores here")
    parser.add_argument(
        "--tag",
        default="",
        help="suffix of the result file, for cards that share weights (e.g. the same weights at another input size)",
    )
    parser.add_argument(
        "--write-card", action="store_true", help="also store the table in the model card (metrics.generalisation)"
    )
    args = parser.parse_args()
    if not (args.data / "ffpp-faces").is_dir():
        print(f"skipped: {args.data / 'ffpp-faces'} not found (the shared validation data is not on this machine)")
        return 0
    rows, details = [], {}
    card = None
    for name, (folder, crops) in SETS.items():
        if not crops and args.skip_videos:
            continue
        source = args.data / folder
        if not source.is_dir():
            print(f"{name}: {source} not found, row skipped")
            continue
        analyzer = Analyzer.create(ScanSettings(model=args.model, crops=crops, frames=args.frames))
        card = analyzer.classifier.card
        if analyzer.classifier.runtime != "onnx":
            print(
                f"note: {analyzer.classifier.runtime_note}; `deepcheck export --model {args.model}` makes the "
                "ONNX file (same scores, many times faster here)",
                file=sys.stderr,
            )
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            report = evaluate(analyzer, list_labelled(source), Path(tmp))
            files = json.loads((Path(tmp) / "scores.json").read_text())
        if args.keep_scores:
            args.keep_scores.mkdir(parents=True, exist_ok=True)
            (args.keep_scores / f"{name}.scores.json").write_text(json.dumps(files) + "\n")
        seconds = round(time.perf_counter() - t0, 1)
        bands = (analyzer.threshold, analyzer.review_threshold)
        rows.append(_row(name, report["file_level"], files, *bands))
        rows.extend(
            _row(f"{name}/{method}", m, files, *bands, method=method)
            for method, m in report.get("by_method", {}).items()
        )
        details[name] = {"statuses": report["statuses"], "seconds": seconds, "file_level": report["file_level"]}
        if not crops:
            details[name]["aggregation"] = {}
            for rule in scoring.PERSON_RULES:
                labels, scores = rescore(files, rule)
                m = detection_metrics(labels, scores, analyzer.threshold)
                details[name]["aggregation"][rule] = {
                    k: m.get(k) for k in ("auc", "tpr_at_threshold", "fpr_at_threshold")
                }
        print(f"{name}: {seconds} s, statuses {report['statuses']}", file=sys.stderr)
    if card is None:
        return 0
    result = {
        "model": card.name,
        "sha256": card.sha256,
        "threshold": card.threshold,
        "review_threshold": card.review_threshold,
        "temperature": card.temperature,
        "training": card.training.get("command", "") if card.training else "",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "note": args.note,
        "command": "python benchmarks/generalisation.py " + " ".join(sys.argv[1:]),
        "rows": rows,
        "details": details,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{card.name}-{card.sha256[:8]}" + (f"-{args.tag}" if args.tag else "")
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    with open(args.out / "runs.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({k: v for k, v in result.items() if k != "details"}) + "\n")
    if args.write_card:
        _write_card(args.model, result)
    print(render(result))
    return 0


def _write_card(model: str, result: dict) -> None:
    """The table goes into the card it measured, so the model carries its cross-dataset numbers."""
    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import resolve_card_path

    path = resolve_card_path(model)
    card = ModelCard.read(path)
    if card.sha256 != result["sha256"]:
        raise SystemExit(f"{path} names other weights than the ones measured; card not written")
    card.metrics["generalisation"] = {
        k: result.get(k) for k in ("date", "command", "threshold", "review_threshold", "rows")
    }
    card.metrics["generalisation"]["aggregation_ffpp_c40"] = result["details"].get("ffpp-c40", {}).get("aggregation")
    card.write(path)


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def render(result: dict) -> str:
    lines = [
        f"model {result['model']} ({result['sha256'][:12]}), fake threshold {result['threshold']}, "
        f"review threshold {result.get('review_threshold')}",
        "",
        "Share of the set's fakes (TPR) and of its reals (FPR) in each verdict band:",
        "",
        "| set | reals | fakes | AUC | fake: TPR | fake: FPR | review: TPR | review: FPR "
        "| review or fake: TPR | review or fake: FPR |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        bands = " | ".join(f"{_fmt(r.get(f'{b}_tpr'))} | {_fmt(r.get(f'{b}_fpr'))}" for b in BANDS)
        lines.append(f"| {r['set']} | {r['n_real']} | {r['n_fake']} | {_fmt(r['auc'])} | {bands} |")
    agg = result["details"].get("ffpp-c40", {}).get("aggregation")
    if agg:
        lines += ["", "| person score rule (ffpp-c40) | AUC | TPR | FPR |", "|---|---|---|---|"]
        for rule, m in agg.items():
            lines.append(
                f"| {rule} | {_fmt(m['auc'])} | {_fmt(m['tpr_at_threshold'])} | {_fmt(m['fpr_at_threshold'])} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
