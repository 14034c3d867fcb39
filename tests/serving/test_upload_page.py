"""The upload pages' rules (the whole path runs in Chromium in ``tests/e2e/test_upload.py``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from data.warehouse import committed_batches
from serving.keys import create_key
from serving.uploads import uploads_dir
from tests.serving.fixtures import empty_warehouse_settings
from tests.serving.test_dashboard import csrf_of, sign_in

EXPORT = (
    "统一社会信用代码,所属期,增值税应税销售额,增值税应纳税额,企业所得税预缴额,按期申报,零申报,欠税余额,欠税天数\n"
    "91120116MA05T3K726,2024-01,1000,130,20,1,0,0,0\n"
).encode()


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from serving.app import create_app

    settings = empty_warehouse_settings(tmp_path_factory, "upload-pages")
    with TestClient(create_app(settings, watch_champions=False)) as client:
        yield client


def _key(client: TestClient, role: str, zones: list[str] | None = None) -> str:
    return create_key(client.app.state.service.settings.resolved_database_url, role, zones)


def _upload(visitor: TestClient, content: bytes = EXPORT, source: str = "") -> str:
    token = csrf_of(visitor.get("/data/upload").text)
    response = visitor.post(
        "/data/upload", data={"csrf": token, "source": source}, files={"file": ("tax_2024.csv", content)}
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_a_steward_lands_on_the_upload_page_and_sees_no_enterprise_data(app_client: TestClient):
    steward, response = sign_in(app_client, _key(app_client, "steward"))
    assert response.status_code == 303 and response.headers["location"] == "/data/upload"
    assert steward.get("/quality").status_code == 200
    for page in ("/", "/ranking", "/warnings", "/disputes"):
        assert steward.get(page).status_code == 403, page


def test_other_roles_may_not_upload(app_client: TestClient):
    admin, _ = sign_in(app_client, _key(app_client, "admin", ["teda"]))
    page = admin.get("/data/upload")
    assert page.status_code == 403 and "steward" in page.text
    assert "/data/upload" not in admin.get("/quality").text, "no upload link for an administrator"


def test_the_source_is_detected_and_an_upload_is_its_stewards_own(app_client: TestClient):
    steward, _ = sign_in(app_client, _key(app_client, "steward"))
    review = _upload(steward)
    page = steward.get(review)
    assert page.status_code == 200 and 'id="detected"' in page.text
    assert '<option value="tax" selected>' in page.text
    other, _ = sign_in(app_client, _key(app_client, "steward"))
    assert other.get(review).status_code == 404
    assert (
        other.post(review + "/commit", data={"csrf": csrf_of(other.get("/data/upload").text)}).status_code
        == 404
    )


def test_a_forged_form_or_an_unknown_source_is_refused(app_client: TestClient):
    steward, _ = sign_in(app_client, _key(app_client, "steward"))
    forged = steward.post("/data/upload", data={"csrf": "forged"}, files={"file": ("t.csv", EXPORT)})
    assert forged.status_code == 403
    token = csrf_of(steward.get("/data/upload").text)
    unknown = steward.post(
        "/data/upload", data={"csrf": token}, files={"file": ("odd.csv", b"a,b,c\n1,2,3\n")}
    )
    assert unknown.status_code == 422 and "match no source" in unknown.text
    refused = _upload(steward, b"a,b,c\n1,2,3\n", source="tax")  # the steward picks tax: it is refused
    assert "missing required column" in steward.get(refused).text
    commit = steward.post(refused + "/commit", data={"csrf": token})
    assert commit.status_code == 409
    assert committed_batches("tax", app_client.app.state.service.settings.home) == []


def test_an_upload_abandoned_for_a_day_is_dropped(app_client: TestClient):
    steward, _ = sign_in(app_client, _key(app_client, "steward"))
    folder = uploads_dir(app_client.app.state.service.settings.home) / _upload(steward).rsplit("/", 1)[1]
    assert folder.exists()
    a_day_ago = time.time() - 86_500
    os.utime(folder, (a_day_ago, a_day_ago))
    fresh = _upload(steward)
    assert not folder.exists()
    assert steward.get(fresh).status_code == 200
