"""Detection metrics from labels and scores (scikit-learn does the arithmetic)."""

from __future__ import annotations

import numpy as np


def detection_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """AUC, EER, accuracy/TPR/FPR at ``threshold``, TPR at FPR 1% and 5%, log-loss.

    ``labels``: 1 = manipulated. ``scores``: calibrated probabilities.
    """
    from sklearn.metrics import log_loss, roc_auc_score, roc_curve

    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=np.float64)
    n_real, n_fake = int((labels == 0).sum()), int((labels == 1).sum())
    out: dict = {"n": int(len(labels)), "n_real": n_real, "n_fake": n_fake, "threshold": threshold}
    predicted = scores >= threshold
    if n_real:
        out["fpr_at_threshold"] = float(predicted[labels == 0].mean())
    if n_fake:
        out["tpr_at_threshold"] = float(predicted[labels == 1].mean())
    if len(labels):
        out["accuracy_at_threshold"] = float((predicted == (labels == 1)).mean())
    if n_real and n_fake:
        fpr, tpr, _ = roc_curve(labels, scores)
        out["auc"] = float(roc_auc_score(labels, scores))
        i = int(np.argmin(np.abs(fpr - (1 - tpr))))
        out["eer"] = float((fpr[i] + (1 - tpr[i])) / 2)
        for target in (0.01, 0.05):
            ok = fpr <= target
            out[f"tpr_at_fpr_{int(target * 100)}pct"] = float(tpr[ok].max()) if ok.any() else 0.0
        out["log_loss"] = float(log_loss(labels, np.clip(scores, 1e-6, 1 - 1e-6), labels=[0, 1]))
    return out


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores)
    return fpr, tpr


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T minimising the log-loss of sigmoid(logit / T) (Guo et al., 2017)."""
    from scipy.optimize import minimize_scalar

    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)

    def nll(log_t: float) -> float:
        s = z / np.exp(log_t)
        return float(np.mean(np.logaddexp(0.0, s) - y * s))

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def threshold_for_fpr(real_scores: np.ndarray, target_fpr: float) -> float:
    """The lowest threshold (4 decimals) whose false-positive rate on ``real_scores`` is ≤ target."""
    scores = np.sort(np.asarray(real_scores, dtype=np.float64))
    for t in np.unique(np.ceil(scores * 1e4) / 1e4):
        if (scores >= t).mean() <= target_fpr:
            return float(t)
    return 1.0
