"""GET /v1/zones/{zone}/activity-index: monthly index, base month 100, components."""

from __future__ import annotations

from tests.serving.fixtures import AS_OF_DATES, Keys


def test_index_starts_at_100_with_components(client, keys: Keys):
    response = client.get("/v1/zones/hitech/activity-index", headers=Keys.header(keys.analyst))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "高新区" and body["base_month"] == f"{AS_OF_DATES[0]:%Y-%m-%d}"
    assert [m["month"] for m in body["months"]] == [f"{d:%Y-%m-%d}" for d in AS_OF_DATES]
    base = body["months"][0]
    assert base["index"] == 100.0 and set(base["components"]) == {"tax", "employment", "electricity", "ip"}
    assert body["months"][1]["index"] > 0 and body["months"][1]["enterprises"] > 0


def test_unknown_or_foreign_zones_are_404(client, keys: Keys):
    assert (
        client.get("/v1/zones/atlantis/activity-index", headers=Keys.header(keys.analyst)).status_code == 404
    )
    assert (
        client.get("/v1/zones/hitech/activity-index", headers=Keys.header(keys.admin_teda)).status_code == 404
    )
    assert (
        client.get("/v1/zones/teda/activity-index", headers=Keys.header(keys.admin_teda)).status_code == 200
    )
