"""The analysts' /models page: champions with their cards, and whether the grades still hold.

Champion facts come from the MLflow registry (the run behind each champion version); the validation
and monitoring reports are the JSON files ``zonecredit validate`` and ``zonecredit score`` write under
``HOME/validation/`` (serving reads them, it never computes them). Analysts see everything;
administrators see the champions and the supervision classes of their own zones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from models.reports import latest_report
from models.scoring import CHAMPION, KINDS, registered_name
from serving.dashboard import charts
from serving.dashboard.frame import DashboardRoute, ViewerDep, render
from serving.deps import StateDep
from serving.queries import CLASSES, GRADES, distribution

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)
METRICS = ("test_auc", "test_ks", "test_ece", "test_brier")


def champion_cards(tracking_uri: str, ui_url: str) -> list[dict[str, Any]]:
    """Return each model's champion: version, test metrics, policy, model card and MLflow link."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    cards: list[dict[str, Any]] = []
    for kind in KINDS:
        name = registered_name(kind)
        try:
            version = client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            cards.append({"kind": kind, "name": name, "version": None})
            continue
        run = client.get_run(str(version.run_id))
        try:
            path = mlflow.artifacts.download_artifacts(
                run_id=run.info.run_id, artifact_path="model_card.md", tracking_uri=tracking_uri
            )
            card = Path(path).read_text(encoding="utf-8")
        except (MlflowException, OSError):
            card = ""
        cards.append(
            {
                "kind": kind,
                "name": name,
                "version": version.version,
                "run_id": run.info.run_id,
                "metrics": {m: run.data.metrics.get(m) for m in METRICS},
                "policy_version": run.data.tags.get("supervision_policy_version"),
                "card": card,
                "link": f"{ui_url.rstrip('/')}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}",
            }
        )
    return cards


def validation_lights(
    report: dict[str, Any] | None, monitoring: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Return the traffic-light rows: test, value, p-value or band, light."""
    rows: list[dict[str, Any]] = []
    if report:
        for g in report["jeffreys"]["grades"]:
            rows.append(
                {"test": f"Jeffreys {g['grade']}", "value": g["pd"], "p": g["p_value"], "light": g["light"]}
            )
        portfolio = report["jeffreys"]["portfolio"]
        rows.append(
            {
                "test": "Jeffreys portfolio",
                "value": portfolio["pd"],
                "p": portfolio["p_value"],
                "light": portfolio["light"],
            }
        )
        auc = report["auc"]
        rows.append(
            {"test": "AUC vs initial", "value": auc["value"], "p": auc["p_value"], "light": auc["light"]}
        )
    source = monitoring or report
    if source:
        conc = source["concentration"]
        rows.append(
            {"test": "concentration (CV)", "value": conc["cv"], "p": conc["p_value"], "light": conc["light"]}
        )
        rows.append(
            {
                "test": "score PSI",
                "value": source["psi"]["score"],
                "p": None,
                "light": source["psi"]["score_light"],
            }
        )
        mig = source.get("migration")
        if mig:
            light = (
                "green" if mig["unstable_cells"] == 0 else "amber" if mig["unstable_cells"] <= 2 else "red"
            )
            rows.append(
                {
                    "test": "migration stability (cells p<5%)",
                    "value": mig["unstable_cells"],
                    "p": None,
                    "light": light,
                }
            )
    return rows


@router.get("/models")
def models_page(request: Request, viewer: ViewerDep, state: StateDep) -> Response:
    """Champions and the validation of the rating system (ECB §2.5) for analysts."""
    settings = state.settings
    analyst = viewer.principal.role == "analyst"
    report = latest_report(settings.home, "credit", "validation") if analyst else None
    monitoring = latest_report(settings.home, "credit", "monitoring") if analyst else None
    with state.engine.connect() as connection:
        classes = distribution(connection, viewer.principal, "supervision_class")
    total = sum(classes.values()) or 1
    context: dict[str, Any] = {
        "cards": champion_cards(settings.resolved_mlflow_tracking_uri, settings.mlflow_ui_url),
        "class_chart": charts.bar_chart(
            [(c, classes.get(c, 0) / total * 100) for c in CLASSES],
            "supervision classes (%)",
            [f"class class-{c}" for c in CLASSES],
        ),
        "analyst": analyst,
        "report": report,
        "monitoring": monitoring,
        "lights": validation_lights(report, monitoring),
    }
    source = monitoring or report
    if source and source.get("migration"):
        mig = source["migration"]
        context["heat_map"] = charts.heat_map(mig["grades"], mig["grades"], mig["shares"], "grade migration")
    if source:
        months = source["psi"]["pd_by_month"]
        context["psi_chart"] = charts.line_chart(
            [m["month"] for m in months],
            [
                ("PSI of PD ×100", [None if m["psi"] is None else 100 * m["psi"] for m in months]),
                ("mean PD %", [100 * m["mean_pd"] for m in months]),
            ],
            "PSI (×100) and mean PD (%) by month",
        )
    context["grades"] = GRADES
    return render(request, "models.html", viewer, page="models", **context)
