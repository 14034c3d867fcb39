"""``create_app(settings)``: the API and dashboard of SPEC §7. Nothing happens at import time.

The lifespan loads the champions, starts the alias watcher and the audit writer, and stops them
(flushing the audit log) on shutdown. ``app_from_env`` is the factory uvicorn workers call.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from serving.alerts import AlertMetrics
from serving.audit import AuditWriter
from serving.champions import ChampionHolder
from serving.dashboard import STATIC_DIR
from serving.dashboard import router as dashboard_router
from serving.deps import ServiceState
from serving.errors import install_handlers
from serving.limits import FailureLimiter
from serving.observability import Metrics, RequestMiddleware, configure_logging
from serving.routes import api_router, health
from serving.routes import services as services_routes
from serving.store import engine_for
from zonecredit.settings import Settings, get_settings

log = logging.getLogger("zonecredit.serving")
DESCRIPTION = """Credit scores, explanations, rankings, warnings, zone activity and disputes for the
enterprises of the development zones. Authenticate with `Authorization: Bearer <key>` (keys come from
`zonecredit keys create`); say why you read enterprise data with an `X-Purpose` header (audited)."""


def create_app(settings: Settings | None = None, watch_champions: bool = True) -> FastAPI:
    """Return the API for ``settings``; ``watch_champions=False`` loads once and never reloads."""
    settings = settings or get_settings()
    configure_logging(access_log=settings.access_log)
    engine = engine_for(settings.resolved_database_url)
    metrics = Metrics()
    secret, secret_source = settings.session_secret()
    log.info("dashboard sessions are signed with the secret from %s", secret_source)
    metrics.registry.register(AlertMetrics(settings.resolved_database_url, settings.home))
    state = ServiceState(
        settings=settings,
        engine=engine,
        champions=ChampionHolder(settings.resolved_mlflow_tracking_uri, settings.reload_interval_seconds),
        audit=AuditWriter(engine, settings.audit_flush_seconds),
        metrics=metrics,
        secret=secret,
        limiter=FailureLimiter(
            settings.auth_failures_per_key, settings.auth_failures_per_client, settings.auth_window_seconds
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.champions.refresh()
        if watch_champions:
            state.champions.start()
        state.audit.start()
        try:
            yield
        finally:
            state.champions.stop()
            state.audit.stop()

    app = FastAPI(
        title="zonecredit",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = state
    install_handlers(app)
    app.include_router(health.router)
    app.include_router(api_router)
    app.include_router(services_routes.router)
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    return app


def app_from_env() -> FastAPI:
    """Build the app from ``ZONECREDIT_*`` variables (``uvicorn --factory serving.app:app_from_env``)."""
    return create_app(get_settings())
