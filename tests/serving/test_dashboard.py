"""The dashboard on the server side: sign-in and its cookie, CSRF, revocation, zone scoping, export, audit."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from serving.keys import create_key, revoke_key
from serving.store import audit_log, engine_for
from tests.serving.fixtures import Keys, disputable_record, some_codes

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(client: TestClient) -> TestClient:
    """Return a client of the same running app with a cookie jar of its own (a separate browser)."""
    return TestClient(client.app, follow_redirects=False)


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str, next_path: str = "/"):
    """Sign a fresh browser in with ``key``; return (browser, the sign-in response)."""
    visitor = browser(client)
    form = visitor.get("/login")
    response = visitor.post("/login", data={"key": key, "csrf": csrf_of(form.text), "next": next_path})
    return visitor, response


@pytest.fixture(scope="module")
def teda(client: TestClient, keys: Keys) -> TestClient:
    visitor, response = sign_in(client, keys.admin_teda)
    assert response.status_code == 303
    return visitor


def test_sign_in_sets_a_safe_session_cookie(client: TestClient, keys: Keys):
    visitor = browser(client)
    assert visitor.get("/ranking").headers["location"] == "/login?next=/ranking"
    form = visitor.get("/login")
    assert form.status_code == 200 and "登录" in form.text
    response = visitor.post(
        "/login", data={"key": keys.admin_teda, "csrf": csrf_of(form.text), "next": "/ranking"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/ranking"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert keys.admin_teda.split("_")[2] not in cookie, "the key's secret never goes into the cookie"
    page = visitor.get("/ranking")
    assert page.status_code == 200 and "teda admin" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_sign_in_refuses_bad_keys_scorers_and_forged_forms(client: TestClient, keys: Keys):
    visitor = browser(client)
    token = csrf_of(visitor.get("/login").text)
    assert visitor.post("/login", data={"key": keys.admin_teda, "csrf": "forged"}).status_code == 400
    assert visitor.post("/login", data={"key": "zc_nothing_here", "csrf": token}).status_code == 401
    scorer = visitor.post("/login", data={"key": keys.scorer, "csrf": token})
    assert scorer.status_code == 403 and "评分服务密钥不能登录" in scorer.text
    offsite = visitor.post("/login", data={"key": keys.analyst, "csrf": token, "next": "//evil.example/"})
    assert offsite.headers["location"] == "/", "sign-in never redirects off the site"


def test_posts_need_the_session_csrf_token_and_sign_out_ends_it(client: TestClient, keys: Keys):
    visitor, _ = sign_in(client, keys.admin_teda)
    assert visitor.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert visitor.post("/disputes/1", data={"csrf": "forged", "status": "under_review"}).status_code == 403
    token = csrf_of(visitor.get("/").text)
    assert visitor.post("/logout", data={"csrf": token}).headers["location"] == "/login"
    assert visitor.get("/").status_code == 303


def test_revoking_a_key_ends_its_sessions(client: TestClient, settings):
    key = create_key(settings.resolved_database_url, "admin", ["teda"], "soon revoked")
    visitor, _ = sign_in(client, key)
    assert visitor.get("/").status_code == 200
    revoke_key(settings.resolved_database_url, key.split("_")[1])
    assert visitor.get("/").headers["location"].startswith("/login")


def test_an_admin_sees_only_their_zones(client: TestClient, teda: TestClient, settings):
    hitech_code = some_codes(settings, "hitech", 1)[0]
    refused = teda.get(f"/enterprises/{hitech_code}")
    assert refused.status_code == 404 and hitech_code in refused.text
    assert teda.get("/ranking?zone=hitech").status_code == 404
    assert teda.get("/?zone=hitech").status_code == 404
    page = teda.get("/ranking?size=100")
    assert page.status_code == 200
    listed = set(re.findall(r'href="/enterprises/([0-9A-Z]{18})"', page.text))
    assert listed and listed <= set(some_codes(settings, "teda", 10_000))


def test_csv_export_holds_every_row_of_the_admins_zones_only(teda: TestClient, settings):
    export = teda.get("/ranking.csv?sort=name&grade=")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r["zone"] for r in rows} == {"teda"}
    assert sorted(r["credit_code"] for r in rows) == sorted(some_codes(settings, "teda", 10_000))
    names = [r["name"] for r in rows]
    assert names == sorted(names)


def test_ranking_filters_sort_and_paginate(teda: TestClient):
    first = teda.get("/ranking?class=D&sort=score&size=25")
    assert first.status_code == 200
    assert re.findall(r'badge class-(\w)"', first.text) and set(
        re.findall(r'badge class-(\w)"', first.text)
    ) == {"D"}
    assert teda.get("/ranking?grade=ZZZ").status_code == 422
    assert teda.get("/ranking?page=0").status_code == 422
    warned = teda.get("/ranking?warning=repair")
    assert warned.status_code == 200


def test_enterprise_page_is_audited_and_masks_by_role(client: TestClient, teda: TestClient, keys, settings):
    code = some_codes(settings, "teda", 1)[0]
    page = teda.get(f"/enterprises/{code}")
    assert page.status_code == 200 and code in page.text
    for section in ('id="history"', 'id="records"', 'id="warnings"', 'id="improvement"'):
        assert section in page.text
    client.app.state.service.audit.flush()
    with engine_for(settings.resolved_database_url).connect() as connection:
        entries = connection.execute(
            sa.select(audit_log.c.action, audit_log.c.key_id).where(audit_log.c.credit_code == code)
        ).all()
    assert ("dashboard GET /enterprises/{credit_code}", keys.admin_teda.split("_")[1]) in entries
    analyst, _ = sign_in(client, keys.analyst)
    assert "******" in analyst.get(f"/enterprises/{code}").text


def test_language_defaults_to_chinese_and_switches_to_english(client: TestClient, keys: Keys):
    visitor, _ = sign_in(client, keys.analyst)
    assert "风险排名" in visitor.get("/ranking").text
    english = visitor.get("/ranking?lang=en")
    assert "Risk ranking" in english.text and "zc_lang=en" in english.headers["set-cookie"]
    assert "Risk ranking" in visitor.get("/warnings").text, "the choice is remembered"


def test_only_admins_decide_disputes_and_a_decision_needs_a_reason(client: TestClient, keys: Keys, settings):
    code, event_id = disputable_record(settings, "teda", skip=2)
    admin, _ = sign_in(client, keys.admin_teda)
    analyst, _ = sign_in(client, keys.analyst)
    page = admin.get(f"/enterprises/{code}")
    assert f'<option value="{event_id}">' in page.text, "the record can be disputed from its page"
    filed = admin.post(
        f"/enterprises/{code}/disputes",
        data={"csrf": csrf_of(page.text), "event_id": event_id, "action": "revoke", "claim": "wrong"},
    )
    assert filed.status_code == 303
    url = filed.headers["location"]
    assert (
        analyst.post(url, data={"csrf": csrf_of(analyst.get(url).text), "status": "under_review"}).status_code
        == 403
    )
    token = csrf_of(admin.get(url).text)
    assert admin.post(url, data={"csrf": token, "status": "under_review"}).status_code == 303
    assert admin.post(url, data={"csrf": token, "status": "rejected", "note": " "}).status_code == 422
    assert (
        admin.post(url, data={"csrf": token, "status": "rejected", "note": "evidence holds"}).status_code
        == 303
    )
    assert "evidence holds" in admin.get(url).text


def test_overview_warnings_and_quality_pages_render(teda: TestClient):
    overview = teda.get("/")
    assert overview.status_code == 200 and "<svg" in overview.text and "经开区" in overview.text
    assert teda.get("/warnings?kind=repair").status_code == 200
    assert teda.get("/warnings?kind=dormancy&level=red").status_code == 200
    assert teda.get("/warnings?kind=other").status_code == 422
    assert teda.get("/disputes?status=upheld").status_code == 200
    assert teda.get("/quality").status_code == 200
