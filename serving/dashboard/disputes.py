"""The dispute queue, one dispute with its rescore, and the administrators' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from starlette.responses import RedirectResponse, Response

from serving.dashboard.frame import (
    DEFAULT_PAGE_SIZE,
    CsrfForm,
    DashboardRoute,
    ViewerDep,
    audit_view,
    check_csrf,
    choice,
    page_count,
    render,
)
from serving.deps import StateDep, require_champions
from serving.disputes import STATUSES, decide_dispute, dispute_page, find_dispute, rescoring
from serving.errors import ApiError

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)
DisputeId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


@router.get("/disputes")
def disputes_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    status: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The dispute queue of the viewer's zones, newest first; administrators act on it."""
    status = choice(status, STATUSES, "status")
    offset = (page - 1) * DEFAULT_PAGE_SIZE
    with state.engine.connect() as connection:
        total, items = dispute_page(
            connection, viewer.principal, status, limit=DEFAULT_PAGE_SIZE, offset=offset
        )
    audit_view(state, viewer, "GET /disputes", detail=f"{len(items)} disputes")
    return render(
        request,
        "disputes.html",
        viewer,
        page="disputes",
        status=status,
        statuses=STATUSES,
        total=total,
        current=page,
        pages=page_count(total, DEFAULT_PAGE_SIZE),
        items=items,
    )


@router.get("/disputes/{dispute_id}")
def dispute_detail(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    dispute_id: DisputeId,
) -> Response:
    """One dispute with its decision and, once upheld, the score before and after the rescore."""
    with state.engine.connect() as connection:
        dispute = find_dispute(connection, viewer.principal, dispute_id)
        before, after = rescoring(connection, dispute)
    audit_view(state, viewer, "GET /disputes/{dispute_id}", dispute["credit_code"], f"dispute {dispute_id}")
    return render(
        request, "dispute.html", viewer, page="disputes", dispute=dispute, before=before, after=after
    )


@router.post("/disputes/{dispute_id}")
def decide(
    viewer: ViewerDep,
    state: StateDep,
    dispute_id: DisputeId,
    csrf: CsrfForm,
    status: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Review, uphold (correction and rescore) or reject a dispute; a decision needs a reason."""
    check_csrf(viewer, csrf)
    if not viewer.is_admin:
        raise ApiError(403, "only zone administrators decide disputes")
    status = choice(status, ("under_review", "upheld", "rejected"), "status") or ""
    if status in ("upheld", "rejected") and not note.strip():
        raise ApiError(422, "give a reason to uphold or reject a dispute")
    champions = require_champions(state)
    out = decide_dispute(
        dispute_id, status, note.strip(), viewer.principal, state.engine, state.settings, champions
    )
    audit_view(state, viewer, "POST /disputes/{dispute_id}", out["credit_code"], status)
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)
