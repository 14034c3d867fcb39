"""The alerts page: what rescores on arrival raised, newest first, filterable by cause and zone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from serving.alerts import KINDS, alert_page
from serving.dashboard.frame import ViewerDep, audit_view, blank, choice, render
from serving.deps import StateDep
from serving.queries import visible_zone, visible_zones

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@router.get("/alerts")
def alerts_page(
    request: Request, viewer: ViewerDep, state: StateDep, kind: str | None = None, zone: str | None = None
) -> Response:
    """The newest alerts with their cause, in the viewer's zones."""
    kind = choice(blank(kind), KINDS, "kind")
    zone = blank(zone)
    visible_zone(zone, viewer.principal)
    with state.engine.connect() as connection:
        items = alert_page(connection, viewer.principal.zones, kind, zone, PAGE_SIZE)
    audit_view(state, viewer, "GET /alerts", detail=f"{len(items)} alerts; kind={kind}")
    return render(
        request,
        "alerts.html",
        viewer,
        page="alerts",
        kind=kind,
        kinds=KINDS,
        zone=zone,
        zones=visible_zones(viewer.principal),
        items=items,
    )
