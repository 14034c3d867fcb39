"""POST /v1/scores and GET /v1/enterprises/{code}/score: stored and computed scores, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.fixtures import Keys, ServedWorld, frame_of_features, some_codes

UNKNOWN = "91120116MA05T3K726"  # valid, but not in the world
BAD_CHECK = "91120116MA05T3K72X"  # fails its final check character


def _rows(settings, codes: list[str]) -> list[dict]:
    features = frame_of_features(settings)
    features = features[features["credit_code"].isin(codes)].astype(object)
    features = features.where(features.notna(), None)
    features["as_of"] = features["as_of"].astype(str)
    return features.to_dict(orient="records")


def test_one_score_carries_grade_reasons_and_model_version(client, keys: Keys, settings):
    code = some_codes(settings, "teda", 1)[0]
    response = client.get(f"/v1/enterprises/{code}/score", headers=Keys.header(keys.scorer))
    assert response.status_code == 200
    body = response.json()
    assert body["credit_code"] == code and body["model_version"] == response.headers["X-Model-Version"]
    assert 300 <= body["score"] <= 900 and body["grade"] in (
        "AAA",
        "AA",
        "A",
        "BBB",
        "BB",
        "B",
        "CCC",
        "CC",
        "C",
    )
    assert body["supervision_class"] in "ABCD" and body["feature_set_version"].startswith("credit-")
    assert body["reasons"] and {"feature", "zh", "en", "contribution"} <= set(body["reasons"][0])


def test_malformed_code_is_422_naming_the_position(client, keys: Keys):
    response = client.get(f"/v1/enterprises/{BAD_CHECK}/score", headers=Keys.header(keys.scorer))
    assert response.status_code == 422
    assert "position 18" in response.json()["detail"]
    short = client.get("/v1/enterprises/9112/score", headers=Keys.header(keys.scorer))
    assert short.status_code == 422 and "expected 18" in short.json()["detail"]


def test_unknown_code_and_other_zone_look_the_same(client, keys: Keys, settings):
    teda = some_codes(settings, "teda", 1)[0]
    unknown = client.get(f"/v1/enterprises/{UNKNOWN}/score", headers=Keys.header(keys.scorer))
    elsewhere = client.get(f"/v1/enterprises/{teda}/score", headers=Keys.header(keys.admin_hitech))
    assert unknown.status_code == elsewhere.status_code == 404
    assert elsewhere.json()["detail"] == f"enterprise {teda} not found"


def test_batch_of_codes_keeps_order_and_lists_codes_not_found(client, keys: Keys, settings):
    teda, hitech = some_codes(settings, "teda", 3), some_codes(settings, "hitech", 2)
    asked = [hitech[0], *teda, UNKNOWN, hitech[1]]
    analyst = client.post(
        "/v1/scores", json={"credit_codes": asked}, headers=Keys.header(keys.analyst)
    ).json()
    assert [s["credit_code"] for s in analyst["scores"]] == [hitech[0], *teda, hitech[1]]
    assert analyst["not_found"] == [UNKNOWN]
    admin = client.post(
        "/v1/scores", json={"credit_codes": asked}, headers=Keys.header(keys.admin_teda)
    ).json()
    assert [s["credit_code"] for s in admin["scores"]] == teda
    assert admin["not_found"] == [hitech[0], UNKNOWN, hitech[1]]


def test_feature_rows_score_like_the_batch(client, keys: Keys, settings):
    codes = some_codes(settings, None, 40)[-20:]
    stored = client.post("/v1/scores", json={"credit_codes": codes}, headers=Keys.header(keys.scorer)).json()
    computed = client.post(
        "/v1/scores", json={"rows": _rows(settings, codes)}, headers=Keys.header(keys.scorer)
    )
    assert computed.status_code == 200, computed.text
    by_code = {s["credit_code"]: s for s in computed.json()["scores"]}
    for score in stored["scores"]:
        if score["scored_at"] and score["model_version"] == computed.json()["model_version"]:
            fresh = by_code[score["credit_code"]]
            assert np.isclose(fresh["pd"], score["pd"], atol=1e-6)
            assert (fresh["grade"], fresh["supervision_class"]) == (
                score["grade"],
                score["supervision_class"],
            )


def _columns(rows: list[dict]) -> dict[str, list]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_column_wise_rows_score_exactly_like_row_objects(client, keys: Keys, settings):
    rows = _rows(settings, some_codes(settings, None, 40)[-25:])
    rows[3]["tax_arrears_months_12m"] = None  # a missing value stays missing in both forms
    rows[4]["reg_industry"] = None  # a missing level stays missing in both forms
    header = Keys.header(keys.scorer)
    objects = client.post("/v1/scores", json={"rows": rows, "top_reasons": 2}, headers=header)
    columns = client.post("/v1/scores", json={"columns": _columns(rows), "top_reasons": 2}, headers=header)
    assert objects.status_code == columns.status_code == 200, columns.text
    assert columns.json() == objects.json()
    assert [s["credit_code"] for s in columns.json()["scores"]] == [r["credit_code"] for r in rows]
    reordered = [dict(reversed(row.items())) for row in rows]  # another key order, another pass
    del reordered[3]["tax_arrears_months_12m"]  # a key left out is a missing value, like null
    response = client.post("/v1/scores", json={"rows": reordered, "top_reasons": 2}, headers=header)
    assert response.json() == objects.json()


def test_column_wise_bodies_name_the_bad_column_and_row(client, keys: Keys, settings):
    good = _columns(_rows(settings, some_codes(settings, None, 3)))
    header = Keys.header(keys.scorer)
    cases = {
        "a number as text": (
            {"tax_arrears_months_12m": [0, "1.5", 2]},
            422,
            "columns.tax_arrears_months_12m[1]: expected a number, got '1.5'",
        ),
        "a boolean": (
            {"tax_arrears_months_12m": [0, 1, True]},
            422,
            "columns.tax_arrears_months_12m[2]: expected a number, got True",
        ),
        "all booleans": (
            {"tax_arrears_months_12m": [True, False, True]},
            422,
            "columns.tax_arrears_months_12m[0]: expected a number, got True",
        ),
        "a nested array": (
            {"tax_arrears_months_12m": [[0], 1, 2]},
            422,
            "columns.tax_arrears_months_12m[0]: expected a number",
        ),
        "uneven lengths": (
            {"tax_arrears_months_12m": [0, 1]},
            422,
            "holds 2 values but columns.credit_code holds 3",
        ),
        "not an array": (
            {"tax_arrears_months_12m": 0},
            422,
            "columns.tax_arrears_months_12m must be a JSON array",
        ),
        "a number for a category": (
            {"reg_zone": ["teda", 3, None]},
            422,
            "columns.reg_zone[1]: expected text, got 3",
        ),
        "unknown column": ({"colour": [1, 2, 3]}, 422, "unknown column(s) colour"),
        "a number as date": ({"as_of": [20241031, None, None]}, 422, "rows[0].as_of: 20241031 is not a date"),
        "a bad code": ({"credit_code": ["91120116MA05T3K72X"] * 3}, 422, "rows[0].credit_code"),
        "an array as a code": (
            {"credit_code": [["91120116MA05T3K726"], None, None]},
            422,
            "rows[0].credit_code",
        ),
        "an array as a date": ({"as_of": [None, ["2024-10-31"], None]}, 422, "rows[1].as_of"),
    }
    for case, (change, status, message) in cases.items():
        response = client.post("/v1/scores", json={"columns": {**good, **change}}, headers=header)
        assert response.status_code == status, (case, response.text)
        assert message in response.json()["detail"], (case, response.json())
    for body, message in (
        ({"columns": []}, "columns must be a JSON object"),
        ({"columns": {}}, "columns is empty"),
        ({"columns": {"credit_code": []}}, "columns hold no values"),
        ({"columns": good, "rows": [{}]}, "exactly one of"),
    ):
        response = client.post("/v1/scores", json=body, headers=header)
        assert response.status_code == 422 and message in response.json()["detail"], (body, response.text)
    too_long = {"credit_code": [UNKNOWN] * (settings.max_batch + 1)}
    response = client.post("/v1/scores", json={"columns": too_long}, headers=header)
    assert response.status_code == 413 and "at most 10000" in response.json()["detail"]


def _arrow(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


ARROW = {"Content-Type": "application/vnd.apache.arrow.stream"}


def test_arrow_streams_score_exactly_like_json(client, keys: Keys, settings):
    rows = _rows(settings, some_codes(settings, None, 40)[-25:])
    header = Keys.header(keys.scorer)
    objects = client.post("/v1/scores", json={"rows": rows, "top_reasons": 2}, headers=header)
    frame = pd.DataFrame(rows)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date  # a date32 column, as a client would send
    table = pa.Table.from_pandas(frame, preserve_index=False)
    arrow = client.post("/v1/scores?top_reasons=2", content=_arrow(table), headers={**header, **ARROW})
    assert arrow.status_code == 200, arrow.text
    assert arrow.json() == objects.json()
    assert arrow.headers["X-Model-Version"] == objects.headers["X-Model-Version"]


def test_arrow_streams_are_checked_like_json(client, keys: Keys, settings):
    records = _rows(settings, some_codes(settings, None, 3))
    rows = pd.DataFrame(records)
    header = {**Keys.header(keys.scorer), **ARROW}

    def post(frame: pd.DataFrame, query: str = ""):
        body = _arrow(pa.Table.from_pandas(frame, preserve_index=False))
        return client.post(f"/v1/scores{query}", content=body, headers=header)

    cases = {
        "text for a number": (
            rows.assign(tax_arrears_months_12m="1"),
            422,
            "column tax_arrears_months_12m: expected numbers, got Arrow type large_string",
        ),
        "booleans": (rows.assign(tax_arrears_months_12m=True), 422, "expected numbers, got Arrow type bool"),
        "a number for text": (
            rows.assign(credit_code=1),
            422,
            "column credit_code: expected text, got Arrow type int64",
        ),
        "unknown column": (rows.assign(colour=1.0), 422, "unknown column(s) colour"),
        "a bad code": (rows.assign(credit_code="91120116MA05T3K72X"), 422, "rows[0].credit_code"),
        "no rows": (rows.head(0), 422, "holds no rows"),
    }
    for case, (frame, status, message) in cases.items():
        response = post(frame)
        assert response.status_code == status, (case, response.text)
        assert message in response.json()["detail"], (case, response.json())
    assert post(rows, "?top_reasons=11").status_code == 422
    not_arrow = client.post("/v1/scores", content=b"not an arrow stream", headers=header)
    assert not_arrow.status_code == 422 and "not an Arrow IPC stream" in not_arrow.json()["detail"]
    query_for_json = client.post(
        "/v1/scores?top_reasons=1", json={"rows": records}, headers=Keys.header(keys.scorer)
    )
    assert query_for_json.status_code == 422 and "goes in the body" in query_for_json.json()["detail"]
    too_long = post(pd.DataFrame({"credit_code": [UNKNOWN] * (settings.max_batch + 1)}))
    assert too_long.status_code == 413 and "at most 10000" in too_long.json()["detail"]


def test_oversized_batches_are_refused(client, keys: Keys, settings):
    too_many = {"credit_codes": [UNKNOWN] * (settings.max_batch + 1)}
    response = client.post("/v1/scores", json=too_many, headers=Keys.header(keys.scorer))
    assert response.status_code == 413 and "at most 10000" in response.json()["detail"]


def test_oversized_bodies_are_refused_before_parsing(world: ServedWorld, keys: Keys):
    small = create_app(world.settings(max_body_bytes=2048), watch_champions=False)
    with TestClient(small) as tiny:
        response = tiny.post(
            "/v1/scores", json={"credit_codes": [UNKNOWN] * 200}, headers=Keys.header(keys.scorer)
        )
    assert response.status_code == 413 and "exceeds 2048" in response.json()["detail"]


def test_wrong_content_type_is_415(client, keys: Keys):
    response = client.post(
        "/v1/scores",
        content=b"credit_codes=91120116MA05T3K726",
        headers={**Keys.header(keys.scorer), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (
        response.status_code == 415
        and "application/json or application/vnd.apache.arrow.stream" in (response.json()["detail"])
    )


def test_malformed_bodies_are_422_with_the_place(client, keys: Keys, settings):
    header = {**Keys.header(keys.scorer), "Content-Type": "application/json"}
    cases = {
        b"{not json": "not valid JSON",
        b"[]": "JSON object",
        b"{}": "exactly one of",
        b'{"credit_codes": []}': "is empty",
        b'{"credit_codes": "91120116MA05T3K726"}': "JSON array",
        b'{"credit_codes": ["91120116MA05T3K726", 7]}': "credit_codes[1]: expected a string",
        b'{"credit_codes": ["91120116MA05T3K726", "91120116MA05T3K72X"]}': "credit_codes[1]",
        b'{"credit_codes": ["91120116MA05T3K726"], "colour": 1}': "unknown field",
        b'{"rows": [1]}': "rows[0] must be a JSON object",
        b'{"rows": [{"tax_arrears_months_12m": 1}]}': "lack",
        b'{"credit_codes": ["91120116MA05T3K726"], "top_reasons": 99}': "top_reasons",
    }
    for body, message in cases.items():
        response = client.post("/v1/scores", content=body, headers=header)
        assert response.status_code == 422, (body, response.text)
        assert message in response.json()["detail"], (body, response.json())
    rows = _rows(settings, some_codes(settings, None, 2))
    for row in rows:  # a column of booleans only: pandas would call it numeric
        row["tax_arrears_months_12m"] = True
    response = client.post("/v1/scores", json={"rows": rows}, headers=Keys.header(keys.scorer))
    assert response.json()["detail"] == "rows[0].tax_arrears_months_12m: expected a number, got True"
    rows[0]["tax_arrears_months_12m"] = "many"
    response = client.post("/v1/scores", json={"rows": rows}, headers=Keys.header(keys.scorer))
    assert response.status_code == 422
    assert response.json()["detail"] == "rows[0].tax_arrears_months_12m: expected a number, got 'many'"
    for row in rows:
        row["tax_arrears_months_12m"] = 0
    rows[1]["reg_industry"] = 7  # a code where a category's name belongs would read as an unseen level
    response = client.post("/v1/scores", json={"rows": rows}, headers=Keys.header(keys.scorer))
    assert response.json()["detail"] == "rows[1].reg_industry: expected text, got 7"


def test_missing_or_revoked_keys_are_401(client, keys: Keys, settings):
    from serving.keys import create_key, revoke_key

    code = some_codes(settings, None, 1)[0]
    assert client.get(f"/v1/enterprises/{code}/score").status_code == 401
    bad = client.get(f"/v1/enterprises/{code}/score", headers=Keys.header("zc_nope_nope"))
    assert bad.status_code == 401
    key = create_key(settings.resolved_database_url, "scorer", name="short-lived")
    assert client.get(f"/v1/enterprises/{code}/score", headers=Keys.header(key)).status_code == 200
    revoke_key(settings.resolved_database_url, key.split("_")[1])
    refused = client.get(f"/v1/enterprises/{code}/score", headers=Keys.header(key))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_scores_served_are_counted(client, keys: Keys, settings):
    code = some_codes(settings, None, 1)[0]
    client.get(f"/v1/enterprises/{code}/score", headers=Keys.header(keys.scorer))
    text = client.get("/metrics").text
    served = [
        line
        for line in text.splitlines()
        if line.startswith('zonecredit_scores_served_total{origin="stored"}')
    ]
    assert served and float(served[0].split()[-1]) >= 1
    assert 'route="/v1/enterprises/{credit_code}/score"' in text
