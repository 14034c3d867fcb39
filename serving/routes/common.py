"""FastAPI parameter aliases shared by the enterprise-data routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from serving.schemas import EXAMPLE_CODE

CreditCodePath = Annotated[
    str, Path(description="Unified social credit code (18 characters).", examples=[EXAMPLE_CODE])
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (1-500).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
