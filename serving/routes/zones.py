"""The zone activity index: monthly index and the component series behind it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from data.contracts import ZONES
from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.queries import activity_months
from serving.routes.scores import ERRORS
from serving.schemas import ActivityIndexPublic

router = APIRouter(prefix="/zones", tags=["zones"])


@router.get(
    "/{zone}/activity-index",
    response_model=ActivityIndexPublic,
    responses=ERRORS,
    summary="Monthly activity index of a zone",
)
def get_activity_index(
    zone: Annotated[str, Path(description="Zone code, e.g. teda.", examples=["teda"])],
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
) -> dict[str, Any]:
    """Index (first stored month = 100) with tax, employment, electricity and IP component indices."""
    months = activity_months(connection, principal, zone)
    state.audit.record(principal, "GET /v1/zones/{zone}/activity-index", purpose, detail=zone)
    base = months[0]["month"] if months else None
    return {"zone": zone, "name": ZONES[zone], "base_month": base, "months": months}
