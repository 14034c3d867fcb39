"""The services' tables on PostgreSQL: migration 0005 builds what the store declares; a report issued
and confirmed, a program export, an inspection draw and a clear-out case through its steps, over HTTP."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from serving.batch import score_all
from serving.store import metadata, upgrade_database
from tests.serving.fixtures import (
    AS_OF_DATES,
    Keys,
    make_keys,
    running_server,
    served_world,
    settings_env,
    some_codes,
)
from tests.serving.test_services import TEST_POLICY

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, schema_url: str):
    from serving.app import create_app

    settings = served_world(tmp_path_factory).settings(database_url=schema_url, services_policy=TEST_POLICY)
    upgrade_database(schema_url)
    with settings_env(settings):
        for as_of in AS_OF_DATES:
            score_all(as_of, settings)
    keys = make_keys(schema_url)
    with running_server(create_app(settings, watch_champions=False)) as base_url:
        yield base_url, settings, keys


def test_the_migration_builds_the_tables_store_declares(server, schema_url):
    engine = sa.create_engine(schema_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    # Tables the store does not declare (the corrections table of data.corrections) are not compared.
    declared = [
        d
        for d in diff
        if not (
            d[0] in ("remove_table", "remove_index")
            and getattr(d[1], "table", d[1]).name not in metadata.tables
        )
    ]
    assert not declared, declared


def test_services_on_postgres(server):
    base_url, settings, keys = server
    admin = Keys.header(keys.admin_teda, "supervision")
    code = some_codes(settings, "teda", 1)[0]
    with httpx.Client(base_url=base_url, timeout=120) as http:
        report = http.get(f"/v1/enterprises/{code}/report.pdf", headers=admin)
        assert report.status_code == 200 and report.content.startswith(b"%PDF")
        number, verification = report.headers["x-report-number"], report.headers["x-verification-code"]
        confirmed = http.get(
            f"/v1/reports/{number}", params={"verification_code": verification}, headers=admin
        )
        assert confirmed.json()["verified"] is True
        export = http.post("/v1/programs/financing/exports", json={"recipient": "bank"}, headers=admin)
        assert export.status_code == 200 and int(export.headers["x-export-id"]) >= 1
        drawn = http.post("/v1/inspections/draw", json={"zone": "teda", "seed": 5, "size": 6}, headers=admin)
        assert drawn.status_code == 201 and len(drawn.json()["items"]) == 6
        again = http.get(f"/v1/inspections/{drawn.json()['draw_id']}", headers=admin).json()
        assert again["items"] == drawn.json()["items"] and again["seed"] == 5
        opened = http.post("/v1/clearouts", json={}, headers=admin).json()["items"]
        assert opened, "the small world's persistent amber warnings open cases"
        url = f"/v1/clearouts/{opened[0]['case_id']}"
        for status in ("notified", "repaired"):
            step = http.patch(url, json={"status": status, "reason": "checked"}, headers=admin)
            assert step.status_code == 200, step.text
        assert [s["to_status"] for s in step.json()["steps"]] == ["candidate", "notified", "repaired"]
