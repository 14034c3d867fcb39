"""The dashboard's page frame: sign-in state, CSRF, the audit of each page, and rendering.

Every page reads through ``serving.queries`` / ``serving.disputes`` with the signed-in key's
principal, so zone scoping (another zone's enterprise is a 404), masking and the audit log are the
API's. Pages are plain HTML forms and links (charts are inline SVG), so they work without scripts.
The page modules (``signin``, ``overview``, ``rankings``, ``enterprises``, ``warnings``,
``disputes``, ``quality`` and the others of this package) mirror ``serving.routes``; each builds its
router with ``DashboardRoute`` so that refusals become pages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from data.errors import ZonecreditError
from serving.dashboard.i18n import TEXT, Lang, translator
from serving.dashboard.session import (
    Session,
    language,
    read_session,
    remember_language,
    session_key_id,
)
from serving.deps import ServiceState, StateDep
from serving.errors import ApiError
from serving.keys import Principal, principal_by_id

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
DATA_ROLES = ("admin", "analyst")  # the pages of enterprise data
# scorer keys may not read profiles, so may not sign in; a data steward signs in for data quality
# and uploads only, and starts on the upload page
DASHBOARD_ROLES = (*DATA_ROLES, "auditor", "steward")
STEWARD_HOME = "/data/upload"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """The request has no live session: send the browser to the sign-in page."""


class DashboardRoute(APIRoute):
    """Turns refusals into pages: a sign-in redirect, or an error page in the viewer's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            except ApiError as exc:
                page = error_page(request, exc.status, exc.message)
                page.headers.update(exc.headers)  # e.g. Retry-After of a lockout
                return page
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()))
                return error_page(request, 422, f"{where}: {first.get('msg', 'invalid request')}")
            except ZonecreditError as exc:  # e.g. a dispute whose correction would be invalid
                return error_page(request, 422, str(exc))

        return guarded


@dataclass(frozen=True)
class Viewer:
    """The signed-in administrator or analyst behind a request, with the session and page language."""

    principal: Principal
    session: Session
    lang: Lang

    @property
    def is_admin(self) -> bool:
        return self.principal.role == "admin"


def signed_in(request: Request, state: Any) -> Viewer | None:
    """Return the viewer of a live stored session whose key is still valid, else None."""
    session = read_session(request, state.secret)
    if session is None:
        return None
    with state.engine.connect() as connection:
        key_id = session_key_id(connection, session)
        principal = None if key_id is None else principal_by_id(connection, key_id)
    if principal is None or principal.role not in DASHBOARD_ROLES:
        return None
    request.scope.setdefault("state", {})["key_id"] = principal.key_id  # for the access log
    return Viewer(principal, session, language(request))


def viewer_in(*roles: str) -> Callable[[Request, ServiceState], Viewer]:
    """Return a dependency: the signed-in viewer if their role may see the page (else 403), or sign-in."""

    def current_viewer(request: Request, state: StateDep) -> Viewer:
        viewer = signed_in(request, state)
        if viewer is None:
            raise SignInRequired
        if viewer.principal.role not in roles:
            raise ApiError(
                403, f"role {viewer.principal.role} may not see this page; it needs {' or '.join(roles)}"
            )
        return viewer

    return current_viewer


ViewerDep = Annotated[Viewer, Depends(viewer_in(*DATA_ROLES))]
QualityViewerDep = Annotated[Viewer, Depends(viewer_in(*DATA_ROLES, "steward"))]
CsrfForm = Annotated[str, Form(max_length=100)]


def check_csrf(viewer: Viewer, csrf: str) -> None:
    """Refuse (403) a form whose token is not this session's: another site cannot post for the viewer."""
    if not viewer.session.accepts(csrf):
        raise ApiError(403, "the form's CSRF token does not match this session; reload the page")


def audit_view(
    state: Any,
    viewer: Viewer,
    action: str,
    credit_code: str | None = None,
    detail: str | None = None,
    purpose: str | None = None,
    personal_data: bool = False,
) -> None:
    """Record a page view or action in the audit log as ``dashboard <action>``, with its purpose."""
    state.audit.record(
        viewer.principal,
        f"dashboard {action}",
        purpose or state.settings.default_purpose,
        credit_code,
        detail,
        personal_data=personal_data,
    )


def _pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}%}"


def _day(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return str(value)[:10]


@lru_cache(maxsize=1)
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["pct"] = _pct
    templates.env.filters["day"] = _day
    return templates


def _linker(request: Request) -> Callable[..., str]:
    """Return ``link(**changes)``: this page's URL with query parameters changed (None drops one)."""

    def link(path: str | None = None, **changes: object) -> str:
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        for name, value in changes.items():
            name = name.rstrip("_")  # class_ → class
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = str(value)
        query = urlencode(params)
        return (path or request.url.path) + (f"?{query}" if query else "")

    return link


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page in the viewer's language with the frame's context and security headers."""
    lang = viewer.lang if viewer else language(request)
    t = translator(lang)
    response = _templates().TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "other_lang": "en" if lang == "zh" else "zh",
            "viewer": viewer,
            "link": _linker(request),
            "zone_name": lambda z: t(f"zone.{z}"),
            **context,
        },
        status_code=status_code,
    )
    remember_language(response, request)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """Render an error with the API's message; the frame shows no viewer (the cause may be the session)."""
    heading = f"error.{status}" if f"error.{status}" in TEXT else "common.error"
    return render(request, "error.html", None, status, code=status, heading=heading, message=message)


def blank(value: str | None) -> str | None:
    """Return a form or query value stripped, None if blank (a blank filter means no filter)."""
    return value.strip() or None if value is not None else None


def choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    """Return a filter value if it is one of ``allowed`` (blank = no filter), else refuse with 422."""
    value = blank(value)
    if value is not None and value not in allowed:
        raise ApiError(422, f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def page_count(total: int, size: int) -> int:
    """Return how many pages of ``size`` hold ``total`` items (at least one, empty or not)."""
    return max(1, math.ceil(total / size))
