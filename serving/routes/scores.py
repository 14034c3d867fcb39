"""Scores: stored scores by credit code, and scores computed now from posted feature rows.

The hot paths skip per-row pydantic objects: stored scores are pre-serialised JSON joined into the
response, computed ones are built column-wise (``serving.outputs``) and written by orjson. Posted
feature rows (objects, column-wise JSON or an Arrow IPC stream) are decoded and checked by
``serving.wire``, which also declares the request body this route documents.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from models.scoring import ID_COLUMNS, ScoringModel
from serving.deps import PurposeDep, ScoringPrincipal, StateDep, require_champions
from serving.errors import ApiError, not_found, valid_code
from serving.keys import Principal
from serving.outputs import score_records
from serving.routes.common import CreditCodePath
from serving.schemas import ScorePublic, ScoresPublic
from serving.store import latest_scores
from serving.wire import ARROW, JSON, REQUEST_BODY, FeatureRows, arrow_rows, feature_columns, parse_json

router = APIRouter(tags=["scores"])
CHUNK = 900  # codes per IN (...) query, below every database's bound-parameter limit
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked API key"},
    403: {"description": "The key's role may not use this endpoint"},
    404: {"description": "Unknown enterprise (or outside the key's zones)"},
    422: {"description": "Malformed request, e.g. a credit code failing its check character"},
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
        415: {"description": "Body is neither JSON nor an Arrow IPC stream"},
    },
    openapi_extra={"requestBody": REQUEST_BODY},
    summary="Scores for up to 10,000 credit codes or feature rows (JSON objects, JSON columns or Arrow)",
)
async def post_scores(
    request: Request,
    principal: ScoringPrincipal,
    state: StateDep,
    purpose: PurposeDep,
    top_reasons: Annotated[
        int | None, Query(ge=0, le=10, description="Reasons per row for an Arrow body (default 3).")
    ] = None,
) -> Response:
    """Stored scores for credit codes, or PD/score/grade/class/reasons computed now for feature rows."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media == ARROW:
        rows: FeatureRows = arrow_rows(await request.body(), state.settings.max_batch)
        return await _scored_now(rows, 3 if top_reasons is None else top_reasons, principal, state, purpose)
    if media != JSON:
        raise ApiError(415, f"send the body as {JSON} or {ARROW}, not {content_type or 'no content type'}")
    if top_reasons is not None:
        raise ApiError(422, "in a JSON body, top_reasons goes in the body, not the query")
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise ApiError(422, f"body is not valid JSON: {exc}") from None
    codes, rows, top = parse_json(payload, state.settings.max_batch)
    if codes is not None:
        return _stored_scores(codes, principal, state, purpose)
    return await _scored_now(rows, top, principal, state, purpose)


async def _scored_now(
    rows: FeatureRows, top: int, principal: Principal, state: Any, purpose: str
) -> Response:
    champions = require_champions(state)
    body, count = await run_in_threadpool(
        _computed_scores, rows, champions["credit"], champions.versions["credit"], top
    )
    state.metrics.scores.labels("computed").inc(count)
    state.audit.record(principal, "POST /v1/scores", purpose, detail=f"{count} feature rows")
    return Response(body, media_type=JSON, headers={"X-Model-Version": champions.versions["credit"]})


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


def _computed_scores(rows: FeatureRows, model: ScoringModel, version: str, top: int) -> tuple[bytes, int]:
    """Return the response body and the number of rows scored.

    Every form becomes checked columns (name → array), then the model's matrix, output columns and
    JSON: no frame and no Python object per value between the body and the booster.
    """
    columns = feature_columns(rows)
    try:
        output = model.outputs(model.spec.matrix(columns), top_reasons=top)
    except (ValueError, TypeError) as exc:  # a value the checks above did not foresee
        raise ApiError(422, f"feature rows could not be read: {exc}") from None
    ids = {name: columns[name] for name in ID_COLUMNS if name in columns}
    records = score_records({**ids, **output}, version)
    return orjson.dumps({"model_version": version, "scores": records, "not_found": []}), len(records)
