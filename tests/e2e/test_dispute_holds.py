"""The must-show of issue 17: an upheld dispute's correction holds through the next month-end batch.

A zone administrator upholds a dispute that revokes a serious-dishonesty listing; the record shows
as revoked in the API (real HTTP) and on the dashboard (real Chromium); then ``zonecredit score`` for
the same as-of date (the CLI, in a subprocess) keeps the corrected score: no override to class D and
no repair warning come back. Runs on a copy of the scored world, since it reruns a month-end batch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.test_dashboard import VIEWPORT, Site, browser, chromium, shoot  # noqa: F401 (fixtures)
from tests.serving.fixtures import (
    AS_OF_DATES,
    Keys,
    copied_world,
    disputable_record,
    make_keys,
    running_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from serving.app import create_app

    settings = copied_world(tmp_path_factory, "dispute-holds")
    keys = make_keys(settings.resolved_database_url)
    with running_server(create_app(settings, watch_champions=False)) as base:
        yield Site(base, settings, keys)


def _stored(site: Site, code: str) -> tuple[sa.Row, list[sa.Row]]:
    from serving.store import engine_for, latest_scores, warnings

    with engine_for(site.settings.resolved_database_url).connect() as connection:
        score = connection.execute(sa.select(latest_scores).where(latest_scores.c.credit_code == code)).one()
        active = connection.execute(
            sa.select(warnings).where(warnings.c.credit_code == code, warnings.c.active.is_(True))
        ).all()
    return score, active


def _record_status(http: httpx.Client, code: str, event_id: str, key: str) -> str:
    detail = http.get(f"/v1/enterprises/{code}", headers=Keys.header(key, "dispute_handling"))
    assert detail.status_code == 200, detail.text
    return next(r["status"] for r in detail.json()["records"] if r["event_id"] == event_id)


def test_an_upheld_revoke_holds_on_every_page_and_through_the_next_month_end(browser, site: Site):  # noqa: F811
    as_of = AS_OF_DATES[-1]
    code, event_id = disputable_record(site.settings, "hitech", kinds=("serious_dishonesty",))
    admin = site.keys.admin_hitech
    listed, warned = _stored(site, code)
    assert listed.supervision_class == "D" and "serious-dishonesty" in (listed.override_reason_en or "")
    assert warned, "the listing is behind a repair warning"

    with httpx.Client(base_url=site.base, timeout=120) as http:
        assert _record_status(http, code, event_id, admin) == "listed"
        body = {
            "credit_code": code,
            "source": "credit_events",
            "record_key": {"event_id": event_id},
            "action": "revoke",
            "claim": "列入决定已被行政复议撤销",
        }
        filed = http.post("/v1/disputes", json=body, headers=Keys.header(admin, "dispute_handling"))
        assert filed.status_code == 201, filed.text
        url = f"/v1/disputes/{filed.json()['dispute_id']}"
        for step in ("under_review", "upheld"):
            moved = http.patch(url, json={"status": step, "note": "复议决定书"}, headers=Keys.header(admin))
            assert moved.status_code == 200, moved.text
        after = moved.json()["score_after"]
        assert after["supervision_class"] != "D" and after["override_reason_en"] is None
        assert _record_status(http, code, event_id, admin) == "revoked"

    context = browser.new_context(viewport=VIEWPORT, base_url=site.base, locale="zh-CN")
    page = context.new_page()
    page.goto("/ranking")
    page.fill("#key", admin)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/ranking")
    page.goto(f"/enterprises/{code}")
    row = page.locator("#records tbody tr", has_text=event_id)
    assert row.locator(".badge").inner_text() == "已撤销（异议更正）", "revoked, not 名录中（待纠正）"
    assert page.inner_text("#score-value") == str(after["score"])
    shoot(page, "dispute-revoked")
    context.close()

    env = {
        **os.environ,
        "ZONECREDIT_HOME": str(site.settings.home),
        "ZONECREDIT_DATABASE_URL": site.settings.resolved_database_url,
        "ZONECREDIT_MLFLOW_TRACKING_URI": site.settings.resolved_mlflow_tracking_uri,
    }
    command = [sys.executable, "-m", "zonecredit.cli", "score", "--as-of", f"{as_of:%Y-%m-%d}", "--json"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr

    rescored, warned = _stored(site, code)
    assert rescored.as_of == as_of and rescored.trigger == "month_end"
    assert rescored.score == after["score"] and rescored.supervision_class == after["supervision_class"]
    assert rescored.override_reason_en is None, "the override did not come back"
    assert not warned, "neither did the repair warning"
    with httpx.Client(base_url=site.base, timeout=120) as http:
        assert _record_status(http, code, event_id, admin) == "revoked"
