"""Fit a model's temperature and choose its two thresholds on labelled faces and files.

The temperature makes a score of 0.8 mean about 80%. The thresholds are set for
stated false-positive rates on real faces, because a false "fake" harms a real
person: the fake threshold for a low rate (1% by default), the review threshold
for a higher one (10%), so that the band between them holds the fakes the model
is unsure of, for a person to look at. All three are written into the model
card; the weights are unchanged.

A set is scored one of two ways:

- **crops**: each image is one face, scored alone (labelled face crops, as the
  validation sets are stored);
- **files**: each photo or video is scored the way ``scan`` scores it: faces
  found by MTCNN and cut from the whole picture with the card's framing, and
  one score per file (the highest steady person). A real photo whose verdict is
  wrong is what a user sees, and measured here it is flagged about twice as
  often as the same person's stored crop (benchmarks/README.md), so the
  thresholds must hold on files, not only on crops.

The temperature is fitted on crop sets with both labels (a face's label is
known; a file's label may not be every face's); every set bounds the thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np

from deepcheck.media.images import read_crop_rgb
from deepcheck.model import scoring
from deepcheck.model.classifier import BATCH, Classifier, calibrate
from deepcheck.reports.results import FaceResult
from deepcheck.scanning.pipeline import Analyzer
from deepcheck.training.datasets import Sample
from deepcheck.training.metrics import detection_metrics, fit_temperature, threshold_for_fpr

DEFAULT_FAKE_FPR, DEFAULT_REVIEW_FPR = 0.01, 0.10


@dataclass
class Calibration:
    temperature: float
    threshold: float  # the fake threshold
    target_fpr: float
    metrics: dict  # at the fake threshold, pooled, with "per_set" and each set's "bands"
    review_threshold: float | None = None
    review_fpr: float | None = None
    temperature_fitted: bool = True  # False: no crop set had both labels, the card's temperature was kept


@dataclass
class ScoredSet:
    """One calibration set scored once, so that its scores can be read under any temperature.

    Crops keep one logit per crop. Files keep each scored file's faces, with the logit as the face's score
    and the scan's person ids, so that a file's score is made by the product's own aggregation.
    """

    kind: str  # "crops" or "files"
    labels: np.ndarray
    logits: np.ndarray | None = None
    files: list[list[FaceResult]] | None = None
    statuses: dict[str, int] = field(default_factory=dict)  # files: how many of each status (no_face, error)

    def probs(self, temperature: float) -> np.ndarray:
        if self.files is None:
            return calibrate(self.logits, temperature)
        return np.array([file_prob(faces, temperature) for faces in self.files], dtype=np.float64)


def file_prob(faces: list[FaceResult], temperature: float) -> float:
    """A file's score under ``temperature``, from its faces' logits: face → person → file as ``scan`` does."""
    probs = calibrate(np.array([f.score for f in faces]), temperature)
    scored = [replace(f, score=float(p)) for f, p in zip(faces, probs)]
    return float(scoring.file_score(scoring.persons_of(scored)))


def band_rates(labels: np.ndarray, scores: np.ndarray, fake: float, review: float) -> dict:
    """Share of fakes (TPR) and of reals (false alarms) in each verdict band, and in review-or-fake.

    What the model card says each band means: of the fakes in this set, how many land in fake, in review
    and in real; of the reals, how many are wrongly flagged fake or sent to review.
    """
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=np.float64)
    bands = {
        "fake": scores >= fake,
        "review": (scores >= review) & (scores < fake),
        "review_or_fake": scores >= review,
        "real": scores < review,
    }
    out: dict = {"fake_threshold": fake, "review_threshold": review}
    for name, chosen in bands.items():
        out[name] = {
            "tpr": float(chosen[labels == 1].mean()) if (labels == 1).any() else None,
            "fpr": float(chosen[labels == 0].mean()) if (labels == 0).any() else None,
        }
    return out


def crop_logits(model: Classifier, samples: list[Sample], batch: int = 64) -> np.ndarray:
    out = []
    for start in range(0, len(samples), batch):
        crops = [read_crop_rgb(s.path) for s in samples[start : start + batch]]
        out.append(model.logits(crops, batch_size=batch))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def score_crops(model: Classifier, samples: list[Sample]) -> ScoredSet:
    return ScoredSet("crops", np.array([s.label for s in samples], dtype=int), logits=crop_logits(model, samples))


class _LogitClassifier(Classifier):
    """The classifier with its temperature step left out: a scan through it gives each face's logit."""

    def predict(self, crops: list[np.ndarray], batch_size: int = BATCH) -> np.ndarray:
        return self.logits(crops, batch_size)


def logit_analyzer(analyzer: Analyzer) -> Analyzer:
    """The same scan (detector, framing, settings), scoring faces by their logits."""
    raw = _LogitClassifier(**{f.name: getattr(analyzer.classifier, f.name) for f in fields(Classifier)})
    return Analyzer(analyzer.settings, raw, analyzer.detector)


def score_files(
    analyzer: Analyzer, samples: list[Sample], on_file: Callable[[int, int], None] | None = None
) -> ScoredSet:
    """Scan each file; files without a face or that fail have no verdict, so they are counted, not scored."""
    scan = logit_analyzer(analyzer)
    labels, files, statuses = [], [], {}
    for i, sample in enumerate(samples):
        result = scan.analyze(sample.path)
        statuses[result.status] = statuses.get(result.status, 0) + 1
        if result.faces and result.score is not None:
            labels.append(sample.label)
            files.append(result.faces)
        if on_file:
            on_file(i + 1, len(samples))
    return ScoredSet("files", np.array(labels, dtype=int), files=files, statuses=statuses)


def fit(
    model: Classifier,
    sets: list[list[Sample]],
    target_fpr: float = DEFAULT_FAKE_FPR,
    review_fpr: float | None = DEFAULT_REVIEW_FPR,
) -> Calibration:
    """:func:`fit_scored` on crop sets."""
    return fit_scored([score_crops(model, samples) for samples in sets], model.card.temperature, target_fpr, review_fpr)


def fit_scored(
    sets: list[ScoredSet],
    temperature: float,
    target_fpr: float = DEFAULT_FAKE_FPR,
    review_fpr: float | None = DEFAULT_REVIEW_FPR,
) -> Calibration:
    """Temperature on the crop sets with both labels, pooled; each threshold the lowest that holds on every set.

    A threshold set on one camera population drifts on another (DFDC's actors against YouTube news), so
    each set of reals must hold the target on its own, not only on average. A set may hold reals only
    (photos of people no model saw): it bounds the thresholds, not the temperature. Without a crop set of
    both labels the ``temperature`` given (the card's) is kept. ``review_fpr`` None: no review threshold.
    """
    if review_fpr is not None and review_fpr <= target_fpr:
        raise ValueError(f"the review FPR ({review_fpr}) must be above the fake FPR ({target_fpr})")
    both = [s for s in sets if s.kind == "crops" and (s.labels == 0).any() and (s.labels == 1).any()]
    if both:
        temperature = fit_temperature(
            np.concatenate([s.logits for s in both]), np.concatenate([s.labels for s in both])
        )
    probs = [s.probs(temperature) for s in sets]
    labels = [s.labels for s in sets]
    bounding = [(p, y) for p, y in zip(probs, labels) if (y == 0).any()]
    if not bounding:
        raise ValueError("no set holds a real face with a score: the thresholds need reals")
    threshold = max(threshold_for_fpr(p[y == 0], target_fpr) for p, y in bounding)
    review = None
    if review_fpr is not None:
        review = min(threshold, max(threshold_for_fpr(p[y == 0], review_fpr) for p, y in bounding))
    pooled_y, pooled_p = np.concatenate(labels), np.concatenate(probs)
    metrics = detection_metrics(pooled_y, pooled_p, threshold)
    if review is not None:
        metrics["bands"] = band_rates(pooled_y, pooled_p, threshold, review)
    if len(sets) > 1 or sets[0].kind == "files":
        metrics["per_set"] = []
        for s, p, y in zip(sets, probs, labels):
            m = {"scored": s.kind, **detection_metrics(y, p, threshold)}
            if s.kind == "files":
                m["statuses"] = s.statuses
            if review is not None:
                m["bands"] = band_rates(y, p, threshold, review)
            metrics["per_set"].append(m)
    return Calibration(temperature, threshold, target_fpr, metrics, review, review_fpr, bool(both))
