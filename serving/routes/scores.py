"""Scores: stored scores by credit code, and scores computed now from posted feature rows.

The hot paths skip per-row pydantic objects: stored scores are pre-serialised JSON joined into the
response, computed ones are built column-wise (``serving.outputs``) and written by orjson. Feature
rows come as a list of objects (``rows``) or, for bulk callers, column-wise (``columns``: a name →
values mapping, a fifth of the bytes), which becomes the model's float matrix without a Python
object per row, or as an Arrow IPC stream, which needs no parsing at all.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from data.credit_code import valid_mask
from features.registry import CATEGORIES, FEATURES_BY_NAME
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
ARROW = "application/vnd.apache.arrow.stream"
FeatureRows: TypeAlias = list[dict[str, Any]] | dict[str, list[Any]] | pa.Table  # objects, columns, Arrow
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
                "columns": {
                    "summary": "Feature rows, column-wise (bulk)",
                    "value": {
                        "columns": {"credit_code": [EXAMPLE_CODE], "tax_arrears_months_12m": [0]},
                        "top_reasons": 0,
                    },
                },
            },
        },
        ARROW: {
            "schema": {"type": "string", "format": "binary"},
            "description": "Feature rows as an Arrow IPC stream (`top_reasons` as a query parameter).",
        },
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
        415: {"description": "Body is neither JSON nor an Arrow IPC stream"},
    },
    openapi_extra={"requestBody": _REQUEST_BODY},
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
        rows: FeatureRows = _arrow_rows(await request.body(), state.settings.max_batch)
        return await _scored_now(rows, 3 if top_reasons is None else top_reasons, principal, state, purpose)
    if media != JSON:
        raise ApiError(415, f"send the body as {JSON} or {ARROW}, not {content_type or 'no content type'}")
    if top_reasons is not None:
        raise ApiError(422, "in a JSON body, top_reasons goes in the body, not the query")
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise ApiError(422, f"body is not valid JSON: {exc}") from None
    codes, rows, top = _parse(payload, state.settings.max_batch)
    if codes is not None:
        return _stored_scores(codes, principal, state, purpose)
    return await _scored_now(rows, top, principal, state, purpose)


async def _scored_now(
    rows: FeatureRows, top: int, principal: Principal, state: Any, purpose: str
) -> Response:
    champions = state.champions.current
    if champions is None:
        raise ApiError(503, "no champion models loaded yet")
    body, count = await run_in_threadpool(
        _computed_scores, rows, champions["credit"], champions.versions["credit"], top
    )
    state.metrics.scores.labels("computed").inc(count)
    state.audit.record(principal, "POST /v1/scores", purpose, detail=f"{count} feature rows")
    return Response(body, media_type=JSON, headers={"X-Model-Version": champions.versions["credit"]})


FORMS = ("credit_codes", "rows", "columns")


def _parse(payload: object, max_batch: int) -> tuple[list[str] | None, FeatureRows, int]:
    if not isinstance(payload, dict):
        raise ApiError(422, "body must be a JSON object with `credit_codes`, `rows` or `columns`")
    unknown = set(payload) - {*FORMS, "top_reasons"}
    if unknown:
        raise ApiError(
            422, f"unknown field(s) {', '.join(sorted(unknown))}; use credit_codes, rows or columns"
        )
    sent = [name for name in FORMS if payload.get(name) is not None]
    if len(sent) != 1:
        raise ApiError(422, "send exactly one of `credit_codes`, `rows` and `columns`")
    top = payload.get("top_reasons", 3)
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= 10:
        raise ApiError(422, "top_reasons must be an integer from 0 to 10")
    name = sent[0]
    if name == "columns":
        return None, _checked_columns(payload["columns"], max_batch), top
    items = payload[name]
    if not isinstance(items, list):
        raise ApiError(422, f"{name} must be a JSON array")
    if not items:
        raise ApiError(422, f"{name} is empty")
    if len(items) > max_batch:
        raise ApiError(413, f"{name} holds {len(items)} items; at most {max_batch} per request")
    if name == "credit_codes":
        codes = items
        good = valid_mask(np.asarray(codes, dtype=object))
        if not good.all():
            first = int(np.flatnonzero(~good)[0])
            bad = codes[first]
            if not isinstance(bad, str):
                raise ApiError(422, f"credit_codes[{first}]: expected a string, got {type(bad).__name__}")
            valid_code(bad, f"credit_codes[{first}]")
        return codes, [], top
    for i, row in enumerate(items):
        if not isinstance(row, dict):
            raise ApiError(422, f"rows[{i}] must be a JSON object of feature values")
    return None, items, top


def _checked_columns(columns: object, max_batch: int) -> dict[str, list[Any]]:
    """Return a column-wise body whose columns are arrays of one length within the batch limit."""
    if not isinstance(columns, dict):
        raise ApiError(422, "columns must be a JSON object of feature name → array of values")
    if not columns:
        raise ApiError(422, "columns is empty")
    lengths = {}
    for name, values in columns.items():
        if not isinstance(values, list):
            raise ApiError(422, f"columns.{name} must be a JSON array")
        lengths[name] = len(values)
    first, n = next(iter(lengths.items()))
    uneven = next((name for name, length in lengths.items() if length != n), None)
    if uneven is not None:
        raise ApiError(422, f"columns.{uneven} holds {lengths[uneven]} values but columns.{first} holds {n}")
    if n == 0:
        raise ApiError(422, "columns hold no values")
    if n > max_batch:
        raise ApiError(413, f"columns hold {n} rows; at most {max_batch} per request")
    _refuse_unknown_columns(columns)
    return columns


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
    """Return the response body and the number of rows scored."""
    if isinstance(rows, pa.Table):
        frame = _arrow_frame(rows)
    else:
        frame = pd.DataFrame(rows) if isinstance(rows, list) else _columns_frame(rows)
    _check_rows(frame, model)
    try:
        output = model.predict(frame, top_reasons=top)
    except (ValueError, TypeError) as exc:  # a value the checks above did not foresee
        raise ApiError(422, f"feature rows could not be read: {exc}") from None
    body = orjson.dumps(
        {"model_version": version, "scores": credit_records(output, version), "not_found": []}
    )
    return body, len(frame)


TEXT_COLUMNS = frozenset(("credit_code", "as_of", *CATEGORIES))
NUMBER_TYPES = frozenset((int, float, type(None)))


def _arrow_rows(body: bytes, max_batch: int) -> pa.Table:
    """Return the table of an Arrow IPC stream whose columns are known and typed as they must be."""
    try:
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise ApiError(422, f"body is not an Arrow IPC stream: {exc}") from None
    if table.num_rows == 0:
        raise ApiError(422, "the Arrow stream holds no rows")
    if table.num_rows > max_batch:
        raise ApiError(413, f"the Arrow stream holds {table.num_rows} rows; at most {max_batch} per request")
    names = table.column_names
    if len(set(names)) < len(names):
        raise ApiError(422, "the Arrow stream names a column twice")
    _refuse_unknown_columns(names)
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_null(kind):
            continue
        if field.name in TEXT_COLUMNS:
            dated = field.name == "as_of" and (pa.types.is_date(kind) or pa.types.is_timestamp(kind))
            if not (dated or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                raise ApiError(422, f"column {field.name}: expected text, got Arrow type {field.type}")
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise ApiError(422, f"column {field.name}: expected numbers, got Arrow type {field.type}")
    return table


def _columns_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """Return the frame of a column-wise body: numbers straight into one float block.

    JSON types are checked per column (``true`` or ``"1.5"`` where a number belongs is refused,
    never read as 1 or 1.5); ``null`` is a missing value. Each column is converted and checked
    while its values are in the CPU cache: a second pass over 180,000 values costs as much again.
    """
    numeric = [name for name in columns if name not in TEXT_COLUMNS]
    n = len(next(iter(columns.values())))
    block = np.empty((len(numeric), n), dtype=np.float64)
    for i, name in enumerate(numeric):
        values = columns[name]
        if not set(map(type, values)) <= NUMBER_TYPES:
            row = next(k for k, v in enumerate(values) if type(v) not in NUMBER_TYPES)
            raise ApiError(422, f"columns.{name}[{row}]: expected a number, got {values[row]!r}")
        block[i] = values  # orjson has already read numbers beyond 64 bits as floats
    return _frame({name: values for name, values in columns.items() if name in TEXT_COLUMNS}, numeric, block)


def _arrow_frame(table: pa.Table) -> pd.DataFrame:
    """Return the frame of a checked Arrow table: numbers into one float block, text as objects."""
    columns = dict(zip(table.column_names, table.columns, strict=True))
    numeric = [name for name in columns if name not in TEXT_COLUMNS]
    block = np.empty((len(numeric), table.num_rows), dtype=np.float64)
    for i, name in enumerate(numeric):
        block[i] = columns[name].to_numpy(zero_copy_only=False)  # nulls become NaN
    text: dict[str, Any] = {}
    for name, column in columns.items():
        if name in TEXT_COLUMNS:
            dated = pa.types.is_date(column.type) or pa.types.is_timestamp(column.type)
            text[name] = column.cast(pa.timestamp("ns")).to_numpy() if dated else column.to_pylist()
    return _frame(text, numeric, block)


def _frame(text: dict[str, Any], numeric: list[str], block: np.ndarray) -> pd.DataFrame:
    """Return text columns (kept as objects) beside a (features × rows) float block."""
    frame = pd.DataFrame(block.T, columns=numeric)
    if not text:
        return frame
    # dtype object: pandas' default string dtype would copy the text into Arrow and back.
    strings = pd.DataFrame(
        {k: v for k, v in text.items() if not isinstance(v, np.ndarray)}, index=frame.index, dtype=object
    )
    dates = {k: v for k, v in text.items() if isinstance(v, np.ndarray)}
    return pd.concat([strings.assign(**dates), frame], axis=1)


def _check_rows(frame: pd.DataFrame, model: ScoringModel) -> None:
    """Raise a 422 naming the first row and column whose value cannot be read."""
    if "credit_code" in frame:
        good = valid_mask(frame["credit_code"].to_numpy(object)) | frame["credit_code"].isna().to_numpy()
        if not good.all():
            first = int(np.flatnonzero(~good)[0])
            valid_code(str(frame["credit_code"].iloc[first]), f"rows[{first}].credit_code")
    if "as_of" in frame and not pd.api.types.is_datetime64_any_dtype(frame["as_of"]):
        parsed = pd.to_datetime(frame["as_of"], errors="coerce", format="mixed")
        # A number would parse as nanoseconds since 1970: only text may name a date.
        bad = (parsed.isna() | ~frame["as_of"].map(_is_text)) & frame["as_of"].notna()
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise ApiError(422, f"rows[{first}].as_of: {frame['as_of'].iloc[first]!r} is not a date")
        frame["as_of"] = parsed
    numeric = set(model.spec.features) - set(model.spec.categories)
    for name, dtype in frame.dtypes.items():
        if name not in numeric or dtype.kind in "iuf":  # not "b": true is not a number
            continue
        column = frame[name]
        numbers = pd.to_numeric(column.where(column.map(_is_number)), errors="coerce")
        bad = numbers.isna() & column.notna()
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            value = column.iloc[first]
            value = value.item() if isinstance(value, np.generic) else value  # as the caller wrote it
            raise ApiError(422, f"rows[{first}].{name}: expected a number, got {value!r}")
        frame[name] = numbers.astype(np.float64)
    _refuse_unknown_columns(frame.columns)


def _refuse_unknown_columns(names: Any) -> None:
    unknown = [c for c in names if c not in FEATURES_BY_NAME and c not in ("credit_code", "as_of")]
    if unknown:
        raise ApiError(422, f"rows carry unknown column(s) {', '.join(sorted(map(str, unknown))[:5])}")


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
