"""Disputes (objections): file, list, and move on (``serving.disputes`` holds the workflow)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from serving.deps import AdminPrincipal, ChampionsDep, PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.disputes import decide_dispute, dispute_page, file_dispute
from serving.routes.common import Limit, Offset, ZoneQuery
from serving.routes.scores import ERRORS
from serving.schemas import DisputeCreate, DisputePublic, DisputesPublic, DisputeUpdate

router = APIRouter(prefix="/disputes", tags=["disputes"])
DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Dispute number.")]


@router.post("", response_model=DisputePublic, status_code=201, responses=ERRORS, summary="File a dispute")
def create_dispute(
    body: DisputeCreate, principal: ReadingPrincipal, state: StateDep, purpose: PurposeDep
) -> dict[str, Any]:
    """Object to one record of an enterprise in the caller's zones; the request is checked now."""
    dispute = file_dispute(state.engine, principal, body.model_dump(), state.settings.home)
    state.audit.record(
        principal, "POST /v1/disputes", purpose, body.credit_code, detail=f"dispute {dispute['dispute_id']}"
    )
    return dispute


@router.get("", response_model=DisputesPublic, responses=ERRORS, summary="List disputes")
def list_disputes(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Literal["submitted", "under_review", "upheld", "rejected"] | None = None,
    zone: ZoneQuery = None,
    credit_code: Annotated[str | None, Query(description="Only this enterprise's disputes.")] = None,
) -> dict[str, Any]:
    """Disputes of the caller's zones, newest first."""
    total, items = dispute_page(connection, principal, status, zone, credit_code, limit, offset)
    state.audit.record(principal, "GET /v1/disputes", purpose, credit_code, detail=f"{len(items)} disputes")
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.patch(
    "/{dispute_id}",
    response_model=DisputePublic,
    responses={**ERRORS, 409: {"description": "Not allowed from the current status"}},
    summary="Move a dispute on",
)
async def update_dispute(
    dispute_id: DisputeId,
    body: DisputeUpdate,
    principal: AdminPrincipal,
    state: StateDep,
    champions: ChampionsDep,
    purpose: PurposeDep,
) -> dict[str, Any]:
    """Review, uphold (correction + rescore) or reject a dispute of the admin's zones."""
    out = await run_in_threadpool(
        decide_dispute,
        dispute_id,
        body.status,
        body.note,
        principal,
        state.engine,
        state.settings,
        champions,
    )
    state.audit.record(
        principal, "PATCH /v1/disputes/{dispute_id}", purpose, out["credit_code"], detail=body.status
    )
    return out
