"""The data-quality page: the indicators of every loaded batch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from serving.dashboard.frame import (
    DashboardRoute,
    QualityViewerDep,
    render,
)
from serving.deps import StateDep
from serving.queries import batch_quality

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


@router.get("/quality")
def quality(request: Request, viewer: QualityViewerDep, state: StateDep) -> Response:
    """The data-quality indicators of every loaded batch, newest first."""
    return render(
        request,
        "quality.html",
        viewer,
        page="quality",
        rows=batch_quality(state.settings.home, latest_only=False),
    )
