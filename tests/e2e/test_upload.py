"""A data steward loads a department export in headless Chromium: map, dry-run, fix, commit, see it.

A real uvicorn server over its own empty warehouse; pages are screenshotted into
``tests/e2e/screenshots/`` like the other browser tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from data.credit_code import generate_credit_codes
from data.warehouse import read_source
from serving.keys import create_key
from tests.e2e.test_dashboard import VIEWPORT, browser, chromium, shoot  # noqa: F401 (fixtures)
from tests.serving.fixtures import empty_warehouse_settings, running_server
from zonecredit.settings import Settings

pytestmark = pytest.mark.browser
HEADER = (
    "统一社会信用代码,所属期,增值税销售额,增值税税额,企业所得税预缴,按期申报,零申报,欠税余额,欠税天数,备注\n"
)
BAD_CODE = "91120116MA05T3K72X"


@dataclass(frozen=True)
class Site:
    base: str
    settings: Settings
    steward: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from serving.app import create_app

    settings = empty_warehouse_settings(tmp_path_factory, "upload-site")
    steward = create_key(settings.resolved_database_url, "steward", name="园区数据办")
    with running_server(create_app(settings, watch_champions=False)) as base:
        yield Site(base, settings, steward)


@pytest.fixture(scope="module")
def department_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tax bureau's export: its own header names, 30 records, one with a mistyped credit code."""
    codes = generate_credit_codes(10, np.random.default_rng(3))
    rows = [
        f"{code},2025-{m:02d},{1000 + m}.5,130.07,20,1,0,0,0,备注{m}" for code in codes for m in (1, 2, 3)
    ]
    rows[4] = BAD_CODE + rows[4][18:]
    path = tmp_path_factory.mktemp("exports") / "滨海税务_2025Q1.csv"
    path.write_bytes((HEADER + "\n".join(rows) + "\n").encode("gb18030"))
    return path


def test_a_steward_maps_dry_runs_fixes_and_commits_an_export(browser, site: Site, department_file: Path):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORT, base_url=site.base, locale="zh-CN")
    page = context.new_page()
    page.goto("/data/upload")
    assert page.url.startswith(f"{site.base}/login")
    page.fill("#key", site.steward)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/data/upload")
    nav = page.locator("header nav").inner_text()
    assert "数据上传" in nav and "数据质量" in nav and "风险排名" not in nav
    shoot(page, "upload-form")

    page.set_input_files("#file", str(department_file))
    page.select_option("#source", "tax")
    with page.expect_navigation():
        page.click("#upload-submit")
    assert "/data/upload/" in page.url
    review_url = page.url
    # The headers matched no alias: the nearest columns are filled in and marked for checking.
    row = page.locator("#mapping tr[data-header='增值税销售额']")
    assert row.locator("select").input_value() == "vat_sales"
    assert row.locator(".badge").inner_text() == "建议映射，请核对"
    assert page.locator("#mapping tr[data-header='备注'] select").input_value() == ""
    assert page.inner_text("#rows-in") == "30"
    assert page.inner_text("#rows-loaded") == "29"
    assert page.inner_text("#rows-quarantined") == "1"
    assert "bad_credit_code" in page.inner_text("#quarantine")
    assert page.locator("#preview tbody tr").count() == 10
    shoot(page, "upload-review")

    # A wrong fix is refused with the reason and cannot be committed; fixing it back passes again.
    page.select_option("#mapping tr[data-header='企业所得税预缴'] select", "")
    with page.expect_navigation(url=review_url):
        page.click("#check-again")
    assert "cit_prepaid" in page.inner_text("#dry-run-message")
    assert page.locator("#commit").count() == 0
    page.select_option("#mapping tr[data-header='企业所得税预缴'] select", "cit_prepaid")
    with page.expect_navigation(url=review_url):
        page.click("#check-again")
    assert page.inner_text("#rows-loaded") == "29"
    assert read_source("tax", site.settings.home).empty, "a dry run commits nothing"

    with page.expect_navigation():
        page.click("#commit")
    assert page.url.endswith("/progress")
    assert page.locator("#progress").count() == 1
    page.wait_for_selector("#job-state[data-state=loaded]", timeout=30_000)  # the page reloads itself
    assert "29 of 30 rows loaded" in page.inner_text("#job-state")
    shoot(page, "upload-done")
    with page.expect_navigation():
        page.click("#to-quality")
    assert department_file.name in page.inner_text("#quality-list")
    shoot(page, "upload-quality")
    assert len(read_source("tax", site.settings.home)) == 29

    response = page.goto("/ranking")
    assert response is not None and response.status == 403, "a steward sees no enterprise data"
    context.close()
