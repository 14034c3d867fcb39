"""Rankings of the latest scores: filter, sort, paginate — straight off the indexed table."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from models.policy import ClassName
from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.queries import RankingFilter, Sort, WarningFilter, ranking_page
from serving.routes.common import Limit, Offset, ZoneQuery
from serving.routes.scores import ERRORS
from serving.schemas import RankingsPublic

router = APIRouter(tags=["rankings"])
GradeName = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]


@router.get("/rankings", response_model=RankingsPublic, responses=ERRORS, summary="Ranked enterprises")
def get_rankings(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    limit: Limit = 50,
    offset: Offset = 0,
    zone: ZoneQuery = None,
    industry: Annotated[str | None, Query(max_length=8, description="Industry division, e.g. C36.")] = None,
    grade: GradeName | None = None,
    supervision_class: ClassName | None = None,
    warning: Annotated[
        WarningFilter | None, Query(description="Only enterprises with an active warning of this kind.")
    ] = None,
    sort: Annotated[Sort, Query(description="Order; `-` for descending.")] = "-score",
) -> dict[str, Any]:
    """Enterprises of the caller's zones by their latest score, with filters and a stable order."""
    ranking = RankingFilter(zone, industry, grade, supervision_class, warning)
    total, items = ranking_page(connection, principal, ranking, sort, limit, offset)
    state.audit.record(
        principal, "GET /v1/rankings", purpose, detail=f"{len(items)} enterprises; zone={zone} sort={sort}"
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}
