"""The API over real HTTP (uvicorn on a loopback port) against the SQLite store: role × endpoint.

``check_access`` is the matrix; ``test_api_postgres.py`` runs it against PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from serving.keys import create_key, revoke_key
from tests.serving.fixtures import Keys, ServedWorld, make_keys, running_server, served_world, some_codes
from zonecredit.settings import Settings

# Expected status per role: (teda admin, hitech admin, analyst, scorer) reading a teda enterprise.
MATRIX = {
    "GET /v1/enterprises/{code}/score": (200, 404, 200, 200),
    "GET /v1/enterprises/{code}": (200, 404, 200, 403),
    "GET /v1/enterprises/{code}/explanation": (200, 404, 200, 403),
    "GET /v1/rankings?zone=teda": (200, 404, 200, 403),
    "GET /v1/warnings?zone=teda": (200, 404, 200, 403),
    "GET /v1/zones/teda/activity-index": (200, 404, 200, 403),
    "GET /v1/disputes?zone=teda": (200, 404, 200, 403),
    "POST /v1/scores": (200, 200, 200, 200),
}


def check_access(base_url: str, settings: Settings, keys: Keys) -> None:
    """Assert the role × endpoint matrix, zone isolation, masking and key revocation over HTTP."""
    code = some_codes(settings, "teda", 1)[0]
    roles = (keys.admin_teda, keys.admin_hitech, keys.analyst, keys.scorer)
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for endpoint, expected in MATRIX.items():
            method, path = endpoint.split(" ")
            for key, status in zip(roles, expected, strict=True):
                response = http.request(
                    method,
                    path.format(code=code),
                    headers=Keys.header(key, "integration-test"),
                    json={"credit_codes": [code]} if method == "POST" else None,
                )
                assert response.status_code == status, (endpoint, key.split("_")[1], response.text)
                if status == 404:
                    assert code not in response.text or response.json()["detail"].endswith("not found")
        foreign = http.post(
            "/v1/scores", json={"credit_codes": [code]}, headers=Keys.header(keys.admin_hitech)
        )
        assert foreign.json() == {
            "model_version": foreign.json()["model_version"],
            "scores": [],
            "not_found": [code],
        }

        admin = http.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_teda)).json()
        analyst = http.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.analyst))
        full = admin["profile"]["legal_rep_id"]
        assert full and "*" not in full
        assert full not in analyst.text and "*" in analyst.json()["profile"]["legal_rep_id"]

        short_lived = create_key(settings.resolved_database_url, "analyst", name="leaving")
        assert http.get(f"/v1/enterprises/{code}", headers=Keys.header(short_lived)).status_code == 200
        revoke_key(settings.resolved_database_url, short_lived.split("_")[1])
        for endpoint in MATRIX:
            method, path = endpoint.split(" ")
            refused = http.request(
                method,
                path.format(code=code),
                headers=Keys.header(short_lived),
                json={"credit_codes": [code]},
            )
            assert refused.status_code == 401, endpoint
        assert http.get("/healthz").status_code == 200 and http.get("/readyz").status_code == 200


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> ServedWorld:
    return served_world(tmp_path_factory)


@pytest.fixture(scope="module")
def server(world: ServedWorld) -> Iterator[tuple[str, Settings, Keys]]:
    from serving.app import create_app

    settings = world.settings()
    keys = make_keys(settings.resolved_database_url)
    with running_server(create_app(settings, watch_champions=False)) as base_url:
        yield base_url, settings, keys


def test_roles_and_zones_over_http_on_sqlite(server):
    check_access(*server)


def test_errors_over_http_are_precise_4xx(server):
    base_url, _, keys = server
    header = Keys.header(keys.scorer)
    with httpx.Client(base_url=base_url, timeout=60) as http:
        assert http.get("/v1/enterprises/91120116MA05T3K72X/score", headers=header).status_code == 422
        assert http.get("/v1/enterprises/91120116MA05T3K726/score", headers=header).status_code == 404
        assert (
            http.post(
                "/v1/scores", content=b"x", headers={**header, "Content-Type": "text/plain"}
            ).status_code
            == 415
        )
        big = http.post("/v1/scores", json={"credit_codes": ["91120116MA05T3K726"] * 10_001}, headers=header)
        assert big.status_code == 413
        assert http.get("/v1/rankings?limit=0", headers=Keys.header(keys.analyst)).status_code == 422
        assert http.get("/nowhere").status_code == 404
