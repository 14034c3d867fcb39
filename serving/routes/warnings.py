"""Active repair and dormancy warnings, filterable and paginated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query

from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.routes.common import Limit, Offset, zone_condition
from serving.routes.rankings import visible_zone
from serving.routes.scores import ERRORS
from serving.schemas import WarningsPublic
from serving.store import warnings

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
    zone: Annotated[str | None, Query(description="Zone code, e.g. teda.")] = None,
    industry: Annotated[str | None, Query(max_length=8)] = None,
) -> dict[str, Any]:
    """Repair warnings (unrepaired records likely to stay so) and dormancy warnings, worst first."""
    visible_zone(zone, principal)
    conditions = [
        c
        for c in (
            warnings.c.active.is_(True),
            zone_condition(principal, warnings.c.zone),
            warnings.c.zone == zone if zone else None,
            warnings.c.kind == kind if kind else None,
            warnings.c.level == level if level else None,
            warnings.c.industry == industry if industry else None,
        )
        if c is not None
    ]
    total = connection.execute(
        sa.select(sa.func.count()).select_from(warnings).where(*conditions)
    ).scalar_one()
    rows = connection.execute(
        sa.select(warnings)
        .where(*conditions)
        .order_by(warnings.c.level.desc(), warnings.c.probability.desc(), warnings.c.warning_id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    items = [dict(r) for r in rows]
    state.audit.record(principal, "GET /v1/warnings", purpose, detail=f"{len(items)} warnings; kind={kind}")
    return {"total": total, "limit": limit, "offset": offset, "items": items}
