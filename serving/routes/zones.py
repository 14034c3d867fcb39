"""The zone activity index (monthly index and its component series) and the zone economy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from data.vocabulary import ZONES
from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.economy import economy_for
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


@router.get(
    "/{zone}/economy",
    responses=ERRORS,
    summary="Economy of a zone: monthly or quarterly series with year-on-year growth",
)
def get_economy(
    zone: Annotated[str, Path(description="Zone code, e.g. teda.", examples=["teda"])],
    principal: ReadingPrincipal,
    state: StateDep,
    purpose: PurposeDep,
    frequency: Annotated[
        str, Query(description="monthly or quarterly (statistics are quarterly only)")
    ] = "monthly",
    industry: Annotated[
        str | None, Query(description="GB/T 4754 section letter: only its series by industry")
    ] = None,
    as_of: Annotated[
        date | None, Query(description="Records reported by this day; default the latest")
    ] = None,
) -> dict[str, Any]:
    """Taxes, headcount, electricity, statistics and IP series as known on the as-of, for the zone and by
    industry section, the visible zones side by side, and the tax–electricity index with what it lacks."""
    body = economy_for(principal, state.settings, zone, as_of, frequency, industry)
    state.audit.record(principal, "GET /v1/zones/{zone}/economy", purpose, detail=f"{zone} {frequency}")
    return {"name": ZONES[zone], **body}
