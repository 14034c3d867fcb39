"""The request schema of POST /v1/scores and the decoder agree: both derive from ``serving.wire``.

Whatever the published schema refuses, the decoder refuses with a 422 (what schemathesis'
negative-data check relies on), every field the schema lists is decoded as its declared kind, and
a wrong type is answered with the message the decoder documents.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from features.registry import CATEGORIES, FEATURES_BY_NAME
from serving.errors import ApiError
from serving.routes import api_router
from serving.schemas import EXAMPLE_CODE
from serving.wire import FORMS, JSON, ROW_FIELDS, feature_columns, parse_json

GOOD = {"number": 1.5, "code": EXAMPLE_CODE, "date": "2025-12-31"}
CANDIDATES: list[Any] = [0, -2, 1.5, None, True, "x", "1.5", "2025-12-31", EXAMPLE_CODE, [], {}, "C13"]


def _good(name: str) -> Any:
    field = ROW_FIELDS[name]
    return field.levels[0] if field.kind == "category" else GOOD[field.kind]


def _decoded(body: dict[str, Any]) -> dict[str, np.ndarray]:
    codes, rows, _ = parse_json(body, max_batch=100)
    assert codes is None
    return feature_columns(rows)


@pytest.fixture(scope="module")
def body_schema() -> dict[str, Any]:
    """The body schema as /openapi.json publishes it (the API's router alone: no world needed)."""
    app = FastAPI()
    app.include_router(api_router)
    operation = TestClient(app).get("/openapi.json").json()["paths"]["/v1/scores"]["post"]
    return operation["requestBody"]["content"][JSON]["schema"]


def test_the_schema_lists_every_field_the_decoder_reads(body_schema):
    assert set(body_schema["properties"]) == {*FORMS, "top_reasons"}
    row = body_schema["properties"]["rows"]["anyOf"][0]["items"]
    columns = body_schema["properties"]["columns"]["anyOf"][0]
    expected = {"credit_code", "as_of", *FEATURES_BY_NAME}
    assert set(row["properties"]) == set(columns["properties"]) == set(ROW_FIELDS) == expected
    assert row["additionalProperties"] is False and columns["additionalProperties"] is False
    for name, levels in CATEGORIES.items():
        assert row["properties"][name]["enum"] == [*levels, None]
    decoded = _decoded({"rows": [{name: _good(name) for name in ROW_FIELDS}]})
    assert set(decoded) == set(ROW_FIELDS)
    for name, values in decoded.items():
        kind = ROW_FIELDS[name].kind
        expected_type = {"number": np.float64, "date": np.datetime64}.get(kind, np.object_)
        assert np.issubdtype(values.dtype, expected_type), name


def test_what_the_schema_refuses_the_decoder_refuses(body_schema):
    validator = jsonschema.Draft202012Validator(body_schema)
    for name in ROW_FIELDS:
        for value in [*CANDIDATES, _good(name)]:
            for body in ({"rows": [{name: value}]}, {"columns": {name: [value]}}):
                if validator.is_valid(body):
                    continue
                with pytest.raises(ApiError) as refused:
                    _decoded(body)
                assert refused.value.status == 422, (name, value)
            assert validator.is_valid({"rows": [{name: _good(name)}]}), name


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"rows": [{"tax_arrears_months_12m": "1.5"}]},
            "rows[0].tax_arrears_months_12m: expected a number, got '1.5'",
        ),
        ({"columns": {"reg_zone": ["teda", 7]}}, "columns.reg_zone[1]: expected text, got 7"),
        ({"rows": [{"reg_zone": "mars"}]}, "rows[0].reg_zone: 'mars' is not a level of reg_zone"),
        ({"rows": [{"as_of": 20251231}]}, "rows[0].as_of: 20251231 is not a date"),
        ({"rows": [{"credit_code": 7}]}, "rows[0].credit_code:"),
        ({"rows": [{"no_such_feature": 1}]}, "rows carry unknown column(s) no_such_feature"),
        ({"rows": [{}], "top_reasons": 11}, "top_reasons must be an integer from 0 to 10"),
    ],
)
def test_a_wrong_value_gets_the_documented_422(body_schema, body, message):
    assert not jsonschema.Draft202012Validator(body_schema).is_valid(body)
    with pytest.raises(ApiError) as refused:
        _decoded(body)
    assert refused.value.status == 422 and message in refused.value.message
