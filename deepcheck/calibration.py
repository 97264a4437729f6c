"""Fit a model's temperature and choose its threshold on labelled face crops.

The temperature makes a score of 0.8 mean about 80%; the threshold is set for
a stated false-positive rate on real faces, because a false "fake" harms a
real person. Both are written into the model card; the weights are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcheck.classifier import Classifier, calibrate
from deepcheck.datasets import Sample
from deepcheck.media import read_crop_rgb
from deepcheck.metrics import detection_metrics, fit_temperature, threshold_for_fpr


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


def fit(model: Classifier, samples: list[Sample], target_fpr: float = 0.05) -> Calibration:
    labels = np.array([s.label for s in samples])
    logits = crop_logits(model, samples)
    temperature = fit_temperature(logits, labels)
    probs = calibrate(logits, temperature)
    threshold = threshold_for_fpr(probs[labels == 0], target_fpr)
    return Calibration(temperature, threshold, target_fpr, detection_metrics(labels, probs, threshold))
