"""GET /v1/rankings: filters, sort, pagination and zone scoping."""

from __future__ import annotations

import pytest

from tests.serving.fixtures import Keys


def test_ranked_by_score_and_paginated(client, keys: Keys):
    first = client.get("/v1/rankings?limit=10", headers=Keys.header(keys.analyst)).json()
    second = client.get("/v1/rankings?limit=10&offset=10", headers=Keys.header(keys.analyst)).json()
    scores = [i["score"] for i in first["items"] + second["items"]]
    assert scores == sorted(scores, reverse=True)
    assert [i["rank"] for i in second["items"]] == list(range(11, 21))
    assert first["total"] == second["total"] > 20


def test_filters_combine(client, keys: Keys):
    body = client.get("/v1/rankings?zone=hitech&sort=pd&limit=500", headers=Keys.header(keys.analyst)).json()
    assert body["items"] and {i["zone"] for i in body["items"]} == {"hitech"}
    assert [i["pd"] for i in body["items"]] == sorted(i["pd"] for i in body["items"])
    grade = body["items"][0]["grade"]
    graded = client.get(f"/v1/rankings?grade={grade}&limit=500", headers=Keys.header(keys.analyst)).json()
    assert {i["grade"] for i in graded["items"]} == {grade}


def test_admins_see_only_their_zones(client, keys: Keys):
    body = client.get("/v1/rankings?limit=500", headers=Keys.header(keys.admin_teda)).json()
    assert {i["zone"] for i in body["items"]} == {"teda"}
    assert client.get("/v1/rankings?zone=hitech", headers=Keys.header(keys.admin_teda)).status_code == 404
    assert client.get("/v1/rankings", headers=Keys.header(keys.scorer)).status_code == 403


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "offset=-1", "limit=ten", "sort=random", "grade=Z", "zone=atlantis"]
)
def test_bad_pagination_and_filters_are_422(client, keys: Keys, query: str):
    response = client.get(f"/v1/rankings?{query}", headers=Keys.header(keys.analyst))
    assert response.status_code == 422
    assert response.json()["detail"]


def test_warning_filter_keeps_enterprises_with_an_active_warning(client, keys: Keys):
    warned = client.get("/v1/rankings?warning=repair&limit=500", headers=Keys.header(keys.analyst)).json()
    listed = client.get("/v1/warnings?kind=repair&limit=500", headers=Keys.header(keys.analyst)).json()
    assert warned["total"] == len({w["credit_code"] for w in listed["items"]}) > 0
    assert {i["credit_code"] for i in warned["items"]} == {w["credit_code"] for w in listed["items"]}
    assert client.get("/v1/rankings?warning=other", headers=Keys.header(keys.analyst)).status_code == 422
