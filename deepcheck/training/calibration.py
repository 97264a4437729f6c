"""Fit a model's temperature and choose its threshold on labelled face crops.

The temperature makes a score of 0.8 mean about 80%; the threshold is set for
a stated false-positive rate on real faces, because a false "fake" harms a
real person. Both are written into the model card; the weights are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheck.media.images import read_crop_rgb
from deepcheck.model.classifier import Classifier, calibrate
from deepcheck.training.datasets import Sample
from deepcheck.training.metrics import detection_metrics, fit_temperature, threshold_for_fpr


@dataclass
class Calibration:
    temperature: float
    threshold: float
    target_fpr: float
    metrics: dict


def crop_logits(model: Classifier, samples: list[Sample], batch: int = 64) -> np.ndarray:
    out = []
    for start in range(0, len(samples), batch):
        crops = [read_crop_rgb(s.path) for s in samples[start : start + batch]]
        out.append(model.logits(crops, batch_size=batch))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def fit(model: Classifier, sets: list[list[Sample]], target_fpr: float = 0.05) -> Calibration:
    """Temperature on all sets pooled; the lowest threshold whose FPR is ≤ target on every set.

    A threshold set on one camera population drifts on another (DFDC's actors against YouTube news), so
    each set of reals must hold the target on its own, not only on average.
    """
    logits = [crop_logits(model, samples) for samples in sets]
    labels = [np.array([s.label for s in samples]) for samples in sets]
    temperature = fit_temperature(np.concatenate(logits), np.concatenate(labels))
    probs = [calibrate(z, temperature) for z in logits]
    threshold = max(threshold_for_fpr(p[y == 0], target_fpr) for p, y in zip(probs, labels))
    metrics = detection_metrics(np.concatenate(labels), np.concatenate(probs), threshold)
    if len(sets) > 1:
        metrics["per_set"] = [detection_metrics(y, p, threshold) for p, y in zip(probs, labels)]
    return Calibration(temperature, threshold, target_fpr, metrics)
