"""The dashboard's session cookie: signed, HttpOnly, SameSite=Lax, and never holding the API key.

The cookie carries the key's public id and a per-session CSRF token, signed with the settings'
secret (itsdangerous, with an age limit). Each request re-reads the key by id, so revoking a key
ends its sessions at once. Written by hand rather than as a middleware so that the API's hot paths
never pay for it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from serving.dashboard.i18n import DEFAULT_LANG, LANGS, Lang

SESSION_COOKIE = "zc_session"
LANG_COOKIE = "zc_lang"
SESSION_SECONDS = 8 * 3600
LANG_SECONDS = 365 * 24 * 3600
_SALT = "zonecredit.dashboard.session"


@dataclass(frozen=True)
class Session:
    """A browser's session: the signed-in key's id (None before sign-in) and its CSRF token."""

    csrf: str
    key_id: str | None = None

    @staticmethod
    def new(key_id: str | None = None) -> Session:
        return Session(csrf=secrets.token_urlsafe(32), key_id=key_id)

    def accepts(self, token: str | None) -> bool:
        """Return whether a form's CSRF token is this session's."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def read_session(request: Request, secret: str) -> Session | None:
    """Return the session of a valid, unexpired cookie, else None."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(secret).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    key_id = data.get("kid")
    return Session(csrf=data["csrf"], key_id=key_id if isinstance(key_id, str) else None)


def _secure(request: Request) -> bool:
    # Secure cookies need HTTPS; on plain loopback HTTP the browser would drop them.
    return request.url.scheme == "https"


def _set_cookie(response: Response, request: Request, name: str, value: str, seconds: int) -> None:
    # No script reads either cookie; Lax keeps them off cross-site POSTs (CSRF tokens do the rest).
    response.set_cookie(
        name, value, max_age=seconds, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )


def write_session(response: Response, request: Request, secret: str, session: Session) -> None:
    """Set the signed session cookie on ``response``."""
    value = _serializer(secret).dumps({"csrf": session.csrf, "kid": session.key_id})
    _set_cookie(response, request, SESSION_COOKIE, value, SESSION_SECONDS)


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def language(request: Request) -> Lang:
    """Return the page language: ``?lang=``, else the remembered choice, else Chinese."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


def remember_language(response: Response, request: Request) -> None:
    """Keep a ``?lang=`` choice in a cookie so that later pages use it too."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        _set_cookie(response, request, LANG_COOKIE, chosen, LANG_SECONDS)
