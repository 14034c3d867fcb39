"""GET /v1/enterprises/{code} and …/explanation: profile, history, masking, audit, explanation."""

from __future__ import annotations

import sqlalchemy as sa

from serving.store import audit_log, engine_for
from tests.serving.fixtures import AS_OF_DATES, Keys, some_codes


def test_profile_history_records_and_warnings(client, keys: Keys, settings):
    code = some_codes(settings, "teda", 1)[0]
    response = client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_teda))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile"]["zone"] == "teda" and body["score"]["credit_code"] == code
    assert {h["as_of"] for h in body["history"]} == {f"{d:%Y-%m-%d}" for d in AS_OF_DATES}
    assert all(h["trigger"] == "month_end" for h in body["history"])
    assert isinstance(body["records"], list) and isinstance(body["warnings"], list)


def test_legal_representative_masked_except_for_admins(client, keys: Keys, settings):
    code = some_codes(settings, "teda", 1)[0]
    admin = client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_teda)).json()
    analyst = client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.analyst)).json()
    full, masked = admin["profile"]["legal_rep_id"], analyst["profile"]["legal_rep_id"]
    assert "*" not in full and len(full) == 18
    assert masked == full[:6] + "*" * 8 + full[-4:]
    assert full[6:14] not in analyst.__repr__()


def test_scorer_cannot_read_profiles_and_admins_only_their_zones(client, keys: Keys, settings):
    teda = some_codes(settings, "teda", 1)[0]
    assert client.get(f"/v1/enterprises/{teda}", headers=Keys.header(keys.scorer)).status_code == 403
    other = client.get(f"/v1/enterprises/{teda}", headers=Keys.header(keys.admin_hitech))
    assert other.status_code == 404 and "legal_rep_id" not in other.text
    explanation = client.get(f"/v1/enterprises/{teda}/explanation", headers=Keys.header(keys.admin_hitech))
    assert explanation.status_code == 404


def test_reads_are_audited_with_who_and_why(client, keys: Keys, settings):
    code = some_codes(settings, "teda", 2)[1]
    client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.analyst, "inspection"))
    client.get(f"/v1/enterprises/{code}/score?purpose=credit-review", headers=Keys.header(keys.scorer))
    client.app.state.service.audit.flush()
    with engine_for(settings.resolved_database_url).connect() as connection:
        rows = connection.execute(
            sa.select(audit_log.c.role, audit_log.c.action, audit_log.c.purpose).where(
                audit_log.c.credit_code == code
            )
        ).all()
    assert ("analyst", "GET /v1/enterprises/{credit_code}", "inspection") in rows
    assert ("scorer", "GET /v1/enterprises/{credit_code}/score", "credit-review") in rows
    bad = client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.analyst, "no spaces allowed"))
    assert bad.status_code == 422 and "purpose" in bad.json()["detail"]


def test_explanation_has_contributions_reasons_and_an_improvement(client, keys: Keys, settings):
    code = some_codes(settings, "hitech", 1)[0]
    stored = client.get(f"/v1/enterprises/{code}/score", headers=Keys.header(keys.analyst)).json()
    response = client.get(f"/v1/enterprises/{code}/explanation", headers=Keys.header(keys.analyst))
    assert response.status_code == 200, response.text
    body = response.json()
    assert abs(body["score"]["pd"] - stored["pd"]) < 1e-6  # fresh features = the batch's features
    strengths = [abs(c["contribution"]) for c in body["contributions"]]
    assert strengths == sorted(strengths, reverse=True) and len(strengths) > 3
    assert set(body["improvement"]) == {"zh", "en", "pd", "grade", "reaches_next_grade"}
    assert body["improvement"]["pd"] <= body["score"]["pd"] + 1e-9


def test_the_credit_report_shows_a_revoked_record_as_revoked(tmp_path_factory):
    """The report reads the enterprise page's view: a revoke decided after the as-of date applies."""
    from datetime import date

    from data.corrections import Correction, add_correction
    from serving.keys import Principal
    from serving.services.reports import render_html, report_content
    from serving.store import engine_for
    from tests.serving.fixtures import copied_world, disputable_record

    copy = copied_world(tmp_path_factory, "report-revoked")
    code, event_id = disputable_record(copy, "teda")
    revoke = Correction(
        "credit_events", code, {"event_id": event_id}, "revoke", date.today(), "teda admin", "annulled"
    )
    add_correction(copy.resolved_database_url, revoke)
    admin = Principal("k1", "teda admin", "admin", frozenset({"teda"}))
    with engine_for(copy.resolved_database_url).connect() as connection:
        content = report_content(connection, admin, code, copy, date.today())
    record = next(r for r in content["records"] if r["event_id"] == event_id)
    assert record["status"] == "revoked" and record["correction"] == "revoke"
    assert event_id not in content["guidance"], "no repair guidance for a revoked record"
    html = render_html(content, "R-1", "V-1", "zh")
    assert "已撤销（异议更正）" in html and "名录中（待纠正）" not in html


def test_a_revoked_record_no_longer_keeps_an_enterprise_off_a_program(tmp_path_factory):
    """Programs that exclude unrepaired negative records read the same corrected view as the page."""
    from datetime import date

    from data.corrections import Correction, add_correction
    from serving.keys import Principal
    from serving.services.policy import Program
    from serving.services.programs import program_list
    from serving.store import engine_for
    from tests.serving.fixtures import copied_world, disputable_record

    copy = copied_world(tmp_path_factory, "program-revoked")
    code, event_id = disputable_record(copy, "teda")
    program = Program(
        title_zh="测试",
        title_en="test",
        description_zh="测试",
        description_en="test",
        classes=("A", "B", "C", "D"),
        require_active=False,
        no_active_warning=False,
        no_unrepaired_negative=True,
    )
    admin = Principal("k1", "teda admin", "admin", frozenset({"teda"}))

    def listed() -> set[str]:
        with engine_for(copy.resolved_database_url).connect() as connection:
            return {r["credit_code"] for r in program_list(connection, admin, program, copy.home, "teda")}

    assert code not in listed(), "an unrepaired record keeps it off"
    revoke = Correction(
        "credit_events", code, {"event_id": event_id}, "revoke", date.today(), "teda admin", "annulled"
    )
    add_correction(copy.resolved_database_url, revoke)
    assert code in listed(), "the record was wrong: nothing keeps it off now"
