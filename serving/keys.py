"""API keys (SPEC §7): shown once at creation, stored only as a SHA-256 hash, revocable.

A key reads ``zc_<key_id>_<secret>``: the key id is public (it names the key in lists and the audit
log), the secret is 32 random bytes. Keys are high-entropy random tokens, so one unsalted SHA-256
is enough to make a stolen table useless; a slow password hash would only slow every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from data.errors import ZonecreditError
from data.vocabulary import ZONES
from serving.store import api_keys, dashboard_sessions, engine_for

Role = Literal["admin", "analyst", "scorer", "auditor", "steward"]
ROLES: tuple[Role, ...] = ("admin", "analyst", "scorer", "auditor", "steward")
PREFIX = "zc"
KEY_ID = re.compile(r"^[0-9a-f]{12}$")


class ApiKeyError(ZonecreditError):
    """A key request that cannot be honoured (unknown role or zone, unknown key)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and name, its role, and the zones it may see (None = all)."""

    key_id: str
    name: str
    role: Role
    zones: frozenset[str] | None

    def sees_zone(self, zone: str) -> bool:
        return self.zones is None or zone in self.zones


@dataclass(frozen=True)
class KeyInfo:
    """A stored key as listed: never its secret or hash."""

    key_id: str
    name: str
    role: str
    zones: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(database_url: str, role: str, zones: list[str] | None = None, name: str = "") -> str:
    """Store a new key's hash and return the key itself (the only time it is ever seen).

    ``admin`` keys must name their zones; ``analyst`` and ``scorer`` keys see every zone unless
    zones are given; a ``steward`` (数据管理员) loads data for every zone, so takes no zones.
    """
    if role not in ROLES:
        raise ApiKeyError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    zones = sorted(set(zones or []))
    unknown = [z for z in zones if z not in ZONES]
    if unknown:
        raise ApiKeyError(f"unknown zone {', '.join(unknown)}; zones are {', '.join(ZONES)}")
    if role == "admin" and not zones:
        raise ApiKeyError("an admin key is scoped to zones: give at least one --zone")
    if role == "steward" and zones:
        raise ApiKeyError("a steward key loads data for every zone: give no --zone")
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    with engine_for(database_url).begin() as connection:
        connection.execute(
            api_keys.insert().values(
                key_id=key_id,
                key_hash=hash_key(key),
                name=name or f"{role}-{key_id}",
                role=role,
                zones=",".join(zones) or None,
                created_at=datetime.now(),
            )
        )
    return key


def list_keys(database_url: str) -> list[KeyInfo]:
    """Return every key, revoked ones included, oldest first."""
    with engine_for(database_url).connect() as connection:
        rows = connection.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).mappings().all()
    return [
        KeyInfo(
            r["key_id"],
            r["name"],
            r["role"],
            tuple(r["zones"].split(",")) if r["zones"] else None,
            r["created_at"],
            r["revoked_at"],
        )
        for r in rows
    ]


def revoke_key(database_url: str, key_id: str) -> None:
    """Mark a key revoked (kept for the audit trail) and end its dashboard sessions; raise if there is
    no such active key."""
    now = datetime.now()
    with engine_for(database_url).begin() as connection:
        done = connection.execute(
            api_keys.update()
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        connection.execute(
            dashboard_sessions.update()
            .where(dashboard_sessions.c.key_id == key_id, dashboard_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
    if done.rowcount != 1:
        raise ApiKeyError(f"no active key {key_id!r}; `zonecredit keys list` shows the keys")


def _active_key(connection: sa.Connection, key_id: str) -> sa.RowMapping | None:
    row = connection.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).mappings().one_or_none()
    return None if row is None or row["revoked_at"] is not None else row


def _principal(row: sa.RowMapping) -> Principal:
    zones = frozenset(row["zones"].split(",")) if row["zones"] else None
    return Principal(row["key_id"], row["name"], row["role"], zones)


def key_id_of(key: str) -> str | None:
    """Return the public key id a presented key names (for lockouts and the audit), None if malformed."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not KEY_ID.match(parts[1]):
        return None
    return parts[1]


def verify_key(connection: sa.Connection, key: str) -> Principal | None:
    """Return the principal of a presented key, or None if it is malformed, unknown or revoked."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    row = _active_key(connection, parts[1])
    if row is None or not hmac.compare_digest(row["key_hash"], hash_key(key)):
        return None
    return _principal(row)


def principal_by_id(connection: sa.Connection, key_id: str) -> Principal | None:
    """Return the principal of a key already verified once (a dashboard session), None if revoked since."""
    row = _active_key(connection, key_id)
    return None if row is None else _principal(row)
