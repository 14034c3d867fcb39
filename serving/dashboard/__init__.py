"""The zone administrators' dashboard: server-rendered pages in Chinese and English at ``/``.

``router`` collects every page module's router (the frame is ``serving.dashboard.frame``), the way
``serving.routes`` collects the API's.
"""

from fastapi import APIRouter

from serving.dashboard import (
    alerts,
    audit,
    disputes,
    economy,
    enterprises,
    models_page,
    overview,
    quality,
    rankings,
    services,
    signin,
    upload,
    warnings,
)
from serving.dashboard.frame import STATIC_DIR

router = APIRouter(include_in_schema=False)
for module in (
    signin,
    overview,
    rankings,
    enterprises,
    warnings,
    disputes,
    quality,
    audit,
    services,
    alerts,
    models_page,
    upload,
    economy,
):
    router.include_router(module.router)

__all__ = ["STATIC_DIR", "router"]
