"""Alerts raised by rescores on arrival, newest first, filterable by cause and zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from serving.alerts import alert_page
from serving.deps import PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.queries import visible_zone
from serving.routes.scores import ERRORS

router = APIRouter(tags=["alerts"])


class AlertPublic(BaseModel):
    alert_id: int
    credit_code: str
    zone: str
    name: str
    kind: Literal["serious_record", "class_drop", "dormancy"]
    cause_zh: str
    cause_en: str
    as_of: date
    trigger: str
    created_at: datetime


class AlertsPublic(BaseModel):
    items: list[AlertPublic]


@router.get("/alerts", response_model=AlertsPublic, responses=ERRORS, summary="Newest alerts")
def get_alerts(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    kind: Literal["serious_record", "class_drop", "dormancy"] | None = None,
    zone: Annotated[str | None, Query(description="Zone code, e.g. teda.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """A new serious record, a class down two or more, activity below the dormancy floor: with the cause."""
    visible_zone(zone, principal)
    items = alert_page(connection, principal.zones, kind, zone, limit)
    state.audit.record(principal, "GET /v1/alerts", purpose, detail=f"{len(items)} alerts; kind={kind}")
    return {"items": items}
