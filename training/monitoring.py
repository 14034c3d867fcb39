"""Validation of the champion credit model on demand, and the monitoring part after each scoring run.

``validate`` rebuilds point-in-time panels from the warehouse (development, a year before, the as-of
date), scores them with the champion and compares with the initial validation stored at
registration. ``monitor_run`` needs no panel: it reads a scoring run's stored scores and the
previous run's, and reports PSI against the development sample kept in the initial validation,
concentration, migration and PD month by month. Both reports are written as JSON under
``HOME/validation/`` for the dashboard's /models page.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from data.errors import InvalidArguments, NotReady
from models.packaged import tracking
from models.reports import save_report
from models.scale import CLASSES, GRADES, grades
from models.scoring import registered_name
from training.evaluate import load_champion
from training.fit import outcome
from training.metrics import population_stability_index
from training.panels import default_as_of_dates, load_panel
from training.validation import (
    VALIDATION_ARTIFACT,
    concentration,
    json_safe,
    migration,
    psi_light,
    scored_frame,
    validation_report,
)


def initial_report(kind: str, version: str, tracking_uri: str) -> tuple[str, dict[str, Any] | None]:
    """Return (run id, initial validation) of a registered model version (None if it has none)."""
    run_id = str(MlflowClient(tracking_uri).get_model_version(registered_name(kind), version).run_id)
    try:
        with tracking(tracking_uri):
            return run_id, mlflow.artifacts.load_dict(f"runs:/{run_id}/{VALIDATION_ARTIFACT}")
    except Exception:  # a model registered before validations existed
        return run_id, None


def _month_end(day: date | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.offsets.MonthEnd(0)


def validate(
    home: Path,
    kind: str = "credit",
    as_of: date | None = None,
    every_months: int = 3,
    tracking_uri: str | None = None,
) -> dict[str, Any]:
    """Return (and save) the validation report of ``kind``'s champion as of ``as_of``.

    ``as_of`` defaults to the last month-end whose 12-month outcome has matured. Outcomes are used
    only where they have (Jeffreys, AUC); the backtest reads the scores of 12 months earlier; the
    migration matrix runs from then to ``as_of``; PSI compares with the last training as-of date.
    The champion comes from ``tracking_uri`` (default: the settings' registry).
    """
    from zonecredit.settings import get_settings

    if kind != "credit":
        raise InvalidArguments(f"the rating-system validation covers graded models: credit, not {kind!r}")
    tracking_uri = tracking_uri or get_settings().resolved_mlflow_tracking_uri
    version, model = load_champion(kind, tracking_uri)
    run_id, initial = initial_report(kind, version, tracking_uri)
    labelled = [pd.Timestamp(d) for d in default_as_of_dates(home, kind)]
    if not labelled:
        raise NotReady("no as-of date has a matured outcome yet: ingest at least 18 months of records")
    current = _month_end(as_of) if as_of else labelled[-1]
    earlier = _month_end(current - pd.DateOffset(months=12))
    train_end = MlflowClient(tracking_uri).get_run(run_id).data.params.get("as_of_train", "").split("..")[-1]
    development = _month_end(pd.Timestamp(train_end)) if train_end else earlier
    months = pd.date_range(earlier, current, freq=f"{every_months}ME")
    dates = sorted({development, earlier, current, *months})
    panel = load_panel(kind, home, as_of_dates=[d.date() for d in dates])
    panel = panel[panel["as_of"].isin(dates)]
    matured = pd.to_datetime(panel["as_of"]) <= labelled[-1]
    scored = scored_frame(model, panel, np.where(matured, outcome("credit", panel), np.nan))
    at = pd.to_datetime(scored["as_of"])
    report = validation_report(
        scored[at == current],
        scored[at == development],
        GRADES,
        model.spec.features,
        initial=initial,
        previous=scored[at == earlier],
        matured=scored[(at == earlier) & scored["outcome"].notna()],
        history=scored[at >= earlier],
    )
    report["kind"] = "validation"
    report["model"] = {"name": registered_name(kind), "version": version, "run_id": run_id}
    report["policy"] = {
        "version": model.policy.version,
        "class_shares": model.policy.class_shares(scored.loc[at == current, "supervision_class"].to_numpy()),
    }
    report["as_of"] = f"{current:%Y-%m-%d}"
    return _save(home, kind, "validation", f"{current:%Y-%m-%d}", report)


def monitor_run(
    home: Path,
    kind: str,
    version: str,
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    history: pd.DataFrame,
    policy_version: str | None,
    tracking_uri: str,
) -> dict[str, Any]:
    """Return (and save) the monitoring report of one stored scoring run.

    ``current`` and ``previous`` hold a run's ``credit_code``, ``pd``, ``score`` and
    ``supervision_class``; ``history`` every stored run's ``as_of`` and ``pd``; the initial
    validation comes from the registry at ``tracking_uri``. Grades are re-read
    from PD so the matrix uses the master scale whatever the store kept.
    """
    run_id, initial = initial_report(kind, version, tracking_uri)
    current = current.assign(grade=grades(current["pd"].to_numpy(float)))
    reference = initial["reference"] if initial else None
    pd_reference = np.asarray(reference["pd"], float) if reference else None
    score_psi = (
        population_stability_index(np.asarray(reference["score"], float), current["score"].to_numpy(float))
        if reference
        else None
    )
    report: dict[str, Any] = {
        "kind": "monitoring",
        "model": {"name": registered_name(kind), "version": version, "run_id": run_id},
        "as_of": f"{pd.Timestamp(current['as_of'].iloc[0]):%Y-%m-%d}" if len(current) else None,
        "rows": len(current),
        "policy": {
            "version": policy_version,
            "class_shares": {c: float((current["supervision_class"] == c).mean()) for c in CLASSES},
        },
        "concentration": concentration(
            current["grade"].to_numpy(object), GRADES, initial["concentration"]["cv"] if initial else None
        ),
        "psi": {
            "score": score_psi,
            "score_light": psi_light(score_psi),
            "pd_by_month": [
                {
                    "month": f"{month:%Y-%m}",
                    "psi": population_stability_index(pd_reference, group["pd"].to_numpy(float))
                    if pd_reference is not None
                    else None,
                    "mean_pd": float(group["pd"].mean()),
                }
                for month, group in history.groupby(pd.to_datetime(history["as_of"]).dt.to_period("M"))
            ],
        },
        "migration": None,
    }
    if previous is not None and len(previous):
        both = current[["credit_code", "grade"]].merge(
            previous.assign(grade=grades(previous["pd"].to_numpy(float)))[["credit_code", "grade"]],
            on="credit_code",
            suffixes=("", "_before"),
        )
        report["migration"] = migration(both["grade_before"].to_numpy(), both["grade"].to_numpy(), GRADES)
    return _save(home, kind, "monitoring", str(report["as_of"]), report)


def _save(home: Path, kind: str, what: str, as_of: str, report: dict[str, Any]) -> dict[str, Any]:
    report = json_safe(report)
    save_report(home, kind, what, as_of, report)
    return report
