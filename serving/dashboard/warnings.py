"""The warning lists: failure to repair (with how long records stay unrepaired) and dormancy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from data.corrections import read_corrections
from serving.dashboard.frame import (
    DEFAULT_PAGE_SIZE,
    DashboardRoute,
    ViewerDep,
    audit_view,
    blank,
    choice,
    page_count,
    render,
)
from serving.deps import StateDep
from serving.queries import (
    WARNING_KINDS,
    WARNING_LEVELS,
    credit_records,
    record_status,
    visible_zones,
    warning_history,
    warning_page,
)
from serving.services.common import UNREPAIRED_STATUSES
from serving.services.policy import policy_in_force
from zonecredit.settings import Settings

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


def _unrepaired(items: list[dict[str, Any]], settings: Settings) -> dict[str, dict[str, Any]]:
    """Return, per repair warning, since when its records have stayed unrepaired and for how many days."""
    if not items:
        return {}
    codes = [i["credit_code"] for i in items]
    records = credit_records(codes, settings.home)
    corrections = read_corrections(None, settings.resolved_database_url, codes)
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        own = records[records["credit_code"] == item["credit_code"]]
        status = record_status(own, item["as_of"], corrections)
        open_ = status[status["status"].isin(UNREPAIRED_STATUSES)]
        if len(open_):
            found[item["credit_code"]] = {
                "since": open_["shown_from"].min().date(),
                "days": int(open_["days_unrepaired"].max()),
                "records": len(open_),
            }
    return found


@router.get("/warnings")
def warnings_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    kind: str = "repair",
    level: str | None = None,
    zone: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The failure-to-repair list (with how long records stay unrepaired) and the dormancy list."""
    kind = choice(kind, WARNING_KINDS, "kind") or "repair"
    level = choice(level, WARNING_LEVELS, "level")
    offset = (page - 1) * DEFAULT_PAGE_SIZE
    with state.engine.connect() as connection:
        total, items = warning_page(
            connection, viewer.principal, kind, level, blank(zone), None, DEFAULT_PAGE_SIZE, offset
        )
        persistence = warning_history(connection, [i["credit_code"] for i in items], kind)
    audit_view(state, viewer, "GET /warnings", detail=f"{len(items)} warnings; kind={kind}")
    return render(
        request,
        "warnings.html",
        viewer,
        page="warnings",
        kind=kind,
        level=level,
        zone=blank(zone),
        zones=visible_zones(viewer.principal),
        total=total,
        current=page,
        pages=page_count(total, DEFAULT_PAGE_SIZE),
        items=items,
        persistence=persistence,
        policy=policy_in_force(state.settings),  # its [clearout] rule marks the candidates
        unrepaired=_unrepaired(items, state.settings) if kind == "repair" else {},
    )
