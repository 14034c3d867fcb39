"""Shared fixtures. PostgreSQL tests skip on a machine without the server, but never under CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("ZONECREDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_unavailable() -> str | None:
    import sqlalchemy as sa

    try:
        with sa.create_engine(PG_URL, connect_args={"connect_timeout": 3}).connect() as connection:
            connection.exec_driver_sql("select 1")
    except Exception as exc:  # any failure to connect means "not here"; the reason is reported
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """Return the URL of the test PostgreSQL server; skip (or fail under CI) if it is not there."""
    reason = _postgres_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} — CI must run the PostgreSQL tests")
        pytest.skip(reason)
    return PG_URL


@pytest.fixture(scope="module")
def schema_url(postgres_url: str) -> Iterator[str]:
    """A throw-away schema per test module, so a test never touches other tables in the database."""
    import uuid

    import sqlalchemy as sa

    schema = f"zc_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ZONECREDIT_HOME for one test, with the cached settings reset around it."""
    from zonecredit.settings import get_settings

    path = tmp_path / "home"
    monkeypatch.setenv("ZONECREDIT_HOME", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
