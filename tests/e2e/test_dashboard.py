"""The dashboard in headless Chromium (Debian's, through Playwright): what a zone administrator does.

A real uvicorn server over the scored test world; every page visited is screenshotted into
``tests/e2e/screenshots/`` (gitignored). Without /usr/bin/chromium the tests skip locally and fail
under CI (``CI=true``), like the PostgreSQL tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.serving.fixtures import (
    Keys,
    disputable_record,
    make_keys,
    running_server,
    served_world,
    some_codes,
)
from zonecredit.settings import Settings

pytestmark = pytest.mark.browser
CHROMIUM = Path(os.environ.get("ZONECREDIT_TEST_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VIEWPORT = {"width": 1360, "height": 900}


@dataclass(frozen=True)
class Site:
    base: str
    settings: Settings
    keys: Keys


@pytest.fixture(scope="module")
def chromium() -> str:
    """Return Chromium's path; skip (or fail under CI) when it is not installed."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} — CI must run the browser tests")
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from serving.app import create_app

    settings = served_world(tmp_path_factory).settings()
    keys = make_keys(settings.resolved_database_url)
    with running_server(create_app(settings, watch_champions=False)) as base:
        yield Site(base, settings, keys)


@pytest.fixture(scope="module")
def browser(chromium: str):  # -> playwright Browser
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Chromium refuses its sandbox as root (CI runs as root); the pages are our own.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = playwright.chromium.launch(executable_path=chromium, args=args)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, site: Site):  # -> a signed-in playwright Page of the teda administrator
    context = browser.new_context(viewport=VIEWPORT, base_url=site.base, locale="zh-CN")
    tab = context.new_page()
    tab.goto("/ranking")
    assert tab.url.startswith(f"{site.base}/login"), "signed-out visitors are sent to sign in"
    tab.fill("#key", site.keys.admin_teda)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{site.base}/ranking")
    yield tab
    context.close()


def shoot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_admin_filters_the_ranking_and_opens_an_enterprise(page, site: Site):
    assert "teda admin" in page.inner_text("header")
    page.goto("/")
    assert page.locator("svg.chart").count() >= 3, "grade, class and activity charts are drawn"
    shoot(page, "overview")
    page.goto("/ranking")
    page.select_option("select[name=class]", "D")
    page.click("#ranking-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*class=D.*"))
    classes = page.locator("table.ranking tbody .badge[class*=class-]").all_inner_texts()
    assert classes and set(classes) == {"D"}
    score_column = "table.ranking tbody td:nth-child(6)"
    riskiest_first = [int(s) for s in page.locator(score_column).all_inner_texts()]
    assert riskiest_first == sorted(riskiest_first)
    page.click("table.ranking thead a:has-text('信用分')")  # flip to the safest first
    page.wait_for_url(re.compile(r".*[?&]sort=-score(&|$).*"))
    safest_first = [int(s) for s in page.locator(score_column).all_inner_texts()]
    assert safest_first == sorted(safest_first, reverse=True)
    shoot(page, "ranking")
    first = page.locator("table.ranking tbody td:nth-child(2) a").first
    code = first.inner_text()
    first.click()
    page.wait_for_url(f"{site.base}/enterprises/{code}")
    assert code in page.inner_text("h1")
    assert page.locator("#history svg.chart").count() == 1
    assert page.locator("#records").is_visible() and page.locator("#improvement").is_visible()
    shoot(page, "enterprise")


def test_admin_upholds_a_dispute_and_sees_the_rescore(page, site: Site):
    code, event_id = disputable_record(site.settings, "teda", skip=1)
    page.goto(f"/enterprises/{code}")
    before = page.inner_text("#score-value")
    page.select_option("#file-dispute select[name=event_id]", event_id)
    page.select_option("#file-dispute select[name=action]", "revoke")
    page.fill("#file-dispute textarea[name=claim]", "处罚决定已被复议撤销")
    page.click("#file-dispute button[type=submit]")
    page.wait_for_url(re.compile(r".*/disputes/\d+$"))
    dispute_url = page.url
    page.goto("/disputes")
    assert event_id in page.inner_text("#dispute-list")
    shoot(page, "disputes")
    page.goto(dispute_url)
    with page.expect_navigation(url=dispute_url):  # each step posts, then lands on the same page
        page.click("button[value=under_review]")
    page.fill("textarea[name=note]", "复议决定书确认处罚已撤销")
    with page.expect_navigation(url=dispute_url):
        page.click("button[value=upheld]")
    assert page.inner_text("#dispute-status") == "已支持"
    rescoring = page.locator("#rescoring")
    assert rescoring.is_visible()
    old = page.locator("#score-before td").all_inner_texts()
    new = page.locator("#score-after td").all_inner_texts()
    assert old[0] == before, "the score before is the one the enterprise page showed"
    assert old != new, "revoking the penalty moved the score"
    shoot(page, "dispute")
    page.goto(f"/enterprises/{code}")
    assert page.inner_text("#score-value") == new[0]
    assert page.locator("#history tr.trigger-dispute").count() == 1


def test_language_switches_to_english_and_back(page):
    page.goto("/warnings")
    assert page.inner_text("h1") == "预警"
    page.click("#switch-lang")
    page.wait_for_url(re.compile(r".*lang=en.*"))
    assert page.inner_text("h1") == "Warnings"
    shoot(page, "warnings-en")
    page.goto("/quality")
    assert page.inner_text("h1") == "Data quality", "the choice is remembered across pages"
    shoot(page, "quality-en")
    with page.expect_navigation():
        page.click("#switch-lang")
    assert page.inner_text("h1") == "数据质量"


def test_another_zones_enterprise_is_not_reachable_by_url(page, site: Site):
    hitech = some_codes(site.settings, "hitech", 1)[0]
    response = page.goto(f"/enterprises/{hitech}")
    assert response is not None and response.status == 404
    assert "未找到" in page.inner_text("h1")
    assert page.locator("#current-score").count() == 0
    shoot(page, "other-zone-404")


@pytest.fixture(scope="module")
def monitored(site: Site) -> Site:
    """The monitoring reports ``zonecredit score`` writes after each batch, for the stored batches."""
    from mlflow import MlflowClient

    from tests.serving.fixtures import AS_OF_DATES
    from zonecredit.monitoring import monitor_stored_scores

    version = MlflowClient(site.settings.resolved_mlflow_tracking_uri).get_model_version_by_alias(
        "zonecredit-credit", "champion"
    )
    for as_of in AS_OF_DATES:
        monitor_stored_scores(site.settings, as_of, str(version.version))
    return site


def _sign_in(browser, site: Site, key: str):  # -> playwright Page
    context = browser.new_context(viewport=VIEWPORT, base_url=site.base, locale="en-US")
    tab = context.new_page()
    tab.goto("/models?lang=en")
    tab.fill("#key", key)
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(r".*/models.*"))
    return tab


def test_analyst_reads_champions_validation_lights_and_migration_heat_map(browser, monitored: Site):
    tab = _sign_in(browser, monitored, monitored.keys.analyst)
    assert tab.inner_text("h1") == "Models and rating validation"
    assert tab.locator("#champions .champion").count() == 3
    assert "v1" in tab.inner_text("#champion-credit h2")
    assert tab.locator("#champion-credit .policy-version").count() == 0  # registered without a training run
    link = tab.get_attribute("#champion-credit a.mlflow-link", "href") or ""
    assert link.startswith("http://127.0.0.1:5000/#/experiments/") and "/runs/" in link
    lights = tab.locator("#validation-lights tbody tr")
    assert lights.count() >= 3
    assert "concentration" in tab.inner_text("#validation-lights")
    cells = tab.locator("#migration svg rect.heat")
    assert cells.count() == 81  # nine grades by nine
    assert tab.locator("#psi svg polyline, #psi svg circle").count() >= 1
    shoot(tab, "models-analyst")
    tab.context.close()


def test_admin_sees_champions_and_own_classes_but_not_the_validation(browser, monitored: Site):
    tab = _sign_in(browser, monitored, monitored.keys.admin_teda)
    assert tab.locator("#champions .champion").count() == 3
    assert tab.locator("#validation-lights").count() == 0 and tab.locator("#migration").count() == 0
    assert tab.locator("svg[aria-label='supervision classes (%)'] rect").count() >= 4
    tab.context.close()


def test_zone_economy_page_shows_growth_the_index_and_the_zones(page, site: Site):
    page.goto("/economy")
    assert page.inner_text("h1").startswith("园区经济运行")
    assert page.locator("#economy-latest tr[data-measure=vat_sales]").count() == 1
    assert page.locator("svg.chart").count() >= 3, "taxes, activity and the index are drawn"
    assert "采购额" in page.inner_text("#index-notes"), "the page says what the index could not compute"
    zones = page.locator("#economy-zones tbody tr").count()
    assert zones == 1, "a teda administrator compares only the zones it may see"
    page.select_option("select[name=frequency]", "quarterly")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*frequency=quarterly.*"))
    assert page.locator("#economy-latest tr[data-measure=revenue]").count() == 1
    assert page.locator("svg.chart").count() >= 4, "quarterly adds the statistics chart"
    page.screenshot(
        path=str(Path(__file__).resolve().parents[2] / "docs" / "zone-economy.png"), full_page=True
    )
    shoot(page, "economy")


def test_overview_lists_the_zones_latest_alerts_with_a_link_to_all(page, site: Site):
    import sqlalchemy as sa

    from serving.alerts import alert_rows
    from serving.store import alerts, engine_for

    code = some_codes(site.settings, "teda", 1)[0]
    after = {"credit_code": code, "zone": "teda", "name": "e2e", "as_of": date(2024, 10, 31)}
    after |= {"supervision_class": "D", "activity_score": 50.0, "serious_records": 0.0}
    before = {code: {"supervision_class": "A", "activity_score": 50.0, "serious_records": 0.0}}
    rows = alert_rows(before, [after], floor=30.0, trigger="batch", now=datetime.now())
    engine = engine_for(site.settings.resolved_database_url)
    with engine.begin() as connection:
        ids = [connection.execute(alerts.insert().values(r)).inserted_primary_key[0] for r in rows]
    try:
        page.goto("/")
        assert "A → D" in page.inner_text("#overview-alerts")
        page.click("#overview-all-alerts")
        page.wait_for_url(re.compile(r".*/alerts\?zone=teda$"))
        assert page.locator("#alert-list tr.alert-class_drop").count() >= 1
    finally:
        with engine.begin() as connection:
            connection.execute(sa.delete(alerts).where(alerts.c.alert_id.in_(ids)))
