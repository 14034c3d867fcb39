"""Discrimination, calibration and stability metrics of SPEC §6, overall and by zone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from sklearn.metrics import roc_auc_score, roc_curve

from features.registry import FEATURE_NAMES, FEATURES_BY_NAME

METRICS = ("auc", "ks", "gini", "brier", "ece")
PSI_BANDS = ("stable", "moderate", "shift")
MISSING_LEVEL = "<missing>"


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
    return _psi(e, a)


def _psi(expected_shares: np.ndarray, actual_shares: np.ndarray) -> float:
    # An empty bin on one side would make the PSI infinite; a floor keeps it finite and comparable.
    e, a = np.clip(expected_shares, 1e-6, None), np.clip(actual_shares, 1e-6, None)
    return float(np.sum((a - e) * np.log(a / e)))


def _feature_shares(expected: pd.Series, actual: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the shares of both periods over deciles of ``expected`` (or levels), missing last."""
    if not (is_numeric_dtype(expected) and is_numeric_dtype(actual)):
        e_counts = expected.astype("string").fillna(MISSING_LEVEL).value_counts(normalize=True)
        a_counts = actual.astype("string").fillna(MISSING_LEVEL).value_counts(normalize=True)
        levels = e_counts.index.union(a_counts.index)
        return e_counts.reindex(levels, fill_value=0).to_numpy(), a_counts.reindex(
            levels, fill_value=0
        ).to_numpy()
    e = expected.to_numpy(np.float64, na_value=np.nan)
    a = actual.to_numpy(np.float64, na_value=np.nan)
    known = e[~np.isnan(e)]
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1])) if len(known) else np.empty(0)

    def shares(values: np.ndarray) -> np.ndarray:
        index = np.where(np.isnan(values), len(edges) + 1, np.searchsorted(edges, values, side="right"))
        return np.bincount(index, minlength=len(edges) + 2) / len(values)

    return shares(e), shares(a)


def psi_by_feature(
    expected: pd.DataFrame, actual: pd.DataFrame, features: Sequence[str] | None = None, bins: int = 10
) -> pd.DataFrame:
    """Return the PSI of each feature of ``actual`` against ``expected``, largest drift first.

    Missing values are a bin of their own, because a source that stops reporting is drift too;
    categorical features compare the shares of their levels. ``band`` reads the PSI the usual
    way: below 0.1 stable, up to 0.25 moderate, above that a shift to look into before trusting
    scores. ``features`` defaults to every registry feature present in both frames.
    """
    if expected.empty or actual.empty:
        raise ValueError("drift needs rows in both periods; one of the two frames is empty")
    names = (
        list(features)
        if features is not None
        else [n for n in FEATURE_NAMES if n in expected and n in actual]
    )
    rows = []
    for name in names:
        e, a = _feature_shares(expected[name], actual[name], bins)
        rows.append(
            {
                "feature": name,
                "psi": _psi(e, a),
                "missing_expected": float(expected[name].isna().mean()),
                "missing_actual": float(actual[name].isna().mean()),
                "description_en": FEATURES_BY_NAME[name].description_en if name in FEATURES_BY_NAME else "",
            }
        )
    table = pd.DataFrame(
        rows, columns=["feature", "psi", "missing_expected", "missing_actual", "description_en"]
    )
    table.insert(
        2,
        "band",
        pd.cut(table["psi"], [-np.inf, 0.1, 0.25, np.inf], labels=PSI_BANDS, right=False).astype(str),
    )
    return table.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


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
