"""The corrections table on the PostgreSQL server (skipped without one; a failure under CI)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.data.test_corrections import check_corrections_on

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema_url(postgres_url: str) -> Iterator[str]:
    """A throw-away schema, so the test never touches other tables in the database."""
    schema = f"zc_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def test_corrections_on_postgres(schema_url: str) -> None:
    check_corrections_on(schema_url)
