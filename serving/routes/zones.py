"""The zone activity index: monthly index and the component series behind it."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter, Path

from data.contracts import ZONES
from models.activity import COMPONENTS
from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.errors import ApiError
from serving.outputs import activity_index
from serving.routes.common import json_value
from serving.routes.scores import ERRORS
from serving.schemas import ActivityIndexPublic
from serving.store import zone_activity

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
    if zone not in ZONES or not principal.sees_zone(zone):
        raise ApiError(404, f"zone {zone} not found; zones are {', '.join(ZONES)}")
    rows = connection.execute(
        sa.select(zone_activity).where(zone_activity.c.zone == zone).order_by(zone_activity.c.month)
    ).mappings()
    levels = pd.DataFrame([dict(r) for r in rows])
    state.audit.record(principal, "GET /v1/zones/{zone}/activity-index", purpose, detail=zone)
    if levels.empty:
        return {"zone": zone, "name": ZONES[zone], "base_month": None, "months": []}
    indexed = activity_index(levels)
    months = [
        {
            "month": row["month"],
            "index": json_value(row["index"]),
            "components": {c: json_value(row[f"{c}_index"]) for c in COMPONENTS},
            "levels": {c: float(row[c]) for c in COMPONENTS},
            "enterprises": int(row["enterprises"]),
            "mean_activity_score": json_value(row["mean_activity_score"]),
        }
        for row in indexed.to_dict(orient="records")
    ]
    return {"zone": zone, "name": ZONES[zone], "base_month": months[0]["month"], "months": months}
