"""Discrimination, calibration and stability metrics of SPEC §6, overall and by zone."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

METRICS = ("auc", "ks", "gini", "brier", "ece")


def expected_calibration_error(outcome: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Return the ECE over equal-count bins of predicted probability.

    Equal-count bins, because PDs crowd near zero and equal-width bins would put almost every
    enterprise in the first one.
    """
    order = np.argsort(probability, kind="stable")
    error = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            error += len(part) * abs(probability[part].mean() - outcome[part].mean())
    return error / len(outcome)


def population_stability_index(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Return the PSI of ``actual`` against ``expected`` over the deciles of ``expected``."""
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    e, a = np.clip(e, 1e-6, None), np.clip(a, 1e-6, None)
    return float(np.sum((a - e) * np.log(a / e)))


def score_metrics(outcome: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Return AUC, KS, Gini, Brier and ECE (AUC/KS/Gini NaN when only one class is present)."""
    outcome = np.asarray(outcome, dtype=np.float64)
    probability = np.asarray(probability, dtype=np.float64)
    metrics = {
        "brier": float(np.mean((probability - outcome) ** 2)),
        "ece": expected_calibration_error(outcome, probability),
        "auc": np.nan,
        "ks": np.nan,
        "gini": np.nan,
    }
    if 0 < outcome.sum() < len(outcome):
        auc = float(roc_auc_score(outcome, probability))
        fpr, tpr, _ = roc_curve(outcome, probability)
        metrics |= {"auc": auc, "ks": float(np.max(tpr - fpr)), "gini": 2 * auc - 1}
    return metrics


def metrics_by_zone(
    outcome: np.ndarray, probability: np.ndarray, zones: np.ndarray | pd.Series, prefix: str
) -> dict[str, float]:
    """Return ``{prefix}_{metric}`` overall and ``{prefix}_{metric}_zone_{zone}`` per zone."""
    out = {f"{prefix}_{k}": v for k, v in score_metrics(outcome, probability).items()}
    zones = np.asarray(zones, dtype=object)
    for zone in sorted(set(zones.tolist())):
        hit = zones == zone
        out |= {
            f"{prefix}_{k}_zone_{zone}": v for k, v in score_metrics(outcome[hit], probability[hit]).items()
        }
    return out
