"""Scores: stored scores by credit code, and scores computed now from posted feature rows.

The hot paths skip per-row pydantic objects: stored scores are pre-serialised JSON joined into the
response, computed ones are built column-wise (``serving.outputs``) and written by orjson.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from data.credit_code import valid_mask
from features.registry import FEATURES_BY_NAME
from models.scoring import ScoringModel
from serving.deps import PurposeDep, ScoringPrincipal, StateDep
from serving.errors import ApiError, not_found, valid_code
from serving.keys import Principal
from serving.outputs import credit_records
from serving.routes.common import CreditCodePath
from serving.schemas import EXAMPLE_CODE, ScorePublic, ScoreRequest, ScoresPublic
from serving.store import latest_scores

router = APIRouter(tags=["scores"])
JSON = "application/json"
CHUNK = 900  # codes per IN (...) query, below every database's bound-parameter limit
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked API key"},
    403: {"description": "The key's role may not use this endpoint"},
    404: {"description": "Unknown enterprise (or outside the key's zones)"},
    422: {"description": "Malformed request, e.g. a credit code failing its check character"},
}
_REQUEST_BODY = {
    "required": True,
    "content": {
        JSON: {
            "schema": ScoreRequest.model_json_schema(),
            "examples": {
                "codes": {"summary": "Stored scores", "value": {"credit_codes": [EXAMPLE_CODE]}},
                "rows": {
                    "summary": "Feature rows",
                    "value": {"rows": [{"credit_code": EXAMPLE_CODE, "tax_arrears_months_12m": 0}]},
                },
            },
        }
    },
}


def _visible(principal: Principal):  # -> SQL condition or None
    return None if principal.zones is None else latest_scores.c.zone.in_(sorted(principal.zones))


@router.get(
    "/enterprises/{credit_code}/score",
    response_model=None,
    responses={200: {"model": ScorePublic}, **ERRORS},
    summary="One enterprise's latest credit score",
)
async def get_score(
    credit_code: CreditCodePath,
    principal: ScoringPrincipal,
    state: StateDep,
    purpose: PurposeDep,
) -> Response:
    """The stored score of the last batch (or rescore), with its reasons and model version."""
    valid_code(credit_code)
    query = sa.select(latest_scores.c.public_json).where(latest_scores.c.credit_code == credit_code)
    condition = _visible(principal)
    if condition is not None:
        query = query.where(condition)
    with state.engine.connect() as connection:
        body = connection.execute(query).scalar_one_or_none()
    if body is None:
        raise not_found(credit_code)
    state.audit.record(principal, "GET /v1/enterprises/{credit_code}/score", purpose, credit_code)
    state.metrics.scores.labels("stored").inc()
    return Response(body, media_type=JSON, headers=_version_header(state))


def _version_header(state: Any) -> dict[str, str]:
    champions = state.champions.current
    return {"X-Model-Version": champions.versions["credit"]} if champions is not None else {}


@router.post(
    "/scores",
    response_model=None,
    responses={
        200: {"model": ScoresPublic},
        **ERRORS,
        413: {"description": "Body or batch too large"},
        415: {"description": "Body is not JSON"},
    },
    openapi_extra={"requestBody": _REQUEST_BODY},
    summary="Scores for up to 10,000 credit codes or feature rows",
)
async def post_scores(
    request: Request, principal: ScoringPrincipal, state: StateDep, purpose: PurposeDep
) -> Response:
    """Stored scores for credit codes, or PD/score/grade/class/reasons computed now for feature rows."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != JSON:
        raise ApiError(415, f"send the body as {JSON}, not {content_type or 'no content type'}")
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise ApiError(422, f"body is not valid JSON: {exc}") from None
    codes, rows, top = _parse(payload, state.settings.max_batch)
    if codes is not None:
        return _stored_scores(codes, principal, state, purpose)
    champions = state.champions.current
    if champions is None:
        raise ApiError(503, "no champion models loaded yet")
    rows = rows or []
    body = await run_in_threadpool(
        _computed_scores, rows, champions["credit"], champions.versions["credit"], top
    )
    state.metrics.scores.labels("computed").inc(len(rows))
    state.audit.record(principal, "POST /v1/scores", purpose, detail=f"{len(rows)} feature rows")
    return Response(body, media_type=JSON, headers={"X-Model-Version": champions.versions["credit"]})


def _parse(payload: object, max_batch: int) -> tuple[list[str] | None, list[dict] | None, int]:
    if not isinstance(payload, dict):
        raise ApiError(422, "body must be a JSON object with `credit_codes` or `rows`")
    unknown = set(payload) - {"credit_codes", "rows", "top_reasons"}
    if unknown:
        raise ApiError(422, f"unknown field(s) {', '.join(sorted(unknown))}; use credit_codes or rows")
    codes, rows = payload.get("credit_codes"), payload.get("rows")
    if (codes is None) == (rows is None):
        raise ApiError(422, "send exactly one of `credit_codes` and `rows`")
    top = payload.get("top_reasons", 3)
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= 10:
        raise ApiError(422, "top_reasons must be an integer from 0 to 10")
    items = codes if codes is not None else rows
    name = "credit_codes" if codes is not None else "rows"
    if not isinstance(items, list):
        raise ApiError(422, f"{name} must be a JSON array")
    if not items:
        raise ApiError(422, f"{name} is empty")
    if len(items) > max_batch:
        raise ApiError(413, f"{name} holds {len(items)} items; at most {max_batch} per request")
    if codes is not None:
        good = valid_mask(np.asarray(codes, dtype=object))
        if not good.all():
            first = int(np.flatnonzero(~good)[0])
            bad = codes[first]
            if not isinstance(bad, str):
                raise ApiError(422, f"credit_codes[{first}]: expected a string, got {type(bad).__name__}")
            valid_code(bad, f"credit_codes[{first}]")
        return codes, None, top
    for i, row in enumerate(items):
        if not isinstance(row, dict):
            raise ApiError(422, f"rows[{i}] must be a JSON object of feature values")
    return None, rows, top


def _stored_scores(codes: list[str], principal: Principal, state: Any, purpose: str) -> Response:
    found: dict[str, str] = {}
    condition = _visible(principal)
    with state.engine.connect() as connection:
        for first in range(0, len(codes), CHUNK):
            query = sa.select(latest_scores.c.credit_code, latest_scores.c.public_json).where(
                latest_scores.c.credit_code.in_(codes[first : first + CHUNK])
            )
            if condition is not None:
                query = query.where(condition)
            found.update(connection.execute(query).tuples().all())
    missing = [c for c in codes if c not in found]
    for code in found:
        state.audit.record(principal, "POST /v1/scores", purpose, code)
    state.metrics.scores.labels("stored").inc(len(found))
    champions = state.champions.current
    version = champions.versions["credit"] if champions is not None else None
    body = b"".join(
        (
            b'{"model_version":',
            orjson.dumps(version),
            b',"scores":[',
            ",".join(found[c] for c in codes if c in found).encode(),
            b'],"not_found":',
            orjson.dumps(missing),
            b"}",
        )
    )
    return Response(body, media_type=JSON, headers=_version_header(state))


def _computed_scores(rows: list[dict], model: ScoringModel, version: str, top: int) -> bytes:
    frame = pd.DataFrame(rows)
    _check_rows(frame, model)
    try:
        output = model.predict(frame, top_reasons=top)
    except (ValueError, TypeError) as exc:  # a value the checks above did not foresee
        raise ApiError(422, f"feature rows could not be read: {exc}") from None
    return orjson.dumps(
        {"model_version": version, "scores": credit_records(output, version), "not_found": []}
    )


def _check_rows(frame: pd.DataFrame, model: ScoringModel) -> None:
    """Raise a 422 naming the first row and column whose value cannot be read."""
    if "credit_code" in frame:
        good = valid_mask(frame["credit_code"].to_numpy(object)) | frame["credit_code"].isna().to_numpy()
        if not good.all():
            first = int(np.flatnonzero(~good)[0])
            valid_code(str(frame["credit_code"].iloc[first]), f"rows[{first}].credit_code")
    if "as_of" in frame:
        parsed = pd.to_datetime(frame["as_of"], errors="coerce", format="mixed")
        bad = parsed.isna() & frame["as_of"].notna()
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise ApiError(422, f"rows[{first}].as_of: {frame['as_of'].iloc[first]!r} is not a date")
        frame["as_of"] = parsed
    for name in model.spec.features:
        if name not in frame or name in model.spec.categories:
            continue
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column.dtype):
            numbers = pd.to_numeric(column.where(column.map(_is_number)), errors="coerce")
            bad = numbers.isna() & column.notna()
            if bad.any():
                first = int(np.flatnonzero(bad.to_numpy())[0])
                raise ApiError(422, f"rows[{first}].{name}: expected a number, got {column.iloc[first]!r}")
            frame[name] = numbers.astype(np.float64)
    unknown = [c for c in frame.columns if c not in FEATURES_BY_NAME and c not in ("credit_code", "as_of")]
    if unknown:
        raise ApiError(422, f"rows carry unknown column(s) {', '.join(sorted(map(str, unknown))[:5])}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
