"""GET /v1/warnings: repair and dormancy warnings, filtered and scoped."""

from __future__ import annotations

from tests.serving.fixtures import Keys


def test_repair_warnings_name_their_records(client, keys: Keys):
    body = client.get("/v1/warnings?kind=repair&limit=500", headers=Keys.header(keys.analyst)).json()
    assert body["items"], "the small world has enterprises with unrepaired records"
    assert all(w["kind"] == "repair" and w["level"] in ("red", "amber") for w in body["items"])
    assert all(w["records_en"] for w in body["items"])


def test_warnings_respect_zone_scope_and_filters(client, keys: Keys):
    teda = client.get("/v1/warnings?limit=500", headers=Keys.header(keys.admin_teda)).json()
    assert {w["zone"] for w in teda["items"]} <= {"teda"}
    assert client.get("/v1/warnings?zone=hitech", headers=Keys.header(keys.admin_teda)).status_code == 404
    assert client.get("/v1/warnings?kind=fraud", headers=Keys.header(keys.analyst)).status_code == 422
    assert client.get("/v1/warnings", headers=Keys.header(keys.scorer)).status_code == 403
