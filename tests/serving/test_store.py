"""The Alembic migrations: idempotent, and the corrections table stays append-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from serving.store import engine_for, metadata, upgrade_database


def test_upgrade_creates_every_table_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    upgrade_database(url)
    names = set(sa.inspect(engine_for(url)).get_table_names())
    assert set(metadata.tables) | {"corrections", "alembic_version"} <= names


def test_corrections_refuse_updates_after_migration(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    with engine_for(url).begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO corrections (source, credit_code, record_key, action, decided_on, decided_by, "
            "reason, recorded_at) VALUES ('credit_events', '91120116MA05T3K726', '{}', 'revoke', "
            "'2025-01-01', 'x', 'y', '2025-01-01 00:00:00')"
        )
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine_for(url).begin() as connection:
        connection.exec_driver_sql("UPDATE corrections SET reason = 'z'")
