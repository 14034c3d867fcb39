"""The review of personal-data queries: the auditor role, GET /v1/audit, the /audit page, the purpose
asked before personal data is shown, and the flags of unusual access."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from serving.keys import create_key
from serving.store import audit_log, engine_for, enterprises
from tests.serving.fixtures import Keys, some_codes
from tests.serving.test_dashboard import sign_in


@pytest.fixture(scope="module")
def auditor(settings) -> str:
    return create_key(settings.resolved_database_url, "auditor", name="auditor")


def _flushed(client: TestClient) -> None:
    client.app.state.service.audit.flush()


def test_an_auditor_reads_the_log_and_no_enterprise_data(client: TestClient, keys: Keys, auditor, settings):
    code = some_codes(settings, "teda", 1)[0]
    assert client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_teda)).status_code == 200
    _flushed(client)
    review = client.get("/v1/audit", params={"credit_code": code}, headers=Keys.header(auditor))
    assert review.status_code == 200, review.text
    assert review.json()["total"] >= 1 and review.json()["items"][0]["credit_code"] == code
    assert client.get(f"/v1/enterprises/{code}", headers=Keys.header(auditor)).status_code == 403
    assert client.get("/v1/audit", headers=Keys.header(keys.analyst)).status_code == 403
    assert client.get("/v1/audit", headers=Keys.header(keys.admin_teda)).status_code == 403


def test_unmasked_reads_are_marked_and_filters_narrow_the_log(
    client: TestClient, keys: Keys, auditor, settings
):
    code = some_codes(settings, "hitech", 2)[-1]
    start = datetime.now() - timedelta(seconds=1)
    admin = create_key(settings.resolved_database_url, "admin", ["hitech"], "reviewed admin")
    assert client.get(f"/v1/enterprises/{code}", headers=Keys.header(admin, "inspection")).status_code == 200
    assert client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.analyst)).status_code == 200
    _flushed(client)
    header = Keys.header(auditor)
    base = {"credit_code": code, "since": start.isoformat()}
    shown = client.get("/v1/audit", params={**base, "personal_data": True}, headers=header).json()
    assert [(e["key_id"], e["purpose"]) for e in shown["items"]] == [(admin.split("_")[1], "inspection")]
    masked = client.get("/v1/audit", params={**base, "personal_data": False}, headers=header).json()
    assert {e["role"] for e in masked["items"]} == {"analyst"}
    by_zone = client.get("/v1/audit", params={**base, "zone": "teda"}, headers=header).json()
    assert by_zone["total"] == 0, "a hitech enterprise's reads are not teda's"
    page = client.get("/v1/audit", params={**base, "limit": 1, "offset": 1}, headers=header).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    future = client.get("/v1/audit", params={**base, "until": start.isoformat()}, headers=header)
    assert future.status_code == 422
    export = client.get("/v1/audit", params={**base, "format": "csv"}, headers=header)
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert len(rows) == 2 and {r["personal_data"] for r in rows} == {"True", "False"}


def _seed_unusual(settings, key_id: str) -> None:
    """Write a week of a key's ordinary weekday reads, one very busy day, a night read, failed sign-ins."""
    codes = some_codes(settings, None, 100)
    monday = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday() + 7)
    entry = {
        "key_id": key_id,
        "role": "analyst",
        "action": "GET /v1/enterprises/{credit_code}",
        "purpose": "x",
    }
    rows = [{**entry, "at": monday + timedelta(days=d), "credit_code": codes[d]} for d in range(4)]
    rows += [
        {**entry, "at": monday + timedelta(days=4, minutes=i), "credit_code": c} for i, c in enumerate(codes)
    ]
    rows.append({**entry, "at": monday.replace(hour=23), "credit_code": codes[0]})
    failed = {
        "key_id": "feedfacecafe",
        "role": "-",
        "action": "dashboard POST /login",
        "purpose": "failed-sign-in",
        "credit_code": None,
    }
    rows += [
        {**failed, "at": monday + timedelta(minutes=i), "status": 401, "client": "203.0.113.9"}
        for i in range(6)
    ]
    with engine_for(settings.resolved_database_url).begin() as connection:
        connection.execute(audit_log.insert(), [{"status": 200, "client": None, **r} for r in rows])


def test_unusual_access_is_flagged(client: TestClient, auditor, settings):
    _seed_unusual(settings, "0ddba11c0ffe")
    flags = client.get("/v1/audit", params={"key_id": "0ddba11c0ffe"}, headers=Keys.header(auditor)).json()[
        "flags"
    ]
    busy = [f for f in flags if f["kind"] == "busy_day" and f["key_id"] == "0ddba11c0ffe"]
    assert len(busy) == 1 and busy[0]["count"] == 100 and busy[0]["usual"] == 1
    assert any(f["kind"] == "off_hours" and f["key_id"] == "0ddba11c0ffe" for f in flags)
    assert any(
        f["kind"] == "failed_sign_ins" and f["client"] == "203.0.113.9" and f["count"] == 6 for f in flags
    )
    assert any(f["kind"] == "failed_sign_ins" and f["key_id"] == "feedfacecafe" for f in flags)


def test_the_audit_page_filters_exports_and_flags(client: TestClient, keys: Keys, auditor, settings):
    _seed_unusual(settings, "5ca1ab1e0000")
    visitor, response = sign_in(client, auditor)
    assert response.headers["location"] == "/audit", "an auditor lands on the audit log"
    page = visitor.get("/audit?key_id=5ca1ab1e0000&personal_data=")
    assert page.status_code == 200
    assert "5ca1ab1e0000 read 100 enterprises" in visitor.get("/audit?key_id=5ca1ab1e0000&lang=en").text
    assert "203.0.113.9" in page.text
    export = visitor.get("/audit.csv?key_id=5ca1ab1e0000")
    assert export.status_code == 200 and len(export.text.strip().splitlines()) == 1 + 105
    assert visitor.get("/").status_code == 403 and visitor.get("/ranking.csv").status_code == 403
    assert visitor.get("/audit?since=yesterday").status_code == 422
    analyst, _ = sign_in(client, keys.analyst)
    assert analyst.get("/audit").status_code == 403


def test_the_dashboard_asks_why_before_showing_personal_data(client: TestClient, keys: Keys, settings):
    code = some_codes(settings, "teda", 3)[-1]
    with engine_for(settings.resolved_database_url).connect() as connection:
        full = connection.execute(
            sa.select(enterprises.c.legal_rep_id).where(enterprises.c.credit_code == code)
        ).scalar_one()
    assert full, "the world gives enterprises a legal representative's ID"
    teda, _ = sign_in(client, keys.admin_teda)
    first = teda.get(f"/enterprises/{code}")
    assert first.status_code == 200 and full not in first.text and 'id="unmask"' in first.text
    assert all(f'value="{p}"' in first.text for p in settings.purposes)
    assert teda.get(f"/enterprises/{code}?purpose=curiosity").status_code == 422
    shown = teda.get(f"/enterprises/{code}?purpose=credit_review")
    assert full in shown.text and 'id="unmask"' not in shown.text
    _flushed(client)
    with engine_for(settings.resolved_database_url).connect() as connection:
        marks = connection.execute(
            sa.select(audit_log.c.purpose, audit_log.c.personal_data)
            .where(
                audit_log.c.credit_code == code,
                audit_log.c.action == "dashboard GET /enterprises/{credit_code}",
            )
            .order_by(audit_log.c.audit_id)
        ).all()
    assert [tuple(m) for m in marks[-2:]] == [("supervision", False), ("credit_review", True)]
