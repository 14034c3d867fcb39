"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and set(ready.json()["models"]) == {"credit", "repair", "activity"}


def test_not_ready_without_champions(world, keys):
    """Before champions load, every path that needs them answers the same 503 (serving.deps)."""
    from fastapi.testclient import TestClient
    from markupsafe import escape

    from serving.app import create_app
    from tests.serving.fixtures import some_codes
    from tests.serving.test_dashboard import csrf_of, sign_in

    settings = world.settings()
    settings = settings.model_copy(
        update={"mlflow_tracking_uri": f"sqlite:///{world.root / 'empty-mlflow.db'}"}
    )
    with TestClient(create_app(settings, watch_champions=False)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json()["status"] == "not ready"
        rows = client.post("/v1/scores", json={"rows": [{}]}, headers={"Authorization": "Bearer x"})
        assert rows.status_code == 401

        def bearer(key: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {key}"}

        code = some_codes(settings, "teda", 1)[0]
        answers = [
            client.post("/v1/scores", json={"rows": [{}]}, headers=bearer(keys.scorer)),
            client.get(f"/v1/enterprises/{code}/explanation", headers=bearer(keys.analyst)),
            client.patch(
                "/v1/disputes/1", json={"status": "under_review", "note": ""}, headers=bearer(keys.admin_teda)
            ),
        ]
        assert [a.status_code for a in answers] == [503, 503, 503]
        messages = {a.json()["detail"] for a in answers}
        assert len(messages) == 1 and next(iter(messages)).startswith("no champion models loaded yet: ")
        visitor, _ = sign_in(client, keys.admin_teda)
        token = csrf_of(visitor.get("/disputes").text)
        page = visitor.post("/disputes/1", data={"csrf": token, "status": "under_review"})
        assert page.status_code == 503 and str(escape(next(iter(messages)))) in page.text


def test_metrics_and_openapi(client):
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'zonecredit_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "zonecredit_model_version" in text
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/v1/scores",
        "/v1/enterprises/{credit_code}",
        "/v1/rankings",
        "/v1/disputes/{dispute_id}",
    } <= paths
    body = schema["paths"]["/v1/scores"]["post"]["requestBody"]["content"]["application/json"]
    assert "examples" in body
    assert client.get("/docs").status_code == 200
