"""FastAPI parameter aliases shared by the enterprise-data routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from data.vocabulary import ZONES
from serving.schemas import EXAMPLE_CODE

ZONE_PATTERN = "^(" + "|".join(ZONES) + ")$"

CreditCodePath = Annotated[
    str, Path(description="Unified social credit code (18 characters).", examples=[EXAMPLE_CODE])
]
ZoneQuery = Annotated[
    str | None, Query(pattern=ZONE_PATTERN, description=f"Zone code: one of {', '.join(ZONES)}.")
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (1-500).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
