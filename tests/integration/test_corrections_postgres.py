"""The corrections table on the PostgreSQL server (skipped without one; a failure under CI)."""

from __future__ import annotations

import pytest

from tests.data.test_corrections import check_corrections_on

pytestmark = pytest.mark.postgres


def test_corrections_on_postgres(schema_url: str) -> None:
    check_corrections_on(schema_url)
