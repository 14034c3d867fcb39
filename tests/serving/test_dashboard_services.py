"""The services' dashboard pages on the server side: zone scoping, the administrator's acts, CSRF."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.serving.fixtures import Keys, some_codes
from tests.serving.test_dashboard import csrf_of, sign_in
from tests.serving.test_services import TEST_POLICY


@pytest.fixture(scope="module")
def app_client(world) -> Iterator[TestClient]:
    from serving.app import create_app

    with TestClient(create_app(world.settings(services_policy=TEST_POLICY), watch_champions=False)) as client:
        yield client


@pytest.fixture(scope="module")
def hitech(app_client: TestClient, keys: Keys) -> TestClient:
    return sign_in(app_client, keys.admin_hitech)[0]


@pytest.fixture(scope="module")
def analyst(app_client: TestClient, keys: Keys) -> TestClient:
    return sign_in(app_client, keys.analyst)[0]


@pytest.fixture(scope="module")
def teda(app_client: TestClient, keys: Keys) -> TestClient:
    return sign_in(app_client, keys.admin_teda)[0]


def test_pages_show_only_the_viewers_zones(teda, hitech, analyst, settings):
    teda_code = some_codes(settings, "teda", 1)[0]
    assert hitech.get(f"/enterprises/{teda_code}/report.pdf").status_code == 404
    assert hitech.get(f"/enterprises/{teda_code}/repair-notice.pdf").status_code == 404
    report = teda.get(f"/enterprises/{teda_code}/report.pdf?purpose=award")
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    assert teda.get(f"/enterprises/{teda_code}/report.pdf?purpose=gossip").status_code == 422
    hitech_page = hitech.get("/programs/financing").text
    assert teda_code not in hitech_page and "经开区" not in hitech_page.split('id="program-list"')[1]
    assert (
        "经开区" in analyst.get("/programs/financing").text
        and "高新区" in analyst.get("/programs/financing").text
    )
    page = teda.get("/clearouts")
    teda.post("/clearouts", data={"csrf": csrf_of(page.text)})
    cases = teda.get("/clearouts.csv").content.decode("utf-8-sig").splitlines()[1:]
    assert cases
    case_id = cases[0].split(",")[0]
    assert hitech.get(f"/clearouts/{case_id}").status_code == 404
    assert analyst.get(f"/clearouts/{case_id}").status_code == 200


def test_only_administrators_act_and_every_form_needs_its_token(teda, analyst):
    page = analyst.get("/programs/financing")
    assert page.status_code == 200 and 'id="program-export"' not in page.text
    token = csrf_of(page.text)
    refused = analyst.post("/programs/financing/export", data={"csrf": token, "recipient": "bank"})
    assert refused.status_code == 403
    assert analyst.post("/inspections", data={"csrf": token, "zone": "teda", "seed": "1"}).status_code == 403
    forged = teda.post("/inspections", data={"csrf": "forged", "zone": "teda", "seed": "1"})
    assert forged.status_code == 403
    token = csrf_of(teda.get("/inspections").text)
    drawn = teda.post("/inspections", data={"csrf": token, "zone": "teda", "seed": "3", "size": "4"})
    assert drawn.status_code == 303 and drawn.headers["location"].startswith("/inspections/")
    shown = teda.get(drawn.headers["location"])
    assert shown.text.count('class="badge class-') == 4
    other = teda.post("/inspections", data={"csrf": token, "zone": "hitech", "seed": "3"})
    assert other.status_code == 404
