"""Domain errors become HTTP statuses in one table: input the caller can fix 422, a missing step 503."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from data.corrections import CorrectionError
from data.credit_code import check_credit_code
from data.errors import InvalidArguments, ZonecreditError
from models.packaged import NoChampionError
from models.preprocess import FeatureRowsError
from serving.errors import install_handlers


def _raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_handlers(app)

    @app.get("/")
    def _fail() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def _bad_code() -> Exception:
    try:
        check_credit_code("91120116MA05JXXX0X")
    except ZonecreditError as exc:
        return exc
    raise AssertionError("the code was expected to be invalid")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (_bad_code(), 422),
        (FeatureRowsError("rows lack tax_arrears_months_12m"), 422),
        (CorrectionError("an amend correction needs new_values"), 422),
        (InvalidArguments("mess_rate must be in [0, 0.5)"), 422),
        (NoChampionError("credit"), 503),
        (ZonecreditError("no warehouse: ingest data first"), 400),
    ],
)
def test_each_kind_of_domain_error_has_its_status_and_message(error: Exception, status: int) -> None:
    response = _raising(error).get("/")
    assert response.status_code == status
    assert response.json()["detail"] == str(error)


def test_anything_else_is_a_logged_500_without_details() -> None:
    response = _raising(ValueError("internal detail")).get("/")
    assert response.status_code == 500 and "internal detail" not in response.text
