"""Per-app state and the ``Annotated`` dependencies every route uses.

``ServiceState`` is built by ``create_app`` (never at import): the engine, the champion holder,
the audit writer, metrics and a short-lived cache of verified keys. Dependencies are ``async``
because they only touch memory (or a primary-key read on a cache miss): a thread hop per request
would cost more than it saves on the hot scoring path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.audit import AuditWriter
from serving.champions import ChampionHolder, Champions
from serving.errors import ApiError
from serving.keys import Principal, Role, hash_key, key_id_of, verify_key
from serving.limits import FailureLimiter
from serving.observability import Metrics
from zonecredit.settings import Settings

PURPOSE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass
class ServiceState:
    """Everything a request may need, owned by one app."""

    settings: Settings
    engine: sa.Engine
    champions: ChampionHolder
    audit: AuditWriter
    metrics: Metrics
    secret: str  # signs dashboard sessions (Settings.session_secret)
    limiter: FailureLimiter
    _keys: dict[str, tuple[Principal | None, float]] = field(default_factory=dict)

    def principal_for(self, key: str) -> Principal | None:
        """Return the principal of ``key``, trusting a verification for ``key_cache_seconds``."""
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._keys.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.engine.connect() as connection:
            principal = verify_key(connection, key)
        if self.settings.key_cache_seconds > 0:
            if len(self._keys) > 10_000:  # bound the cache against key-guessing floods
                self._keys.clear()
            self._keys[digest] = (principal, now + self.settings.key_cache_seconds)
        return principal


async def get_state(request: Request) -> ServiceState:
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_connection(state: StateDep) -> Iterator[sa.Connection]:
    """Yield a read connection for one request."""
    with state.engine.connect() as connection:
        yield connection


SessionDep = Annotated[sa.Connection, Depends(get_connection)]


def client_of(request: Request) -> str:
    """Return the address a request came from (the peer; a proxy in front must be trusted to set it)."""
    return request.client.host if request.client else "-"


def refuse_if_locked_out(state: ServiceState, client: str, key_id: str | None) -> None:
    """Raise 429 with ``Retry-After`` while ``client`` or ``key_id`` has too many refused keys."""
    wait = state.limiter.retry_after(client, key_id)
    if wait is not None:
        raise ApiError(
            429, f"too many refused keys; try again in {wait} s", headers={"Retry-After": str(wait)}
        )


_bearer = HTTPBearer(auto_error=False, description="An API key from `zonecredit keys create`.")


async def current_principal(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Return the caller behind the ``Authorization: Bearer`` key, or refuse with 401."""
    if credentials is None:
        raise ApiError(401, "missing API key: send `Authorization: Bearer <key>`")
    client, key_id = client_of(request), key_id_of(credentials.credentials)
    refuse_if_locked_out(state, client, key_id)
    principal = state.principal_for(credentials.credentials)
    if principal is None:
        state.limiter.failed(client, key_id)
        state.audit.record_failed_sign_in(
            f"{request.method} {request.url.path}", key_id, client, "API key unknown or revoked"
        )
        raise ApiError(401, "API key unknown or revoked")
    request.scope.setdefault("state", {})["key_id"] = principal.key_id
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def role_in(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """Return a dependency that lets only ``roles`` through (403 for the others)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise ApiError(
                403, f"role {principal.role} may not use this endpoint; it needs {' or '.join(roles)}"
            )
        return principal

    return check


ScoringPrincipal = Annotated[Principal, Depends(role_in("admin", "analyst", "scorer"))]
ReadingPrincipal = Annotated[Principal, Depends(role_in("admin", "analyst"))]
AuditorPrincipal = Annotated[Principal, Depends(role_in("auditor"))]
AdminPrincipal = Annotated[Principal, Depends(role_in("admin"))]
StewardPrincipal = Annotated[Principal, Depends(role_in("steward"))]


async def audit_purpose(
    state: StateDep,
    x_purpose: Annotated[
        str | None,
        Header(pattern=PURPOSE.pattern, description="Why the data is read (audited), e.g. `supervision`."),
    ] = None,
    purpose: Annotated[
        str | None, Query(pattern=PURPOSE.pattern, description="Same as the X-Purpose header.")
    ] = None,
) -> str:
    """Return the why-code for the audit log: header, then query, then the configured default."""
    value = x_purpose or purpose or state.settings.default_purpose
    if not PURPOSE.match(value):
        raise ApiError(422, "purpose must be 1-64 letters, digits or _.:- characters")
    return value


PurposeDep = Annotated[str, Depends(audit_purpose)]


def require_champions(state: ServiceState) -> Champions:
    """Return the champions loaded now, or the one 503 every path answers until they are loaded.

    The API's routes take it as ``ChampionsDep``; paths that must refuse something else first (the
    dashboard's CSRF and role checks, a body's format) call it where the models are needed.
    """
    champions = state.champions.current
    if champions is None:
        raise ApiError(503, f"no champion models loaded yet: {state.champions.last_error or 'loading'}")
    return champions


async def loaded_champions(state: StateDep) -> Champions:
    return require_champions(state)


ChampionsDep = Annotated[Champions, Depends(loaded_champions)]
