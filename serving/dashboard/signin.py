"""Sign-in and sign-out: a stored session that holds only the key's id, and a fresh CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from serving.dashboard.frame import (
    DASHBOARD_ROLES,
    STEWARD_HOME,
    CsrfForm,
    DashboardRoute,
    render,
    signed_in,
)
from serving.dashboard.session import (
    Session,
    clear_session,
    end_session,
    open_session,
    read_session,
    write_session,
)
from serving.deps import StateDep, client_of, refuse_if_locked_out
from serving.errors import ApiError
from serving.keys import Principal, key_id_of, verify_key

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an absolute or scheme-relative URL would make sign-in an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, state: Any, message: str | None, status: int, target: str) -> HTMLResponse:
    session = read_session(request, state.secret) or Session.new()
    response = render(
        request, "login.html", None, status, message=message, csrf=session.csrf, next=_safe_next(target)
    )
    write_session(response, request, state.secret, Session(session.csrf))
    return response


def _landing(principal: Principal, target: str | None) -> str:
    # An auditor reads no enterprise data: their first page is the audit log; a steward's is the
    # upload page.
    target = _safe_next(target)
    if target == "/" and principal.role in {"auditor", "steward"}:
        return "/audit" if principal.role == "auditor" else STEWARD_HOME
    return target


@router.get("/login")
def login_form(request: Request, state: StateDep, next: str = "/") -> Response:
    """The sign-in form; it starts an anonymous session so that the form carries a CSRF token.

    A signed-in viewer is sent on to ``next``: a plain link to this page must not sign them out.
    """
    viewer = signed_in(request, state)
    if viewer is not None:
        return RedirectResponse(_landing(viewer.principal, next), status_code=303)
    return _login_page(request, state, None, 200, next)


@router.post("/login")
def login(
    request: Request,
    state: StateDep,
    csrf: CsrfForm,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the key once, then keep only its id in a fresh stored session (new CSRF token: no fixation).

    Refused keys count towards the lockout of the client and of the key id, and are audited.
    """
    session = read_session(request, state.secret)
    if session is None or not session.accepts(csrf):
        return _login_page(request, state, "login.expired", 400, next)
    client, key_id = client_of(request), key_id_of(key.strip())
    refuse_if_locked_out(state, client, key_id)
    with state.engine.connect() as connection:
        principal = verify_key(connection, key.strip())
    if principal is None:
        state.limiter.failed(client, key_id)
        state.audit.record_failed_sign_in("dashboard POST /login", key_id, client, "failed sign-in")
        return _login_page(request, state, "login.bad_key", 401, next)
    if principal.role not in DASHBOARD_ROLES:
        return _login_page(request, state, "login.scorer", 403, next)
    response = RedirectResponse(_landing(principal, next), status_code=303)
    write_session(response, request, state.secret, open_session(state.engine, principal.key_id))
    state.audit.record(principal, "dashboard POST /login", state.settings.default_purpose, detail="sign-in")
    return response


@router.post("/logout")
def logout(request: Request, state: StateDep, csrf: CsrfForm) -> Response:
    """End the stored session (the form's token must match, so another site cannot sign a viewer out)."""
    session = read_session(request, state.secret)
    if session is not None and session.session_id is not None:
        if not session.accepts(csrf):
            raise ApiError(403, "the form's CSRF token does not match this session; reload the page")
        end_session(state.engine, session)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response
