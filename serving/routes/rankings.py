"""Rankings of the latest scores: filter, sort, paginate — straight off the indexed table."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query

from data.contracts import ZONES
from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.errors import ApiError
from serving.routes.common import Limit, Offset, zone_condition
from serving.routes.scores import ERRORS
from serving.schemas import RankingsPublic
from serving.store import latest_scores

router = APIRouter(tags=["rankings"])
Sort = Literal["-score", "score", "pd", "-pd", "name", "credit_code"]
GradeName = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
ClassName = Literal["A", "B", "C", "D"]
_ORDER = {
    "-score": (latest_scores.c.score.desc(), latest_scores.c.credit_code),
    "score": (latest_scores.c.score, latest_scores.c.credit_code),
    "pd": (latest_scores.c.pd, latest_scores.c.credit_code),
    "-pd": (latest_scores.c.pd.desc(), latest_scores.c.credit_code),
    "name": (latest_scores.c.name, latest_scores.c.credit_code),
    "credit_code": (latest_scores.c.credit_code,),
}


def visible_zone(zone: str | None, principal: Any) -> None:
    """Refuse an unknown zone (422) and, like an unknown one, a zone outside the key's scope (404)."""
    if zone is None:
        return
    if zone not in ZONES:
        raise ApiError(422, f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
    if not principal.sees_zone(zone):
        raise ApiError(404, f"zone {zone} not found")


@router.get("/rankings", response_model=RankingsPublic, responses=ERRORS, summary="Ranked enterprises")
def get_rankings(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    limit: Limit = 50,
    offset: Offset = 0,
    zone: Annotated[str | None, Query(description="Zone code, e.g. teda.")] = None,
    industry: Annotated[str | None, Query(max_length=8, description="Industry division, e.g. C36.")] = None,
    grade: GradeName | None = None,
    supervision_class: ClassName | None = None,
    sort: Annotated[Sort, Query(description="Order; `-` for descending.")] = "-score",
) -> dict[str, Any]:
    """Enterprises of the caller's zones by their latest score, with filters and a stable order."""
    visible_zone(zone, principal)
    conditions = [
        c
        for c in (
            zone_condition(principal, latest_scores.c.zone),
            latest_scores.c.zone == zone if zone else None,
            latest_scores.c.industry == industry if industry else None,
            latest_scores.c.grade == grade if grade else None,
            latest_scores.c.supervision_class == supervision_class if supervision_class else None,
        )
        if c is not None
    ]
    total = connection.execute(
        sa.select(sa.func.count()).select_from(latest_scores).where(*conditions)
    ).scalar_one()
    columns = [
        latest_scores.c[name]
        for name in (
            "credit_code",
            "name",
            "zone",
            "industry",
            "score",
            "pd",
            "grade",
            "supervision_class",
            "as_of",
            "model_version",
        )
    ]
    rows = connection.execute(
        sa.select(*columns).where(*conditions).order_by(*_ORDER[sort]).limit(limit).offset(offset)
    ).mappings()
    items = [{"rank": offset + i + 1, **row} for i, row in enumerate(rows)]
    state.audit.record(
        principal, "GET /v1/rankings", purpose, detail=f"{len(items)} enterprises; zone={zone} sort={sort}"
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}
