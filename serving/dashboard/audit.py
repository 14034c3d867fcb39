"""The dashboard's ``/audit`` page: the review of personal-data queries, for auditor keys.

Filters, pages and a CSV export over ``serving.audit``'s queries, with the flags of unusual access
(busy days, reads outside working hours, failed sign-ins) above the entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from serving.audit import AUDIT_COLUMNS, AuditFilter, audit_page, audit_rows, review_window, unusual_access
from serving.dashboard.frame import (
    DEFAULT_PAGE_SIZE,
    DashboardRoute,
    Viewer,
    audit_view,
    blank,
    choice,
    page_count,
    render,
    viewer_in,
)
from serving.deps import StateDep
from serving.errors import ApiError
from serving.exports import csv_response
from serving.keys import ROLES

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)
AuditorDep = Annotated[Viewer, Depends(viewer_in("auditor"))]
FILTERS = ("key_id", "role", "credit_code", "zone", "purpose", "action", "personal_data", "since", "until")


def _moment(value: str | None, name: str) -> datetime | None:
    value = blank(value)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(422, f"{name} must be a date or time such as 2026-12-01 or 2026-12-01T08:00") from None


def review_query(
    key_id: Annotated[str | None, Query(max_length=32)] = None,
    role: Annotated[str | None, Query(max_length=16)] = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
    zone: Annotated[str | None, Query(max_length=16)] = None,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=128)] = None,
    personal_data: Annotated[str | None, Query(max_length=3)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    until: Annotated[str | None, Query(max_length=32)] = None,
) -> AuditFilter:
    """Read the page's filters from the query string (blank means no filter)."""
    shown = choice(personal_data, ("yes", "no"), "personal_data")
    return AuditFilter(
        blank(key_id),
        choice(role, (*ROLES, "-"), "role"),
        blank(credit_code),
        blank(zone),
        blank(purpose),
        blank(action),
        None if shown is None else shown == "yes",
        _moment(since, "since"),
        _moment(until, "until"),
    )


ReviewDep = Annotated[AuditFilter, Depends(review_query)]


@router.get("/audit")
def audit_review(
    request: Request,
    viewer: AuditorDep,
    state: StateDep,
    review: ReviewDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Audit entries of every zone, newest first, filtered and paged, under the flags of unusual access."""
    with state.engine.connect() as connection:
        total, items = audit_page(connection, review, DEFAULT_PAGE_SIZE, (page - 1) * DEFAULT_PAGE_SIZE)
        flags = unusual_access(connection, *review_window(review))
    audit_view(state, viewer, "GET /audit", detail=f"{len(items)} entries", purpose="audit_review")
    return render(
        request,
        "audit.html",
        viewer,
        page="audit",
        review=review,
        values={name: request.query_params.get(name, "") for name in FILTERS},
        roles=(*ROLES, "-"),
        total=total,
        current=page,
        pages=page_count(total, DEFAULT_PAGE_SIZE),
        items=items,
        flags=flags,
    )


@router.get("/audit.csv")
def audit_csv(viewer: AuditorDep, state: StateDep, review: ReviewDep) -> Response:
    """Every entry matching the page's filters, newest first, as CSV."""
    audit_view(state, viewer, "GET /audit.csv", detail="export", purpose="audit_review")

    def rows() -> Iterator[list[Any]]:
        with state.engine.connect() as connection:
            yield from audit_rows(connection, review)

    return csv_response(f"audit-{date.today():%Y%m%d}.csv", list(AUDIT_COLUMNS), rows())
