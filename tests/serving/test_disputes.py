"""Disputes: the workflow, its permissions, and an upheld dispute's correction and rescore."""

from __future__ import annotations

import pytest

from tests.serving.fixtures import Keys, disputable_record


@pytest.fixture(scope="module")
def disputed(settings) -> tuple[str, str]:
    """A teda enterprise with a negative credit record, and that record's id."""
    return disputable_record(settings, "teda")


def _file(client, key: str, code: str, event_id: str, action: str = "revoke"):
    body = {
        "credit_code": code,
        "source": "credit_events",
        "record_key": {"event_id": event_id},
        "action": action,
        "claim": "the penalty was annulled on appeal",
    }
    return client.post("/v1/disputes", json=body, headers=Keys.header(key))


def test_upheld_dispute_corrects_and_rescores(client, keys: Keys, disputed):
    code, event_id = disputed
    filed = _file(client, keys.analyst, code, event_id)
    assert filed.status_code == 201, filed.text
    dispute = filed.json()
    assert dispute["status"] == "submitted" and dispute["zone"] == "teda"
    url = f"/v1/disputes/{dispute['dispute_id']}"
    early = client.patch(url, json={"status": "upheld"}, headers=Keys.header(keys.admin_teda))
    assert early.status_code == 409 and "under_review" in early.json()["detail"]
    assert (
        client.patch(url, json={"status": "under_review"}, headers=Keys.header(keys.analyst)).status_code
        == 403
    )
    assert (
        client.patch(url, json={"status": "under_review"}, headers=Keys.header(keys.admin_hitech)).status_code
        == 404
    )
    review = client.patch(url, json={"status": "under_review"}, headers=Keys.header(keys.admin_teda))
    assert review.status_code == 200 and review.json()["status"] == "under_review"
    upheld = client.patch(
        url, json={"status": "upheld", "note": "court annulled it"}, headers=Keys.header(keys.admin_teda)
    )
    assert upheld.status_code == 200, upheld.text
    decided = upheld.json()
    assert (
        decided["status"] == "upheld" and decided["correction_id"] and decided["decided_by"] == "teda admin"
    )
    assert decided["score_before"]["credit_code"] == decided["score_after"]["credit_code"] == code
    profile = client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_teda)).json()
    last = profile["history"][-1]
    assert last["trigger"] == "dispute" and f"dispute {dispute['dispute_id']} upheld" in last["note"]
    assert last["as_of"] == decided["score_before"]["as_of"]
    assert any(c["record_key"] == f'{{"event_id": "{event_id}"}}' for c in profile["corrections"])
    assert profile["score"]["pd"] == decided["score_after"]["pd"]
    shown = {r["event_id"]: r for r in profile["records"]}
    assert shown[event_id]["status"] == "revoked" and shown[event_id]["correction"] == "revoke"
    listed = client.get(f"/v1/disputes?credit_code={code}", headers=Keys.header(keys.admin_teda)).json()
    item = next(d for d in listed["items"] if d["dispute_id"] == dispute["dispute_id"])
    assert item["score_before"] == decided["score_before"], "the list shows what the decision replied"
    assert item["score_after"] == decided["score_after"]
    again = client.patch(url, json={"status": "rejected"}, headers=Keys.header(keys.admin_teda))
    assert again.status_code == 409 and "decided" in again.json()["detail"]


def test_disputes_are_listed_within_scope(client, keys: Keys, disputed):
    code, event_id = disputed
    _file(client, keys.admin_teda, code, event_id)
    mine = client.get("/v1/disputes?zone=teda", headers=Keys.header(keys.admin_teda)).json()
    assert mine["total"] >= 1 and {d["zone"] for d in mine["items"]} == {"teda"}
    assert client.get("/v1/disputes", headers=Keys.header(keys.admin_hitech)).json()["total"] == 0
    assert client.get("/v1/disputes?status=nonsense", headers=Keys.header(keys.analyst)).status_code == 422
    assert client.get("/v1/disputes", headers=Keys.header(keys.scorer)).status_code == 403


def test_bad_disputes_are_refused_precisely(client, keys: Keys, disputed):
    code, event_id = disputed
    assert _file(client, keys.admin_hitech, code, event_id).status_code == 404
    wrong_key = client.post(
        "/v1/disputes",
        json={
            "credit_code": code,
            "source": "tax",
            "record_key": {"event_id": "x"},
            "action": "revoke",
            "claim": "x",
        },
        headers=Keys.header(keys.analyst),
    )
    assert (
        wrong_key.status_code == 422 and "record_key for tax must name period" in wrong_key.json()["detail"]
    )
    repair_tax = client.post(
        "/v1/disputes",
        json={
            "credit_code": code,
            "source": "tax",
            "record_key": {"period": "2024-01"},
            "action": "repair",
            "claim": "x",
        },
        headers=Keys.header(keys.analyst),
    )
    assert repair_tax.status_code == 422 and "only credit_events" in repair_tax.json()["detail"]
    assert _file(client, keys.analyst, "91120116MA05T3K72X", event_id).status_code == 422
    missing = client.patch(
        "/v1/disputes/999999", json={"status": "under_review"}, headers=Keys.header(keys.admin_teda)
    )
    assert missing.status_code == 404
