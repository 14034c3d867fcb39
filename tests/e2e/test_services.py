"""The plan's services in headless Chromium: a zone administrator downloads a credit report from the
enterprise page, works the financing and green-channel lists, draws inspections and takes a clear-out
case through its steps. The app reads the test policy (``tests/serving/services_policy.toml``).

Pages are screenshotted into ``tests/e2e/screenshots/``; the report's first page is rendered to PNG
there too (``pdftoppm``), the image the README shows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_dashboard import SCREENSHOTS, VIEWPORT, Site, browser, chromium, shoot
from tests.serving.fixtures import copied_world, make_keys, running_server
from tests.serving.test_services import TEST_POLICY, _with_records, pdf_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) missing"),
]
__all__ = ["browser", "chromium"]  # the module fixtures of the dashboard's browser tests


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from serving.app import create_app

    # copied: a recorded commitment loads a record and rescores
    settings = copied_world(tmp_path_factory, "services-site", services_policy=TEST_POLICY)
    keys = make_keys(settings.resolved_database_url)
    with running_server(create_app(settings, watch_champions=False)) as base:
        yield Site(base, settings, keys)


@pytest.fixture
def page(browser, site: Site):  # -> a signed-in playwright Page of the teda administrator
    context = browser.new_context(
        viewport=VIEWPORT, base_url=site.base, locale="zh-CN", accept_downloads=True
    )
    tab = context.new_page()
    tab.goto("/login")
    tab.fill("#key", site.keys.admin_teda)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{site.base}/")
    yield tab
    context.close()


def test_admin_downloads_the_credit_report_from_the_enterprise_page(page, site: Site, tmp_path: Path):
    code = _with_records(site.settings, "teda")
    page.goto(f"/enterprises/{code}")
    assert page.locator("#repair-guidance").is_visible()
    name = page.inner_text("h1").split()[0]
    grade = page.inner_text("#score-grade")
    page.select_option("#report-download select[name=purpose]", "financing")
    with page.expect_download() as download:
        page.click("#report-download button[type=submit]")
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    text = pdf_text(saved.read_bytes())
    assert name in text and code in text and grade in text
    events = page.locator("#records tbody td.mono").all_inner_texts()
    assert events and all(e in text for e in events), "every record on the page is in the report"
    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(saved),
            str(SCREENSHOTS / "credit-report"),
        ],
        check=True,
    )
    assert (SCREENSHOTS / "credit-report.png").stat().st_size > 10_000
    shoot(page, "enterprise-services")
    if page.locator("#repair-notice").count():
        with page.expect_download() as notice:
            page.click("#repair-notice")
        notice.value.save_as(tmp_path / "notice.pdf")
        assert "信用修复告知书" in pdf_text((tmp_path / "notice.pdf").read_bytes())


def test_admin_exports_the_financing_list_and_records_a_green_channel_commitment(
    page, site: Site, tmp_path: Path
):
    page.goto("/services")
    page.wait_for_url(re.compile(r".*/programs/financing$"))
    rows = page.locator("#program-list tbody tr")
    assert rows.count() > 0
    zones = set(page.locator("#program-list tbody td:nth-child(2)").all_inner_texts())
    assert zones == {"经开区"}, "a teda administrator sees only teda enterprises"
    shoot(page, "financing")
    page.fill("#recipient", "滨海农商银行")
    with page.expect_download() as download:
        page.click("#program-export button[type=submit]")
    download.value.save_as(tmp_path / "financing.csv")
    lines = (tmp_path / "financing.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + rows.count()
    page.reload()
    assert "滨海农商银行" in page.inner_text("#export-log")
    page.click("#services-tabs a[href='/programs/green-channel']")
    page.wait_for_url(re.compile(r".*/programs/green-channel$"))
    first = page.locator("#program-list tbody tr").first
    code = first.locator("span.mono").inner_text()
    first.locator("input[name=department]").fill("滨海新区行政审批局")
    with page.expect_navigation():
        first.locator("button[type=submit]").click()
    assert code in page.inner_text("#commitments") and "履行中" in page.inner_text("#commitments")
    shoot(page, "green-channel")


def test_admin_draws_inspections_by_class(page):
    page.goto("/inspections")
    page.fill("#draw-form input[name=size]", "8")
    page.fill("#draw-form input[name=seed]", "11")
    page.fill("#draw-form input[name=inspectors]", "王一，李二，张三")
    with page.expect_navigation():
        page.click("#draw-form button[type=submit]")
    assert re.search(r"/inspections/\d+$", page.url)
    assert page.locator("#draw-items tbody tr").count() == 8
    classes = page.locator("#draw-items tbody .badge").all_inner_texts()
    assert set(classes) <= {"A", "B", "C", "D"} and "D" in classes
    shoot(page, "inspection-draw")


def test_admin_takes_a_clearout_case_through_its_steps(page):
    page.goto("/clearouts")
    assert "2" in page.inner_text("#clearout-rule")
    with page.expect_navigation():
        page.click("#identify")
    page.goto("/clearouts?status=candidate")
    assert page.locator("#clearout-list tbody tr").count() > 0
    shoot(page, "clearouts")
    page.locator("#clearout-list tbody tr a").first.click()
    page.wait_for_url(re.compile(r".*/clearouts/\d+$"))
    assert page.inner_text("#case-status") == "候选"
    page.select_option("#move-case select[name=status]", "notified")
    page.fill("#move-case textarea[name=reason]", "已送达清退告知书")
    with page.expect_navigation():
        page.click("#move-case button[type=submit]")
    assert page.inner_text("#case-status") == "已告知"
    page.select_option("#move-case select[name=status]", "kept")
    page.fill("#move-case textarea[name=reason]", "企业已提交修复申请，暂予保留")
    with page.expect_navigation():
        page.click("#move-case button[type=submit]")
    assert page.inner_text("#case-status") == "保留"
    assert page.locator("#case-steps li").count() == 3 and page.locator("#move-case").count() == 0
    shoot(page, "clearout-case")
