"""Liveness, readiness (models and database loaded) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse

from models.scoring import registered_name
from serving.deps import StateDep
from serving.schemas import Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses={503: {"model": Ready}}, summary="Ready to serve")
def readyz(state: StateDep) -> Any:
    """200 once the champions are loaded and the database answers; 503 otherwise."""
    champions = state.champions.current
    try:
        with state.engine.connect() as connection:
            connection.exec_driver_sql("select 1")
        database, detail = True, None
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        database, detail = False, f"database: {exc.__class__.__name__}"
    if champions is None:
        detail = f"models: {state.champions.last_error or 'not loaded'}"
    ready = database and champions is not None
    body = {
        "status": "ready" if ready else "not ready",
        "models": dict(champions.versions) if champions else {},
        "database": database,
        "detail": detail,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
async def metrics(state: StateDep) -> Response:
    champions = state.champions.current
    if champions is not None:
        for kind, version in champions.versions.items():
            state.metrics.model_version.labels(registered_name(kind)).set(float(version))
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
