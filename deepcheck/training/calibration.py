"""Fit a model's temperature and choose its two thresholds on labelled face crops.

The temperature makes a score of 0.8 mean about 80%. The thresholds are set for
stated false-positive rates on real faces, because a false "fake" harms a real
person: the fake threshold for a low rate (1% by default), the review threshold
for a higher one (10%), so that the band between them holds the fakes the model
is unsure of, for a person to look at. All three are written into the model
card; the weights are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheck.media.images import read_crop_rgb
from deepcheck.model.classifier import Classifier, calibrate
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


def fit(
    model: Classifier,
    sets: list[list[Sample]],
    target_fpr: float = DEFAULT_FAKE_FPR,
    review_fpr: float | None = DEFAULT_REVIEW_FPR,
) -> Calibration:
    """Temperature on the sets with both labels, pooled; each threshold the lowest that holds its FPR on every set.

    A threshold set on one camera population drifts on another (DFDC's actors against YouTube news), so
    each set of reals must hold the target on its own, not only on average. A set may hold reals only
    (photos of people no model saw): it bounds the thresholds, not the temperature. ``review_fpr`` None: no
    review threshold (the card keeps two verdicts).
    """
    if review_fpr is not None and review_fpr <= target_fpr:
        raise ValueError(f"the review FPR ({review_fpr}) must be above the fake FPR ({target_fpr})")
    logits = [crop_logits(model, samples) for samples in sets]
    labels = [np.array([s.label for s in samples]) for samples in sets]
    # a set of reals only (photos of people, say) holds the thresholds but would skew the temperature
    both = [i for i, y in enumerate(labels) if (y == 0).any() and (y == 1).any()] or list(range(len(sets)))
    temperature = fit_temperature(np.concatenate([logits[i] for i in both]), np.concatenate([labels[i] for i in both]))
    probs = [calibrate(z, temperature) for z in logits]
    threshold = max(threshold_for_fpr(p[y == 0], target_fpr) for p, y in zip(probs, labels))
    review = None
    if review_fpr is not None:
        review = min(threshold, max(threshold_for_fpr(p[y == 0], review_fpr) for p, y in zip(probs, labels)))
    pooled_y, pooled_p = np.concatenate(labels), np.concatenate(probs)
    metrics = detection_metrics(pooled_y, pooled_p, threshold)
    if review is not None:
        metrics["bands"] = band_rates(pooled_y, pooled_p, threshold, review)
    if len(sets) > 1:
        metrics["per_set"] = []
        for p, y in zip(probs, labels):
            m = detection_metrics(y, p, threshold)
            if review is not None:
                m["bands"] = band_rates(y, p, threshold, review)
            metrics["per_set"].append(m)
    return Calibration(temperature, threshold, target_fpr, metrics, review, review_fpr)
