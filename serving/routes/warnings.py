"""Active repair and dormancy warnings, filterable and paginated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.queries import warning_page
from serving.routes.common import Limit, Offset, ZoneQuery
from serving.routes.scores import ERRORS
from serving.schemas import WarningsPublic

router = APIRouter(tags=["warnings"])


@router.get("/warnings", response_model=WarningsPublic, responses=ERRORS, summary="Active warnings")
def get_warnings(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    limit: Limit = 50,
    offset: Offset = 0,
    kind: Literal["repair", "dormancy"] | None = None,
    level: Literal["red", "amber"] | None = None,
    zone: ZoneQuery = None,
    industry: Annotated[str | None, Query(max_length=8)] = None,
) -> dict[str, Any]:
    """Repair warnings (unrepaired records likely to stay so) and dormancy warnings, worst first."""
    total, items = warning_page(connection, principal, kind, level, zone, industry, limit, offset)
    state.audit.record(principal, "GET /v1/warnings", purpose, detail=f"{len(items)} warnings; kind={kind}")
    return {"total": total, "limit": limit, "offset": offset, "items": items}
