"""Helpers shared by the enterprise-data routes: zone scoping, masking, pagination, JSON values."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi import Path, Query

from serving.errors import not_found, valid_code
from serving.keys import Principal
from serving.schemas import EXAMPLE_CODE
from serving.store import latest_scores

CreditCodePath = Annotated[
    str, Path(description="Unified social credit code (18 characters).", examples=[EXAMPLE_CODE])
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (1-500).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
# Roles that work with an enterprise's legal representative (supervision in their own zones).
UNMASKED_ROLES = frozenset({"admin"})


def zone_condition(principal: Principal, column: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
    """Return the SQL condition limiting ``column`` to the caller's zones (None = every zone)."""
    return None if principal.zones is None else column.in_(sorted(principal.zones))


def scored_enterprise(connection: sa.Connection, principal: Principal, credit_code: str) -> sa.RowMapping:
    """Return the latest-score row of a visible enterprise, or raise 404 (also for other zones)."""
    valid_code(credit_code)
    row = (
        connection.execute(sa.select(latest_scores).where(latest_scores.c.credit_code == credit_code))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise not_found(credit_code)
    return row


def mask_personal_id(value: str | None, principal: Principal) -> str | None:
    """Return an ID number as is for roles that need it, else only its first 6 and last 4 characters."""
    if value is None or principal.role in UNMASKED_ROLES:
        return value
    keep = 6 if len(value) > 10 else 0
    tail = 4 if len(value) > 10 else 0
    return value[:keep] + "*" * (len(value) - keep - tail) + (value[-tail:] if tail else "")


def json_value(value: Any) -> Any:
    """Return a value JSON can carry: dates as ISO text, NaN/NaT as null, numpy scalars as Python."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
