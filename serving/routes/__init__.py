"""Every router of the API, collected in one place."""

from __future__ import annotations

from fastapi import APIRouter

from serving.routes import (
    alerts,
    audit,
    batches,
    disputes,
    enterprises,
    health,
    rankings,
    scores,
    warnings,
    zones,
)

api_router = APIRouter(prefix="/v1")
for module in (scores, enterprises, rankings, warnings, zones, disputes, audit, alerts, batches):
    api_router.include_router(module.router)

__all__ = ["api_router", "health"]
