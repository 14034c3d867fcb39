"""The plan's services over real HTTP: credit reports, programs, commitments, inspections, clear-out.

The app reads the test policy (``services_policy.toml``: the packaged one fitted to the small world,
which scores no class A and raises only amber repair warnings) through the ``services_policy`` setting.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from models.policy import load_policy
from serving.exports import safe_cell
from serving.queries import credit_records, record_status
from serving.rescore import live_as_of
from serving.services.common import UNREPAIRED_STATUSES
from serving.services.inspections import class_quotas
from serving.services.policy import POLICY_FILE, PolicyError, read_policy
from serving.store import audit_log, engine_for, enterprises
from tests.serving.fixtures import Keys, copied_world, make_keys, some_codes
from zonecredit.settings import Settings

TEST_POLICY = Path(__file__).resolve().parent / "services_policy.toml"
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


@pytest.fixture(scope="module")
def service_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the scored world: commitments and breaches load records and rescore."""
    return copied_world(tmp_path_factory, "services", services_policy=TEST_POLICY)


@pytest.fixture(scope="module")
def keys(service_settings: Settings) -> Keys:
    """This module's keys, in the copy's store."""
    return make_keys(service_settings.resolved_database_url)


@pytest.fixture(scope="module")
def api(service_settings: Settings) -> Iterator[TestClient]:
    from serving.app import create_app

    with TestClient(create_app(service_settings, watch_champions=False)) as test_client:
        yield test_client


def pdf_text(pdf: bytes) -> str:
    """Return the PDF's text with all whitespace removed (table cells may wrap)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return "".join(out.decode("utf-8").split())


def _audited(client: TestClient, settings: Settings, action: str) -> list[dict]:
    client.app.state.service.audit.flush()  # type: ignore[attr-defined]
    with engine_for(settings.resolved_database_url).connect() as connection:
        rows = connection.execute(sa.select(audit_log).where(audit_log.c.action == action)).mappings()
        return [dict(r) for r in rows]


def _with_records(settings: Settings, zone: str) -> str:
    """Return a scored enterprise of ``zone`` with a legal rep id, the most records and one to repair."""
    codes = some_codes(settings, zone, 100_000)
    records = credit_records(codes, settings.home)
    with engine_for(settings.resolved_database_url).connect() as connection:
        with_id = set(
            connection.execute(
                sa.select(enterprises.c.credit_code).where(enterprises.c.legal_rep_id.is_not(None))
            ).scalars()
        )
    statuses = record_status(records, date.today())
    to_repair = set(statuses.loc[statuses["status"].isin(UNREPAIRED_STATUSES), "credit_code"])
    counts = records[records["credit_code"].isin(with_id & to_repair)]["credit_code"].value_counts()
    return str(counts.index[0])


# ---------------------------------------------------------------- reports


def test_report_pdf_carries_name_code_grade_and_every_record(api, keys: Keys, service_settings):
    code = _with_records(service_settings, "teda")
    response = api.get(f"/v1/enterprises/{code}/report.pdf", headers=Keys.header(keys.analyst, "financing"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    profile = api.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.analyst)).json()
    text = pdf_text(response.content)
    assert "企业公共信用报告" in text and profile["profile"]["name"] in text and code in text
    assert profile["score"]["grade"] in text and str(profile["score"]["score"]) in text
    assert len(profile["records"]) >= 2
    for record in profile["records"]:
        assert record["event_id"] in text, record
    number, verification = response.headers["x-report-number"], response.headers["x-verification-code"]
    assert number in text and verification in text
    masked = profile["profile"]["legal_rep_id"]
    assert "*" in masked and masked in text, "an analyst's report masks the legal representative's id"
    confirmed = api.get(
        f"/v1/reports/{number}", params={"verification_code": verification}, headers=Keys.header(keys.analyst)
    ).json()
    assert (
        confirmed["verified"] is True
        and confirmed["credit_code"] == code
        and confirmed["purpose"] == "financing"
    )
    forged = api.get(
        f"/v1/reports/{number}",
        params={"verification_code": "0000-0000-0000-0000"},
        headers=Keys.header(keys.analyst),
    )
    assert forged.json()["verified"] is False
    audited = _audited(api, service_settings, "GET /v1/enterprises/{credit_code}/report.pdf")
    assert any(
        a["credit_code"] == code and a["purpose"] == "financing" and number in a["detail"] for a in audited
    )


def test_report_shows_the_admin_the_full_id_and_speaks_english(api, keys: Keys, service_settings):
    code = _with_records(service_settings, "teda")
    with engine_for(service_settings.resolved_database_url).connect() as connection:
        full_id = connection.execute(
            sa.select(enterprises.c.legal_rep_id).where(enterprises.c.credit_code == code)
        ).scalar_one()
    response = api.get(f"/v1/enterprises/{code}/report.pdf?lang=en", headers=Keys.header(keys.admin_teda))
    text = pdf_text(response.content)
    assert full_id in text and "Enterprisepubliccreditreport" in text and "Repairguidance" in text


def test_report_batch_is_one_zip_of_the_filtered_list(api, keys: Keys):
    response = api.get(
        "/v1/reports.zip", params={"zone": "hitech", "limit": 2}, headers=Keys.header(keys.admin_hitech)
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert len(names) == 2
        for name in names:
            assert name.split("-")[0] in pdf_text(archive.read(name))
    other = api.get("/v1/reports.zip", params={"zone": "teda"}, headers=Keys.header(keys.admin_hitech))
    assert other.status_code == 404


# ---------------------------------------------------------------- programs


def test_financing_list_follows_its_rule_and_the_callers_zones(api, keys: Keys):
    everyone = api.get("/v1/programs/financing", headers=Keys.header(keys.analyst)).json()
    assert everyone["total"] > 0 and everyone["policy_version"] == "test-1"
    warned = api.get("/v1/warnings", params={"limit": 500}, headers=Keys.header(keys.analyst)).json()["items"]
    warned_codes = {w["credit_code"] for w in warned}
    for item in everyone["items"]:
        assert item["supervision_class"] in ("A", "B") and item["credit_code"] not in warned_codes
        assert set(item["figures"]) == {
            "tax_filed_on_time_rate_12m",
            "ss_paid_ratio_12m",
            "util_electricity_yoy_12m",
            "tg_last_grade",
        }
        records = api.get(f"/v1/enterprises/{item['credit_code']}", headers=Keys.header(keys.analyst)).json()[
            "records"
        ]
        assert not {r["status"] for r in records} & {"repairable", "waiting", "listed", "in_force"}
    teda = api.get("/v1/programs/financing", headers=Keys.header(keys.admin_teda)).json()
    assert teda["items"] and {i["zone"] for i in teda["items"]} == {"teda"}
    assert teda["items"] == [i for i in everyone["items"] if i["zone"] == "teda"]
    assert (
        api.get("/v1/programs/financing?zone=hitech", headers=Keys.header(keys.admin_teda)).status_code == 404
    )


def test_a_program_added_by_policy_alone_is_listed(api, keys: Keys):
    programs = api.get("/v1/programs", headers=Keys.header(keys.analyst)).json()
    assert set(programs["programs"]) == {"financing", "green-channel", "rental", "travel", "procurement"}
    listed = api.get("/v1/programs/procurement", headers=Keys.header(keys.analyst)).json()
    assert listed["total"] > 0 and {i["supervision_class"] for i in listed["items"]} == {"C"}
    assert all(i["figures"]["not_a_feature"] is None for i in listed["items"]), (
        "an unknown figure stays blank"
    )
    assert api.get("/v1/programs/lottery", headers=Keys.header(keys.analyst)).status_code == 404


def test_green_channel_excludes_recent_records(api, keys: Keys):
    green = api.get("/v1/programs/green-channel", headers=Keys.header(keys.analyst)).json()
    assert green["total"] > 0 and {i["supervision_class"] for i in green["items"]} <= {"A", "B"}
    for item in green["items"]:
        records = api.get(f"/v1/enterprises/{item['credit_code']}", headers=Keys.header(keys.analyst)).json()[
            "records"
        ]
        recent = [r for r in records if r["status"] != "positive" and r["shown_from"] > "2021-10-31"]
        assert not recent, item


def test_export_records_who_sent_what_to_whom(api, keys: Keys):
    sent = api.post(
        "/v1/programs/financing/exports",
        json={"recipient": '=HYPERLINK("x") 滨海农商银行'},
        headers=Keys.header(keys.admin_teda, "bank_sharing"),
    )
    assert sent.status_code == 200, sent.text
    lines = sent.content.decode("utf-8-sig").splitlines()
    teda = api.get("/v1/programs/financing", headers=Keys.header(keys.admin_teda)).json()["items"]
    assert lines[0].startswith("credit_code,name,zone") and len(lines) == 1 + len(teda)
    log = api.get("/v1/programs/financing/exports", headers=Keys.header(keys.admin_teda)).json()["items"]
    mine = next(e for e in log if e["export_id"] == int(sent.headers["x-export-id"]))
    assert mine["recipient"].endswith("滨海农商银行") and mine["purpose"] == "bank_sharing"
    assert mine["credit_codes"] == [i["credit_code"] for i in teda] and mine["zones"] == ["teda"]
    hitech_log = api.get("/v1/programs/financing/exports", headers=Keys.header(keys.admin_hitech)).json()[
        "items"
    ]
    assert all(e["export_id"] != mine["export_id"] for e in hitech_log), (
        "another zone's admin does not see it"
    )
    assert (
        api.post(
            "/v1/programs/financing/exports", json={"recipient": "bank"}, headers=Keys.header(keys.analyst)
        ).status_code
        == 403
    )
    assert (
        api.post(
            "/v1/programs/financing/exports",
            json={"recipient": "bank", "zone": "teda"},
            headers=Keys.header(keys.admin_hitech),
        ).status_code
        == 404
    )


def test_missed_commitment_becomes_an_ingested_breach(api, keys: Keys, service_settings):
    # hitech: the browser tests record a teda commitment and need teda's green channel intact
    green = api.get("/v1/programs/green-channel?zone=hitech", headers=Keys.header(keys.admin_hitech)).json()[
        "items"
    ]
    code = green[-1]["credit_code"]
    body = {"credit_code": code, "department": "滨海新区行政审批局", "promised_on": "2024-09-02"}
    made = api.post(
        "/v1/programs/green-channel/commitments", json=body, headers=Keys.header(keys.admin_hitech)
    )
    assert made.status_code == 201, made.text
    commitment = made.json()
    assert commitment["deadline"] == "2024-10-02" and commitment["status"] == "open"
    assert "容缺" in commitment["template"]
    assert (
        api.post(
            "/v1/programs/financing/commitments", json=body, headers=Keys.header(keys.admin_hitech)
        ).status_code
        == 422
    ), "financing takes no commitment"
    swept = api.post(
        "/v1/commitments/breaches", json={"on": "2024-10-31"}, headers=Keys.header(keys.admin_hitech)
    )
    assert swept.status_code == 200, swept.text
    breached = next(c for c in swept.json()["items"] if c["commitment_id"] == commitment["commitment_id"])
    assert breached["status"] == "breached" and breached["event_id"]
    records = credit_records([code], service_settings.home)
    found = records[records["event_id"] == breached["event_id"]].iloc[0]
    assert found["kind"] == "commitment_breached" and found["occurred_on"] == pd.Timestamp("2024-10-03")
    assert (records["kind"] == "commitment_made").any()
    from serving.rescore import enterprises_features

    features = enterprises_features([code], date(2024, 10, 31), service_settings)
    assert features["ce_commitment_breached_count_12m"].iloc[0] == 1, "the breach counts in the features"
    profile = api.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_hitech)).json()
    rescored = [h for h in profile["history"] if h["trigger"] == "batch"]
    assert len(rescored) == 2, "the commitment and its breach were each rescored on arrival"
    assert profile["history"][-1] == rescored[-1] and rescored[-1]["note"].startswith("credit_events batch ")
    score = api.get(f"/v1/enterprises/{code}/score", headers=Keys.header(keys.admin_hitech)).json()
    assert score["as_of"] == f"{live_as_of(service_settings.home):%Y-%m-%d}", "the class shown is the new one"
    again = api.patch(
        f"/v1/commitments/{commitment['commitment_id']}",
        json={"status": "fulfilled"},
        headers=Keys.header(keys.admin_hitech),
    )
    assert again.status_code == 409
    after = api.get("/v1/programs/green-channel?zone=hitech", headers=Keys.header(keys.admin_hitech)).json()[
        "items"
    ]
    assert code not in {i["credit_code"] for i in after}, "a breach is an unrepaired record: off the list"


# ---------------------------------------------------------------- inspections


def test_quotas_follow_rates_and_size():
    counts = {"A": 0, "B": 10, "C": 70, "D": 20}
    rates = {"A": 0.02, "B": 0.05, "C": 0.1, "D": 0.4}
    assert class_quotas(counts, rates, None) == {"A": 0, "B": 1, "C": 7, "D": 8}
    sized = class_quotas(counts, rates, 10)
    assert sum(sized.values()) == 10 and sized["D"] / 20 > sized["C"] / 70 > 0
    assert sum(class_quotas(counts, rates, 1_000).values()) == 100


def test_draw_is_reproducible_from_its_seed_and_stored(api, keys: Keys):
    body = {"zone": "teda", "seed": 2026, "size": 12, "inspectors": ["王", "李", "张", "赵"]}
    first = api.post("/v1/inspections/draw", json=body, headers=Keys.header(keys.admin_teda))
    assert first.status_code == 201, first.text
    again = api.post("/v1/inspections/draw", json=body, headers=Keys.header(keys.admin_teda)).json()
    other = api.post(
        "/v1/inspections/draw", json=body | {"seed": 1}, headers=Keys.header(keys.admin_teda)
    ).json()
    drawn = first.json()
    assert len(drawn["items"]) == 12 and drawn["items"] == again["items"] != other["items"]
    population, by_class = drawn["population_by_class"], drawn["drawn_by_class"]
    rates = load_policy().inspection_rate
    weight = {c: rates[c] * n for c, n in population.items()}
    for c, n in population.items():  # each class gets its rate-weighted share of 12, give or take rounding
        expected = 12 * weight[c] / sum(weight.values())
        assert abs(by_class.get(c, 0) - expected) < 1 or by_class.get(c, 0) == n, (c, by_class, population)
    assert all(len(i["inspectors"]) == 2 for i in drawn["items"])
    stored = api.get(f"/v1/inspections/{drawn['draw_id']}", headers=Keys.header(keys.analyst)).json()
    assert stored["items"] == drawn["items"] and stored["seed"] == 2026 and stored["drawn_by"]
    csv = api.get(f"/v1/inspections/{drawn['draw_id']}/export.csv", headers=Keys.header(keys.admin_teda))
    assert csv.status_code == 200 and len(csv.content.decode("utf-8-sig").splitlines()) == 13
    assert (
        api.get(f"/v1/inspections/{drawn['draw_id']}", headers=Keys.header(keys.admin_hitech)).status_code
        == 404
    )
    listed = api.get("/v1/inspections", headers=Keys.header(keys.admin_hitech)).json()["items"]
    assert all(d["zone"] == "hitech" for d in listed)
    assert (
        api.post(
            "/v1/inspections/draw", json=body | {"zone": "hitech"}, headers=Keys.header(keys.admin_teda)
        ).status_code
        == 404
    )
    assert (
        api.post(
            "/v1/inspections/draw", json=body | {"rates": {"D": 2}}, headers=Keys.header(keys.admin_teda)
        ).status_code
        == 422
    )


# ---------------------------------------------------------------- clear-out


def test_clearout_case_moves_through_its_steps(api, keys: Keys, service_settings):
    opened = api.post("/v1/clearouts", json={"zone": "teda"}, headers=Keys.header(keys.admin_teda))
    assert opened.status_code == 201, opened.text
    queue = api.get("/v1/clearouts?zone=teda", headers=Keys.header(keys.admin_teda)).json()
    assert queue["rule"] == {"level": "amber", "persistent_batches": 2} and queue["items"]
    assert (
        api.post("/v1/clearouts", json={"zone": "teda"}, headers=Keys.header(keys.admin_teda)).json()["items"]
        == []
    )
    case = next(c for c in queue["items"] if c["status"] == "candidate")  # the browser test moves another
    assert case["records"] and case["batches"] >= 2
    url = f"/v1/clearouts/{case['case_id']}"
    admin = Keys.header(keys.admin_teda, "clearout")
    early = api.patch(url, json={"status": "cleared", "reason": "too soon"}, headers=admin)
    assert early.status_code == 409 and "notified" in early.json()["detail"]
    assert (
        api.patch(
            url, json={"status": "notified", "reason": "x"}, headers=Keys.header(keys.analyst)
        ).status_code
        == 403
    )
    assert (
        api.patch(
            url, json={"status": "notified", "reason": "x"}, headers=Keys.header(keys.admin_hitech)
        ).status_code
        == 404
    )
    assert api.patch(url, json={"status": "notified", "reason": ""}, headers=admin).status_code == 422
    assert (
        api.patch(url, json={"status": "notified", "reason": "告知书已送达"}, headers=admin).json()["status"]
        == "notified"
    )
    done = api.patch(url, json={"status": "cleared", "reason": "逾期未修复"}, headers=admin).json()
    assert [s["to_status"] for s in done["steps"]] == ["candidate", "notified", "cleared"]
    assert done["steps"][-1]["reason"] == "逾期未修复"
    assert api.patch(url, json={"status": "kept", "reason": "x"}, headers=admin).status_code == 409
    audited = _audited(api, service_settings, "PATCH /v1/clearouts/{case_id}")
    assert sum(a["credit_code"] == case["credit_code"] and a["purpose"] == "clearout" for a in audited) == 2
    csv = api.get("/v1/clearouts/export.csv", headers=Keys.header(keys.admin_teda)).content.decode(
        "utf-8-sig"
    )
    assert case["credit_code"] in csv
    assert (
        case["credit_code"]
        not in api.get("/v1/clearouts/export.csv", headers=Keys.header(keys.admin_hitech)).text
    )


# ---------------------------------------------------------------- scoping, policy, exports


ENDPOINTS = [
    ("get", "/v1/enterprises/{code}/report.pdf", None),
    ("get", "/v1/reports.zip?limit=1", None),
    ("get", "/v1/programs", None),
    ("get", "/v1/programs/financing", None),
    ("get", "/v1/programs/green-channel", None),
    ("post", "/v1/programs/financing/exports", {"recipient": "bank"}),
    ("get", "/v1/programs/financing/exports", None),
    ("post", "/v1/programs/green-channel/commitments", {"credit_code": "{code}", "department": "d"}),
    ("get", "/v1/commitments", None),
    ("post", "/v1/commitments/breaches", {}),
    ("post", "/v1/inspections/draw", {"zone": "teda", "seed": 1}),
    ("get", "/v1/inspections", None),
    ("get", "/v1/clearouts", None),
    ("get", "/v1/clearouts/export.csv", None),
    ("post", "/v1/clearouts", {}),
    ("get", "/v1/reports/ZC20260101-XXXX-000000", None),
    ("get", "/v1/inspections/1", None),
    ("get", "/v1/clearouts/1", None),
    ("patch", "/v1/clearouts/1", {"status": "kept", "reason": "x"}),
    ("patch", "/v1/commitments/1", {"status": "fulfilled"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_the_scorer_role_gets_none_of_it(api, keys: Keys, service_settings, method, path, body):
    code = some_codes(service_settings, "teda", 1)[0]
    path = path.format(code=code)
    body = (
        {k: v.format(code=code) if isinstance(v, str) else v for k, v in (body or {}).items()}
        if body is not None
        else None
    )
    response = api.request(method.upper(), path, json=body, headers=Keys.header(keys.scorer))
    assert response.status_code == 403, (path, response.text)


def test_another_zones_records_are_not_found(api, keys: Keys, service_settings):
    code = some_codes(service_settings, "teda", 1)[0]
    hitech = Keys.header(keys.admin_hitech)
    assert api.get(f"/v1/enterprises/{code}/report.pdf", headers=hitech).status_code == 404
    issued = api.get(f"/v1/enterprises/{code}/report.pdf", headers=Keys.header(keys.admin_teda))
    assert api.get(f"/v1/reports/{issued.headers['x-report-number']}", headers=hitech).status_code == 404
    assert (
        api.post(
            "/v1/programs/green-channel/commitments",
            json={"credit_code": code, "department": "d"},
            headers=hitech,
        ).status_code
        == 404
    )
    assert all(c["zone"] == "hitech" for c in api.get("/v1/commitments", headers=hitech).json()["items"])
    assert all(c["zone"] == "hitech" for c in api.get("/v1/clearouts", headers=hitech).json()["items"])
    assert all(
        i["zone"] == "hitech" for i in api.get("/v1/programs/green-channel", headers=hitech).json()["items"]
    )


def test_the_packaged_policy_is_valid_and_strict(tmp_path):
    policy = read_policy(POLICY_FILE)
    assert {"financing", "green-channel", "rental", "travel"} <= set(policy.programs)
    rates = load_policy().inspection_rate
    assert rates["D"] == max(rates.values()) and policy.clearout.level == "red"
    typo = tmp_path / "policy.toml"
    typo.write_text(
        POLICY_FILE.read_text(encoding="utf-8").replace("clean_years = 3", "clean_yeras = 3"),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="clean_yeras"):
        read_policy(typo)


def test_spreadsheet_cells_stay_data():
    assert [safe_cell(v) for v in ("=1+1", "+86", "-3", "@x", "\tA", "ok", 5)] == [
        "'=1+1",
        "'+86",
        "'-3",
        "'@x",
        "'\tA",
        "ok",
        5,
    ]
