"""The zone administrators' dashboard: server-rendered pages in Chinese and English at ``/``."""

from serving.dashboard.routes import STATIC_DIR, router

__all__ = ["STATIC_DIR", "router"]
