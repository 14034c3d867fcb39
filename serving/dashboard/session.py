"""The dashboard's session cookie: signed, HttpOnly, SameSite=Lax, and never holding the API key.

The cookie carries a random session id and a per-session CSRF token, signed with the settings'
secret (itsdangerous, with an age limit). A signed-in session is a row of ``dashboard_sessions``
(stored as the id's SHA-256) naming the key: sign-out and key revocation end the row, so a copied
cookie stops working at once, and each request re-reads the key by id. Written by hand rather than
as a middleware so that the API's hot paths never pay for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from serving.dashboard.i18n import DEFAULT_LANG, LANGS, Lang
from serving.store import dashboard_sessions

SESSION_COOKIE = "zc_session"
LANG_COOKIE = "zc_lang"
SESSION_SECONDS = 8 * 3600
LANG_SECONDS = 365 * 24 * 3600
_SALT = "zonecredit.dashboard.session"


@dataclass(frozen=True)
class Session:
    """A browser's session: its CSRF token and, once signed in, the id of its stored session row."""

    csrf: str
    session_id: str | None = None

    @staticmethod
    def new(session_id: str | None = None) -> Session:
        return Session(csrf=secrets.token_urlsafe(32), session_id=session_id)

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
    session_id = data.get("sid")
    return Session(csrf=data["csrf"], session_id=session_id if isinstance(session_id, str) else None)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(engine: sa.Engine, key_id: str) -> Session:
    """Store a new signed-in session of ``key_id`` and return it (fresh CSRF token: no fixation)."""
    session = Session.new(secrets.token_urlsafe(32))
    now = datetime.now()
    with engine.begin() as connection:
        connection.execute(
            dashboard_sessions.insert().values(
                session_hash=_hash(session.session_id or ""),
                key_id=key_id,
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_SECONDS),
            )
        )
    return session


def session_key_id(connection: sa.Connection, session: Session) -> str | None:
    """Return the key id of a live stored session (not ended, not expired), else None."""
    if session.session_id is None:
        return None
    return connection.execute(
        sa.select(dashboard_sessions.c.key_id).where(
            dashboard_sessions.c.session_hash == _hash(session.session_id),
            dashboard_sessions.c.ended_at.is_(None),
            dashboard_sessions.c.expires_at > datetime.now(),
        )
    ).scalar_one_or_none()


def end_session(engine: sa.Engine, session: Session) -> None:
    """End a stored session (sign-out): its cookie, wherever copied, no longer signs anyone in."""
    if session.session_id is None:
        return
    with engine.begin() as connection:
        connection.execute(
            dashboard_sessions.update()
            .where(dashboard_sessions.c.session_hash == _hash(session.session_id))
            .values(ended_at=datetime.now())
        )


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
    value = _serializer(secret).dumps({"csrf": session.csrf, "sid": session.session_id})
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
