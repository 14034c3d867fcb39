"""The overview at ``/``: one zone at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from models.activity import COMPONENTS
from serving.alerts import alert_page
from serving.dashboard import charts
from serving.dashboard.frame import (
    DashboardRoute,
    ViewerDep,
    audit_view,
    blank,
    render,
)
from serving.dashboard.i18n import translator
from serving.deps import StateDep
from serving.queries import (
    CLASSES,
    GRADES,
    activity_months,
    batch_quality,
    distribution,
    visible_zones,
    warning_counts,
)

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


OVERVIEW_ALERTS = 5  # the newest alerts of the zone on the overview; /alerts holds them all


@router.get("/")
def overview(request: Request, viewer: ViewerDep, state: StateDep, zone: str | None = None) -> Response:
    """One zone at a glance: grades, classes, activity index with components, warnings, data quality."""
    principal = viewer.principal
    zones = visible_zones(principal)
    zone = blank(zone) or zones[0]
    t = translator(viewer.lang)
    with state.engine.connect() as connection:
        grades = distribution(connection, principal, "grade", zone)
        classes = distribution(connection, principal, "supervision_class", zone)
        months = activity_months(connection, principal, zone)
        counts = warning_counts(connection, principal, zone)
        alerts = alert_page(connection, principal.zones, None, zone, OVERVIEW_ALERTS)
    audit_view(state, viewer, "GET /", detail=zone)
    series = [(t("series.index"), [m["index"] for m in months])]
    series += [(t(f"series.{c}"), [m["components"][c] for m in months]) for c in COMPONENTS]
    return render(
        request,
        "overview.html",
        viewer,
        page="overview",
        zones=zones,
        zone=zone,
        enterprises=sum(grades.values()),
        as_of=months[-1]["month"] if months else None,
        grade_chart=charts.bar_chart(
            [(g, grades.get(g, 0)) for g in GRADES],
            t("overview.grades"),
            [f"grade grade-{g[0]}" for g in GRADES],
        ),
        class_chart=charts.bar_chart(
            [(c, classes.get(c, 0)) for c in CLASSES],
            t("overview.classes"),
            [f"class class-{c}" for c in CLASSES],
            width=300,
        ),
        activity_chart=charts.line_chart(
            [f"{m['month']:%Y-%m}" for m in months], series, t("overview.activity")
        )
        if months
        else None,
        counts=counts,
        alerts=alerts,
        quality=batch_quality(state.settings.home, latest_only=True),
    )
