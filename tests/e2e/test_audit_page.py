"""In Chromium: an administrator says why before an ID number is shown, and an auditor finds that read
on the audit page, marked, with the flags of unusual access above it."""

from __future__ import annotations

import time

import pytest

from serving.keys import create_key
from tests.e2e.test_dashboard import VIEWPORT, Site, browser, chromium, shoot, site
from tests.serving.fixtures import some_codes

pytestmark = pytest.mark.browser
__all__ = ["browser", "chromium", "site"]  # the fixtures this module borrows


def _signed_in(browser, site: Site, key: str, landing: str):  # -> playwright Page
    context = browser.new_context(viewport=VIEWPORT, base_url=site.base, locale="zh-CN")
    tab = context.new_page()
    tab.goto("/login")
    tab.fill("#key", key)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{site.base}{landing}")
    return tab


def test_a_purpose_is_asked_before_personal_data_and_the_auditor_sees_the_read(browser, site: Site):
    code = some_codes(site.settings, "teda", 4)[-1]
    admin = _signed_in(browser, site, site.keys.admin_teda, "/")
    admin.goto(f"/enterprises/{code}")
    masked = admin.inner_text("dl.facts")
    assert "*" in masked, "the ID number is masked until a purpose is given"
    admin.select_option("#purpose", "inspection")
    admin.click("#unmask button[type=submit]")
    admin.wait_for_url(f"**/enterprises/{code}?purpose=inspection")
    assert admin.locator("#unmask").count() == 0 and "*" not in admin.inner_text("dl.facts >> nth=0")
    shoot(admin, "enterprise-unmasked")
    time.sleep(site.settings.audit_flush_seconds * 3)  # the audit writer flushes in batches
    auditor = _signed_in(browser, site, create_key(site.settings.resolved_database_url, "auditor"), "/audit")
    auditor.fill("input[name=credit_code]", code)
    auditor.select_option("select[name=personal_data]", "yes")
    auditor.click("#audit-filters button[type=submit]")
    auditor.wait_for_url("**/audit?*personal_data=yes*")
    rows = auditor.locator("#audit-entries tbody tr.personal")
    assert rows.count() >= 1 and "inspection" in rows.first.inner_text()
    assert auditor.locator("#audit-flags").is_visible()
    assert [a.inner_text() for a in auditor.locator("header nav a").all()] == ["查询审计"]
    shoot(auditor, "audit")
