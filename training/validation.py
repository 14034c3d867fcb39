"""Validation of the rating system, after the ECB instructions for reporting validation results (§2.5).

Each statistic is a small numpy/scipy function tested against hand-computed cases; ``validation_report``
puts them together in the shape ``zonecredit validate --json`` prints. The initial validation is
computed at registration (on the out-of-time test period) and stored with the model version; later
reports compare against it (AUC test, concentration test) and add the monitoring part (migration
between scoring runs, PSI month by month, backtest of matured scores).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from models.scale import GRADES
from models.scoring import ScoringModel
from training.metrics import population_stability_index, psi_by_feature

# Traffic lights of a one-sided test's p-value: red below 1%, amber below 5% (ECB's usual levels).
RED, AMBER = 0.01, 0.05


def light(p_value: float | None) -> str:
    """Return ``green``/``amber``/``red`` for a test's p-value (``grey`` when it cannot be computed)."""
    if p_value is None or not np.isfinite(p_value):
        return "grey"
    return "red" if p_value < RED else "amber" if p_value < AMBER else "green"


def psi_light(psi: float | None) -> str:
    """PSI bands by industry convention (0.1 / 0.25), not regulatory thresholds."""
    if psi is None or not np.isfinite(psi):
        return "grey"
    return "red" if psi >= 0.25 else "amber" if psi >= 0.1 else "green"


# -- Jeffreys --------------------------------------------------------------------------------------
def jeffreys_p_value(pd_: float, defaults: int, n: int) -> float:
    """One-sided Jeffreys test: ``BetaCDF(PD; D + ½, N − D + ½)``; small means the PD is too low."""
    return float(stats.beta.cdf(pd_, defaults + 0.5, n - defaults + 0.5))


def jeffreys(grades: ArrayLike, pd_: ArrayLike, outcome: ArrayLike, order: Sequence[str]) -> dict[str, Any]:
    """Jeffreys test per grade (grade PD = mean PD of its obligors) and for the portfolio."""
    g, p_, y = np.asarray(grades, object), np.asarray(pd_, float), np.asarray(outcome, float)
    rows = []
    for grade in order:
        hit = g == grade
        n = int(hit.sum())
        if n == 0:
            continue
        rows.append(_jeffreys_row(grade, float(p_[hit].mean()), n, int(y[hit].sum())))
    n = len(y)
    portfolio = _jeffreys_row("portfolio", float(p_.mean()) if n else float("nan"), n, int(y.sum()))
    return {"grades": rows, "portfolio": portfolio}


def _jeffreys_row(grade: str, pd_: float, n: int, d: int) -> dict[str, Any]:
    p = jeffreys_p_value(pd_, d, n) if n else float("nan")
    return {
        "grade": grade,
        "pd": pd_,
        "n": n,
        "defaults": d,
        "default_rate": d / n if n else float("nan"),
        "p_value": p,
        "light": light(p),
    }


# -- AUC with DeLong variance ------------------------------------------------------------------------
def auc_delong(outcome: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """Return (AUC, its standard deviation) from placement values (DeLong et al. 1988).

    AUC is Mann-Whitney with ties counted ½; σ² = var(V₁₀)/|D| + var(V₀₁)/|ND|, where V₁₀ of a
    defaulter is the share of non-defaulters it outranks and V₀₁ of a non-defaulter the share of
    defaulters that outrank it. Ranks make it O(n log n) (Sun & Xu's fast DeLong).
    """
    outcome = np.asarray(outcome).astype(bool)
    score = np.asarray(score, float)
    pos, neg = score[outcome], score[~outcome]
    m, n = len(pos), len(neg)
    if m < 2 or n < 2:
        return float("nan"), float("nan")
    ranks = stats.rankdata(np.concatenate([pos, neg]))
    v10 = (ranks[:m] - stats.rankdata(pos)) / n
    v01 = 1 - (ranks[m:] - stats.rankdata(neg)) / m
    auc = float(v10.mean())
    variance = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    return auc, float(np.sqrt(variance))


def auc_test(initial: float, current: float, current_std: float) -> float:
    """p-value of ``S = (AUC_init − AUC_curr)/σ_curr``, ``p = 1 − Φ(S)``: small means it fell."""
    if not all(np.isfinite([initial, current, current_std])) or current_std <= 0:
        return float("nan")
    return float(1 - stats.norm.cdf((initial - current) / current_std))


# -- Migration ---------------------------------------------------------------------------------------
def migration(before: np.ndarray, after: np.ndarray, order: Sequence[str]) -> dict[str, Any]:
    """Grade migration matrix between two runs, its matrix-weighted bandwidths and stability z-tests.

    Rows are the earlier grade, columns the later one, of the enterprises graded in both runs.
    ``mwb_upper`` weighs moves to worse grades (j > i) by their distance, normalised by the largest
    distance possible from each row; ``mwb_lower`` the same for moves to better grades. Each
    off-diagonal cell is tested against its neighbour nearer the diagonal (``p = Φ(z)``; small means
    more enterprises moved further than nearer, which a stable system does not do).
    """
    index = {g: i for i, g in enumerate(order)}
    k = len(order)
    counts = np.zeros((k, k), np.int64)
    i = np.array([index[g] for g in before], np.int64)
    j = np.array([index[g] for g in after], np.int64)
    np.add.at(counts, (i, j), 1)
    rows = counts.sum(axis=1)
    p = np.divide(counts, rows[:, None], out=np.zeros((k, k)), where=rows[:, None] > 0)
    grade_no = np.arange(1, k + 1)
    distance = np.abs(grade_no[:, None] - grade_no[None, :])
    upper, lower = np.triu(np.ones((k, k), bool), 1), np.tril(np.ones((k, k), bool), -1)
    reach = np.maximum(np.abs(grade_no - k), np.abs(grade_no - 1))
    weighted = distance * rows[:, None] * p
    m_u = float(np.sum(reach * rows * np.where(upper, p, 0).sum(axis=1)))
    m_l = float(np.sum(reach * rows * np.where(lower, p, 0).sum(axis=1)))
    tests: list[dict[str, Any]] = []
    for a in range(k):
        for b in range(k):
            if a == b or rows[a] == 0:
                continue
            near = b + 1 if a > b else b - 1  # the neighbour one step nearer the diagonal
            z = migration_z(p[a, b], p[a, near], int(rows[a]))
            if z is not None:
                tests.append({"from": order[a], "to": order[b], "z": z, "p_value": float(stats.norm.cdf(z))})
    return {
        "grades": list(order),
        "matrix": counts.tolist(),
        "shares": p.tolist(),
        "n": int(counts.sum()),
        "mwb_upper": float(np.sum(weighted[upper]) / m_u) if m_u else 0.0,
        "mwb_lower": float(np.sum(weighted[lower]) / m_l) if m_l else 0.0,
        "stability_tests": tests,
        "unstable_cells": sum(t["p_value"] < AMBER for t in tests),
    }


def migration_z(p_far: float, p_near: float, n: int) -> float | None:
    """z of ``p_near − p_far`` with the ECB variance ``(p_f(1−p_f) + p_n(1−p_n) + 2·p_f·p_n)/N_i``."""
    variance = (p_far * (1 - p_far) + p_near * (1 - p_near) + 2 * p_far * p_near) / n
    if variance <= 0:
        return None
    return float((p_near - p_far) / np.sqrt(variance))


# -- Concentration ----------------------------------------------------------------------------------
def concentration(
    grades: np.ndarray, order: Sequence[str], initial_cv: float | None = None
) -> dict[str, Any]:
    """CV and Herfindahl index of the grade distribution, with the test against the initial CV.

    ``CV = √(K·Σ(Rᵢ − 1/K)²)``, ``HI = 1 + ln((CV² + 1)/K)/ln K``; the test
    ``p = 1 − Φ(√(K−1)·(CV_curr − CV_init)/√(CV_curr²·(0.5 + CV_curr²)))`` is small when the grades
    have concentrated since the initial validation.
    """
    k = len(order)
    grades = np.asarray(grades, object)
    shares = np.array([np.mean(grades == g) if len(grades) else 0.0 for g in order])
    cv = float(np.sqrt(k * np.sum((shares - 1 / k) ** 2)))
    hi = float(1 + np.log((cv**2 + 1) / k) / np.log(k))
    p = concentration_test(cv, initial_cv, k) if initial_cv is not None else None
    return {
        "shares": dict(zip(order, shares.tolist(), strict=True)),
        "cv": cv,
        "herfindahl": hi,
        "initial_cv": initial_cv,
        "p_value": p,
        "light": light(p),
    }


def concentration_test(cv_current: float, cv_initial: float, k: int) -> float:
    """One-sided test that the CV has not risen since the initial validation (K grades)."""
    if cv_current <= 0:
        return float("nan")
    z = np.sqrt(k - 1) * (cv_current - cv_initial) / np.sqrt(cv_current**2 * (0.5 + cv_current**2))
    return float(1 - stats.norm.cdf(z))


# -- Backtest ---------------------------------------------------------------------------------------
def backtest(grades: ArrayLike, pd_: ArrayLike, outcome: ArrayLike, order: Sequence[str]) -> dict[str, Any]:
    """Realised default rate per grade of matured scores against their PD, with Jeffreys p-values."""
    table = jeffreys(grades, pd_, outcome, order)
    return {"grades": table["grades"], "portfolio": table["portfolio"]}


# -- Report -----------------------------------------------------------------------------------------
def validation_report(
    current: pd.DataFrame,
    development: pd.DataFrame,
    order: Sequence[str],
    features: Sequence[str],
    initial: dict[str, Any] | None = None,
    previous: pd.DataFrame | None = None,
    matured: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Return the validation report of a credit rating system.

    ``current``: the scored period with ``credit_code``, ``as_of``, ``pd``, ``score``, ``grade``
    and features, plus ``outcome`` where it has matured (Jeffreys and AUC use the rows with an
    outcome). ``development``: the training rows (PSI reference, with ``pd`` and ``score``).
    ``initial``: an earlier report (the registration's) to test AUC and concentration against.
    ``previous``: an earlier scoring run (``credit_code``, ``grade``) for the migration matrix.
    ``matured``: scores issued 12+ months before, with their realised ``outcome``, for the backtest.
    ``history``: scores of every month so far (``as_of``, ``pd``) for PD and its PSI month by month.
    """
    labelled = current[current["outcome"].notna()] if "outcome" in current else current.iloc[:0]
    y = labelled["outcome"].to_numpy(float) if len(labelled) else np.empty(0)
    auc, std = (
        auc_delong(y, labelled["pd"].to_numpy(float)) if len(labelled) else (float("nan"), float("nan"))
    )
    initial_auc = initial["auc"]["value"] if initial else None
    auc_p = auc_test(initial_auc, auc, std) if initial_auc is not None else None
    report: dict[str, Any] = {
        "rows": len(current),
        "rows_with_outcome": len(labelled),
        "as_of": sorted({f"{d:%Y-%m-%d}" for d in pd.to_datetime(current["as_of"])}),
        "jeffreys": jeffreys(labelled["grade"], labelled["pd"], y, order),
        "auc": {"value": auc, "std": std, "initial": initial_auc, "p_value": auc_p, "light": light(auc_p)},
        "concentration": concentration(
            current["grade"].to_numpy(object), order, initial["concentration"]["cv"] if initial else None
        ),
        "psi": _psi_section(current, development, features, current if history is None else history),
    }
    if previous is not None:
        both = current[["credit_code", "grade"]].merge(
            previous[["credit_code", "grade"]], on="credit_code", suffixes=("", "_before")
        )
        report["migration"] = migration(both["grade_before"].to_numpy(), both["grade"].to_numpy(), order)
    else:
        report["migration"] = None
    if matured is not None and len(matured):
        report["backtest"] = {
            "as_of": sorted({f"{d:%Y-%m-%d}" for d in pd.to_datetime(matured["as_of"])}),
            **backtest(matured["grade"], matured["pd"], matured["outcome"].to_numpy(float), order),
        }
    else:
        report["backtest"] = None
    return report


def _psi_section(
    current: pd.DataFrame, development: pd.DataFrame, features: Sequence[str], history: pd.DataFrame
) -> dict[str, Any]:
    """PSI of the score and of every feature against development, and of PD month by month."""
    score = population_stability_index(development["score"].to_numpy(float), current["score"].to_numpy(float))
    table = psi_by_feature(development, current, [f for f in features if f in development and f in current])
    reference = development["pd"].to_numpy(float)
    by_month = [
        {
            "month": f"{month:%Y-%m}",
            "psi": population_stability_index(reference, group["pd"].to_numpy(float)),
            "mean_pd": float(group["pd"].mean()),
            "default_rate": float(group["outcome"].mean()) if group.get("outcome") is not None else None,
        }
        for month, group in history.groupby(pd.to_datetime(history["as_of"]).dt.to_period("M"))
    ]
    return {
        "score": score,
        "score_light": psi_light(score),
        "features": table.head(20)[["feature", "psi", "band"]].to_dict("records"),
        "features_shifted": int((table["psi"] >= 0.25).sum()),
        "pd_by_month": by_month,
    }


# -- At registration and on demand ------------------------------------------------------------------
VALIDATION_ARTIFACT = "validation/initial.json"  # in the model's MLflow run
POLICY_ARTIFACT = "supervision_policy.json"
REFERENCE_SAMPLE = 2000  # development scores kept with the model for later PSI without the panel


def scored_frame(model: ScoringModel, rows: pd.DataFrame, outcome: np.ndarray | None) -> pd.DataFrame:
    """Return ``rows``' identifiers and features with the credit model's PD, score, grade and class."""
    out = model.predict(rows, top_reasons=0)
    frame = rows[["credit_code", "as_of", *(f for f in model.spec.features if f in rows)]].copy()
    for column in ("pd", "score", "grade", "supervision_class"):
        frame[column] = out[column].to_numpy()
    if outcome is not None:
        frame["outcome"] = np.asarray(outcome, float)
    return frame


def initial_validation(
    model: ScoringModel,
    train_rows: pd.DataFrame,
    test_rows: pd.DataFrame,
    y_train: np.ndarray,
    y_test: np.ndarray,
    seed: int = 0,
) -> dict[str, Any]:
    """The registration's report: the out-of-time test period against the training period.

    Test outcomes have matured by construction, so Jeffreys, AUC and the backtest all read them; the
    report also keeps the class shares under the model's policy and a sample of development scores
    and PDs, so that a scoring run can compute PSI without rebuilding the training panel.
    """
    development = scored_frame(model, train_rows, y_train)
    test = scored_frame(model, test_rows, y_test)
    report = validation_report(
        test, development, GRADES, model.spec.features, matured=test, history=pd.concat([development, test])
    )
    sample = development.sample(min(REFERENCE_SAMPLE, len(development)), random_state=seed)
    report["kind"] = "initial"
    report["policy"] = {
        "version": model.policy.version,
        "fingerprint": model.policy.fingerprint,
        "class_shares": model.policy.class_shares(test["supervision_class"].to_numpy()),
    }
    report["reference"] = {"score": sample["score"].tolist(), "pd": sample["pd"].round(6).tolist()}
    return json_safe(report)


def json_safe(value: Any) -> Any:
    """Return ``value`` with NaN/inf as None and numpy scalars as Python ones (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
