"""Measure a model on labelled data through the same path `scan` uses.

File-level metrics score each file as `scan` would. For videos (and images
with several faces) frame-level metrics are added: each frame's score (its
highest face) against the file's label. Files without a face or that fail
are counted, never silently dropped.

When the fakes carry a manipulation method (subfolders of ``fake/``), each
method is also measured on its own against all the reals: an overall AUC can
hide a method the model does not catch at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from deepcheck.media.fileio import atomic_write_text
from deepcheck.model import scoring
from deepcheck.reports.results import FaceResult
from deepcheck.scanning.pipeline import Analyzer
from deepcheck.training.datasets import Sample
from deepcheck.training.metrics import detection_metrics, roc_points


def stored_file_score(faces: list, rule: str = scoring.DEFAULT_PERSON_RULE) -> float | None:
    """A file's score from the ``[frame, person, score, ...]`` faces that scores.json stores, under a person rule.

    The product's own aggregation, so benchmarks can compare rules or combine views without scanning again.
    """
    results = [
        FaceResult(frame_index=int(x[0]), box=[0, 0, 1, 1], detection_prob=1.0, score=float(x[2]), person=x[1])
        for x in faces
    ]
    return scoring.file_score(scoring.persons_of(results, rule))


def evaluate(
    analyzer: Analyzer, samples: list[Sample], out_dir: Path, on_file: Callable[[int, int], None] | None = None
) -> dict:
    """Score every sample, write metrics.json, roc.png and reliability.png into ``out_dir``."""
    file_labels, file_scores, frame_labels, frame_scores = [], [], [], []
    statuses: dict[str, int] = {}
    per_file = []
    for i, sample in enumerate(samples):
        result = analyzer.analyze(sample.path)
        statuses[result.status] = statuses.get(result.status, 0) + 1
        per_file.append(
            {
                "path": str(sample.path),
                "label": sample.label,
                "method": sample.method,
                "status": result.status,
                "score": result.score,
                # per face: frame, person, score; lets aggregation rules be compared without re-scanning
                "faces": [[f.frame_index, f.person, round(f.score, 6)] for f in result.faces],
            }
        )
        if result.score is not None:
            file_labels.append(sample.label)
            file_scores.append(result.score)
            for frame in result.frame_scores:
                frame_labels.append(sample.label)
                frame_scores.append(frame["score"])
        if on_file:
            on_file(i + 1, len(samples))
    threshold = analyzer.threshold
    report = {
        "model": {
            "name": analyzer.classifier.card.name,
            "sha256": analyzer.classifier.card.sha256,
            "temperature": analyzer.classifier.card.temperature,
        },
        "settings": analyzer.settings.to_dict(),
        "statuses": statuses,
        "file_level": detection_metrics(np.array(file_labels), np.array(file_scores), threshold),
    }
    if len(frame_scores) > len(file_scores):
        report["frame_level"] = detection_metrics(np.array(frame_labels), np.array(frame_scores), threshold)
    by_method = metrics_by_method(per_file, threshold)
    if by_method:
        report["by_method"] = by_method
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "metrics.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out_dir / "scores.json", json.dumps(per_file, indent=1) + "\n")
    if len(set(file_labels)) == 2:
        plot_roc(np.array(file_labels), np.array(file_scores), report["file_level"], out_dir / "roc.png")
    if file_labels:
        plot_reliability(np.array(file_labels), np.array(file_scores), out_dir / "reliability.png")
    return report


def metrics_by_method(per_file: list[dict], threshold: float) -> dict[str, dict]:
    """File-level metrics of each method's fakes against all reals (only when methods are known)."""
    scored = [f for f in per_file if f["score"] is not None]
    methods = sorted({f["method"] for f in scored if f["label"] == 1 and f["method"]})
    reals = [f["score"] for f in scored if f["label"] == 0]
    out = {}
    for method in methods:
        fakes = [f["score"] for f in scored if f["label"] == 1 and f["method"] == method]
        labels = np.array([0] * len(reals) + [1] * len(fakes))
        out[method] = detection_metrics(labels, np.array(reals + fakes), threshold)
    return out


def plot_roc(labels: np.ndarray, scores: np.ndarray, metrics: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fpr, tpr = roc_points(labels, scores)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot(fpr, tpr, lw=2, label=f"AUC {metrics['auc']:.3f}, EER {metrics['eer']:.3f}")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
    ax.scatter(
        [metrics["fpr_at_threshold"]],
        [metrics["tpr_at_threshold"]],
        c="red",
        zorder=3,
        label=f"threshold {metrics['threshold']:.3f}",
    )
    ax.set(
        xlabel="false-positive rate (reals flagged)",
        ylabel="true-positive rate (fakes caught)",
        title=f"ROC, n={metrics['n']}",
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_reliability(labels: np.ndarray, scores: np.ndarray, path: Path, bins: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    frac, mean_pred = calibration_curve(labels, scores, n_bins=bins, strategy="uniform")
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfect calibration")
    ax.plot(mean_pred, frac, marker="o", lw=2, label="model")
    ax.set(
        xlabel="predicted probability of manipulation",
        ylabel="observed share of fakes",
        title="Reliability",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
