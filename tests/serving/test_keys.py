"""API keys: shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from serving.keys import ApiKeyError, create_key, list_keys, revoke_key, verify_key
from serving.store import api_keys, engine_for, upgrade_database


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    return url


def test_only_the_hash_is_stored(url):
    key = create_key(url, "admin", ["teda", "bonded"], "zone office")
    with engine_for(url).connect() as connection:
        stored = connection.execute(sa.select(api_keys)).mappings().one()
        principal = verify_key(connection, key)
    assert key not in str(dict(stored)) and len(stored["key_hash"]) == 64
    assert principal is not None and principal.zones == {"teda", "bonded"} and principal.role == "admin"
    [info] = list_keys(url)
    assert info.zones == ("bonded", "teda") and info.revoked_at is None


def test_revoked_and_forged_keys_do_not_verify(url):
    key = create_key(url, "scorer")
    key_id = key.split("_")[1]
    with engine_for(url).connect() as connection:
        assert verify_key(connection, key[:-1] + ("a" if key[-1] != "a" else "b")) is None
        assert verify_key(connection, "not-a-key") is None
    revoke_key(url, key_id)
    with engine_for(url).connect() as connection:
        assert verify_key(connection, key) is None
    with pytest.raises(ApiKeyError, match="no active key"):
        revoke_key(url, key_id)


@pytest.mark.parametrize(
    ("role", "zones", "message"),
    [
        ("root", None, "unknown role"),
        ("admin", None, "scoped to zones"),
        ("analyst", ["mars"], "unknown zone"),
        ("steward", ["teda"], "every zone"),
    ],
)
def test_bad_key_requests(url, role, zones, message):
    with pytest.raises(ApiKeyError, match=message):
        create_key(url, role, zones)
