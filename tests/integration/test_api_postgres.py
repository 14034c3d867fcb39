"""The same role × endpoint matrix with the operational store on PostgreSQL, plus an upheld dispute."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from serving.batch import score_all
from serving.store import upgrade_database
from tests.integration.test_api import check_access
from tests.serving.fixtures import AS_OF_DATES, Keys, make_keys, running_server, served_world, settings_env

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, schema_url: str):
    from serving.app import create_app

    settings = served_world(tmp_path_factory).settings(database_url=schema_url)
    upgrade_database(schema_url)
    upgrade_database(schema_url)  # idempotent on PostgreSQL too
    with settings_env(settings):
        for as_of in AS_OF_DATES:
            score_all(as_of, settings)
    keys = make_keys(schema_url)
    with running_server(create_app(settings, watch_champions=False)) as base_url:
        yield base_url, settings, keys


def test_roles_and_zones_over_http_on_postgres(server):
    check_access(*server)


def test_upheld_dispute_on_postgres_writes_an_append_only_correction(server, schema_url):
    from data.warehouse import read_source
    from tests.serving.fixtures import some_codes

    base_url, settings, keys = server
    teda = set(some_codes(settings, "teda", 1000))
    events = read_source("credit_events", settings.home)
    event = events[events["credit_code"].isin(teda)].iloc[0]
    with httpx.Client(base_url=base_url, timeout=120) as http:
        filed = http.post(
            "/v1/disputes",
            json={
                "credit_code": event["credit_code"],
                "source": "credit_events",
                "record_key": {"event_id": event["event_id"]},
                "action": "revoke",
                "claim": "wrongly attributed",
            },
            headers=Keys.header(keys.analyst),
        )
        assert filed.status_code == 201, filed.text
        url = f"/v1/disputes/{filed.json()['dispute_id']}"
        for status in ("under_review", "upheld"):
            step = http.patch(
                url, json={"status": status, "note": "checked"}, headers=Keys.header(keys.admin_teda)
            )
            assert step.status_code == 200, step.text
        history = http.get(
            f"/v1/enterprises/{event['credit_code']}", headers=Keys.header(keys.admin_teda)
        ).json()
    assert history["history"][-1]["trigger"] == "dispute"
    engine = sa.create_engine(schema_url)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM corrections")
    engine.dispose()
