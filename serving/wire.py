"""Feature rows as they come over the wire: one declaration of the fields a row may carry, from
which both the request schema of ``POST /v1/scores`` (in ``/openapi.json``) and its decoder derive.

``ROW_FIELDS`` names each accepted field with its kind (a credit code, a date, a number, or a
category with its levels). The JSON schema of a row, of the column-wise form and of the request
body is built from it; so are the decoder's rules: which JSON types a field accepts, which Arrow
types, which names are unknown and which category levels exist. A field added to the feature
registry is accepted and documented at once; the two can never disagree.

Three forms arrive: a list of objects (``rows``), column-wise JSON (``columns``: name → values, a
fifth of the bytes) and an Arrow IPC stream. Each becomes checked columns (name → array) without a
Python object per value; the 4xx messages name the field and row the way the caller wrote them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.credit_code import valid_mask
from features.registry import CATEGORIES, FEATURES_BY_NAME
from serving.errors import ApiError, valid_code
from serving.schemas import EXAMPLE_CODE

JSON = "application/json"
ARROW = "application/vnd.apache.arrow.stream"
FeatureRows: TypeAlias = list[dict[str, Any]] | dict[str, list[Any]] | pa.Table  # objects, columns, Arrow
FORMS = ("credit_codes", "rows", "columns")
TOP_REASONS = (0, 10, 3)  # lowest, highest, default
# A text value of a feature row is a credit code, a date or a category level (at most a few dozen
# bytes): a longer one is refused before it is copied into Python strings.
MAX_TEXT_BYTES = 256
# The dates a nanosecond timestamp holds (what the feature pipeline reads as_of into).
NS_DATES = (date(1677, 9, 22), date(2262, 4, 11))
CODE_LENGTH = 18
FieldKind = Literal["code", "date", "number", "category"]


@dataclass(frozen=True)
class WireField:
    """One field a feature row may carry: its kind, a category's levels, and what it means."""

    name: str
    kind: FieldKind
    description: str
    levels: tuple[str, ...] = ()

    @property
    def text(self) -> bool:
        """Whether the field is sent as text (everything but a number)."""
        return self.kind != "number"

    @property
    def json_types(self) -> frozenset[type]:
        """The Python types orjson may read its JSON values into (``null`` is always allowed)."""
        return frozenset((str, type(None))) if self.text else frozenset((int, float, type(None)))

    def value_schema(self) -> dict[str, Any]:
        """Return the JSON schema of one value (the decoder's rules, as far as a schema can state them)."""
        if self.kind == "number":
            return {"type": ["number", "null"]}
        if self.kind == "category":
            return {"type": ["string", "null"], "enum": [*self.levels, None]}
        if self.kind == "code":
            return {"type": ["string", "null"], "minLength": CODE_LENGTH, "maxLength": CODE_LENGTH}
        return {"type": ["string", "null"]}


def _declared() -> dict[str, WireField]:
    fields = [
        WireField("credit_code", "code", "Unified social credit code (GB 32100), echoed in the answer."),
        WireField("as_of", "date", "The date the features describe (YYYY-MM-DD), echoed in the answer."),
    ]
    for name, feature in FEATURES_BY_NAME.items():
        levels = CATEGORIES.get(name)
        kind: FieldKind = "number" if levels is None else "category"
        fields.append(WireField(name, kind, feature.description_en, tuple(levels or ())))
    return {f.name: f for f in fields}


ROW_FIELDS: dict[str, WireField] = _declared()
ID_FIELDS = tuple(name for name, f in ROW_FIELDS.items() if f.kind in ("code", "date"))


def row_schema() -> dict[str, Any]:
    """The JSON schema of one feature row: every declared field optional, nothing else allowed."""
    properties = {name: {**f.value_schema(), "description": f.description} for name, f in ROW_FIELDS.items()}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def columns_schema() -> dict[str, Any]:
    """The JSON schema of the column-wise form: each declared field an array of its values."""
    properties = {name: {"type": "array", "items": f.value_schema()} for name, f in ROW_FIELDS.items()}
    return {"type": "object", "properties": properties, "additionalProperties": False, "minProperties": 1}


def request_schema() -> dict[str, Any]:
    """The JSON schema of a ``POST /v1/scores`` body (exactly one of the three forms is sent)."""
    low, high, default = TOP_REASONS
    return {
        "title": "ScoreRequest",
        "description": "Credit codes (stored scores) or feature rows (scored now; as objects or "
        "column-wise), at most `ZONECREDIT_MAX_BATCH` (10,000 by default). Send exactly one of "
        "`credit_codes`, `rows` and `columns`.",
        "type": "object",
        "properties": {
            "credit_codes": {
                "anyOf": [{"type": "array", "items": {"type": "string"}, "minItems": 1}, {"type": "null"}],
                "description": "Credit codes whose stored scores are wanted.",
                "examples": [[EXAMPLE_CODE]],
            },
            "rows": {
                "anyOf": [{"type": "array", "items": row_schema(), "minItems": 1}, {"type": "null"}],
                "description": "Feature rows (registry names; `zonecredit features describe`); a field "
                "a row leaves out is a missing value.",
            },
            "columns": {
                "anyOf": [columns_schema(), {"type": "null"}],
                "description": "The same feature rows column-wise, name → values (one length): a "
                "fifth of the bytes of `rows` and the fast path for bulk callers.",
            },
            "top_reasons": {
                "type": "integer",
                "minimum": low,
                "maximum": high,
                "default": default,
                "description": "Reasons per row for feature rows.",
            },
        },
        "additionalProperties": False,
    }


# A row the champion scores: an example must be answered 200 (the schemathesis suite posts it).
# Every feature is given (OpenAPI drops nulls from examples): zeros and each category's first level.
EXAMPLE_ROW: dict[str, Any] = {
    "credit_code": EXAMPLE_CODE,
    **{
        name: f.levels[0] if f.kind == "category" else 0
        for name, f in ROW_FIELDS.items()
        if name not in ID_FIELDS
    },
}
ARROW_LIMITS = (
    "Feature rows as an Arrow IPC stream (`top_reasons` as a query parameter). Limits: the body's "
    "size (`ZONECREDIT_MAX_BODY_BYTES`, 32 MiB by default) and rows per request "
    "(`ZONECREDIT_MAX_BATCH`); buffers must be uncompressed (an LZ4 or Zstandard stream is refused "
    "with 415 before anything is inflated); a text value holds at most "
    f"{MAX_TEXT_BYTES} bytes; dates lie between {NS_DATES[0]} and {NS_DATES[1]}; numbers are finite; "
    "a category is one of its levels. Anything else is a 422 naming the column and row."
)
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        JSON: {
            "schema": request_schema(),
            "examples": {
                "codes": {"summary": "Stored scores", "value": {"credit_codes": [EXAMPLE_CODE]}},
                "rows": {
                    "summary": "Feature rows (every registry feature)",
                    "value": {"rows": [EXAMPLE_ROW]},
                },
                "columns": {
                    "summary": "Feature rows, column-wise (bulk)",
                    "value": {
                        "columns": {name: [value] for name, value in EXAMPLE_ROW.items()},
                        "top_reasons": 0,
                    },
                },
            },
        },
        ARROW: {"schema": {"type": "string", "format": "binary"}, "description": ARROW_LIMITS},
    },
}


def parse_json(payload: object, max_batch: int) -> tuple[list[str] | None, FeatureRows, int]:
    """Return a JSON body's credit codes (or None), its feature rows (objects or columns) and top_reasons."""
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
    low, high, default = TOP_REASONS
    top = payload.get("top_reasons", default)
    if not isinstance(top, int) or isinstance(top, bool) or not low <= top <= high:
        raise ApiError(422, f"top_reasons must be an integer from {low} to {high}")
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


def feature_columns(rows: FeatureRows) -> dict[str, np.ndarray]:
    """Return any form of feature rows as checked columns (name → array) for the model's matrix.

    Types, credit codes, dates, infinities and category levels are checked here, the same rules
    for every form; a refusal is a 422 naming the field and row as the caller wrote them.
    """
    if isinstance(rows, pa.Table):
        place = "column {name}, row {row}"
        columns = _arrow_columns(rows, place)
    elif isinstance(rows, dict):
        place = "columns.{name}[{row}]"
        columns = _json_columns(rows, place)
    else:
        place = "rows[{row}].{name}"
        columns = _json_columns(_object_columns(rows), place)
    _check_ids(columns)
    _refuse_unreadable_values(columns, place)
    return columns


def arrow_rows(body: bytes, max_batch: int) -> pa.Table:
    """Return the table of an Arrow IPC stream whose columns are known and typed as they must be.

    Compressed buffers are refused before anything is read: 34 KB of Zstandard can inflate to
    500 MB, past every bound on the body.
    """
    try:
        if any(_compressed(message) for message in pa.ipc.MessageReader.open_stream(body)):
            raise ApiError(
                415, "the Arrow stream's buffers are compressed; send them uncompressed (compression=None)"
            )
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError, struct.error, IndexError) as exc:
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
        if ROW_FIELDS[field.name].text:
            dated = ROW_FIELDS[field.name].kind == "date" and (
                pa.types.is_date(kind) or pa.types.is_timestamp(kind)
            )
            if not (dated or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                raise ApiError(422, f"column {field.name}: expected text, got Arrow type {field.type}")
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise ApiError(422, f"column {field.name}: expected numbers, got Arrow type {field.type}")
    return table


def _flatbuffer_field(buffer: bytes, table: int, index: int) -> int | None:
    """Return where field ``index`` of the flatbuffer table at ``table`` lies, None if absent."""
    vtable = table - struct.unpack_from("<i", buffer, table)[0]
    if 4 + 2 * index >= struct.unpack_from("<H", buffer, vtable)[0]:
        return None
    offset = struct.unpack_from("<H", buffer, vtable + 4 + 2 * index)[0]
    return table + offset if offset else None


def _flatbuffer_table(buffer: bytes, at: int) -> int:
    return at + struct.unpack_from("<I", buffer, at)[0]


def _compressed(message: pa.ipc.Message) -> bool:
    """Return whether a record or dictionary batch message declares compressed buffers.

    Read from the message's flatbuffer (Arrow's Message.fbs: Message.header_type is field 1 and
    header field 2; RecordBatch.compression is field 3; DictionaryBatch.data field 1): pyarrow
    would only tell by inflating the buffers.
    """
    buffer = message.metadata.to_pybytes()
    root = _flatbuffer_table(buffer, 0)
    kind_at, header_at = _flatbuffer_field(buffer, root, 1), _flatbuffer_field(buffer, root, 2)
    if kind_at is None or header_at is None:
        return False
    kind, header = buffer[kind_at], _flatbuffer_table(buffer, header_at)
    if kind == 2:  # a dictionary batch wraps a record batch
        data_at = _flatbuffer_field(buffer, header, 1)
        if data_at is None:
            return False
        header = _flatbuffer_table(buffer, data_at)
    elif kind != 3:
        return False
    return _flatbuffer_field(buffer, header, 3) is not None


def _arrow_columns(table: pa.Table, place: str) -> dict[str, np.ndarray]:
    """Return a checked Arrow table's columns: numbers as floats (nulls NaN), text as objects.

    Text values longer than ``MAX_TEXT_BYTES`` and dates outside the nanosecond range are a 422
    naming the column and row (``place``).
    """
    columns: dict[str, np.ndarray] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if not ROW_FIELDS[name].text:
            columns[name] = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
        elif pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
            columns[name] = _ns_dates(column, place.format(name=name, row="{row}"))
        else:
            if not pa.types.is_null(column.type):
                _bound_text(column, place.format(name=name, row="{row}"))
            columns[name] = np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)
    return columns


def _bound_text(column: pa.ChunkedArray, place: str) -> None:
    lengths = pc.binary_length(column)
    longest = pc.max(lengths).as_py()
    if longest is not None and longest > MAX_TEXT_BYTES:
        row = pc.index(lengths, longest).as_py()
        raise ApiError(422, f"{place.format(row=row)}: {longest} bytes of text; at most {MAX_TEXT_BYTES}")


def _ns_dates(column: pa.ChunkedArray, place: str) -> np.ndarray:
    try:
        return column.cast(pa.timestamp("ns")).to_numpy()
    except pa.ArrowInvalid:  # out of the nanosecond range: name the first such date (few rows, error path)
        days = [v.date() if isinstance(v, datetime) else v for v in column.to_pylist()]
        row = next(
            (i for i, v in enumerate(days) if isinstance(v, date) and not NS_DATES[0] <= v <= NS_DATES[1]),
            0,
        )
        raise ApiError(
            422,
            f"{place.format(row=row)}: {days[row]} is outside the dates the service reads "
            f"({NS_DATES[0]} to {NS_DATES[1]})",
        ) from None


def _refuse_unreadable_values(columns: dict[str, np.ndarray], place: str) -> None:
    """Raise a 422 naming the first infinity or unseen category level, the same rule for every form.

    A model would read either as something else (the largest bin, a missing value) and score the
    row as if the caller had meant it.
    """
    for name, values in columns.items():
        if name in ID_FIELDS:
            continue
        levels = ROW_FIELDS[name].levels or None
        if levels is None:
            bad = np.isinf(values)
        else:
            bad = (_level_index(name).get_indexer(pd.Index(values, dtype=object)) < 0) & ~pd.isna(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            what = (
                "an infinity is not a feature value"
                if levels is None
                else (
                    f"{values[row]!r} is not a level of {name} (levels: {', '.join(map(str, levels[:8]))}…)"
                )
            )
            raise ApiError(422, f"{place.format(name=name, row=row)}: {what}")


@lru_cache(maxsize=32)
def _level_index(name: str) -> pd.Index:
    return pd.Index(ROW_FIELDS[name].levels, dtype=object)


def _object_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Return JSON objects as columns; a key a row leaves out is a missing value there.

    Rows that share one key order (what a client's serializer writes) are transposed in one pass
    of ``zip``; others are gathered key by key, several times slower.
    """
    names = list(rows[0])
    if all(list(row) == names for row in rows):
        _refuse_unknown_columns(names)
        return dict(zip(names, map(list, zip(*(row.values() for row in rows), strict=True)), strict=True))
    names = list(dict.fromkeys(name for row in rows for name in row))
    _refuse_unknown_columns(names)
    return {name: [row.get(name) for row in rows] for name in names}


def _json_columns(columns: dict[str, list[Any]], place: str) -> dict[str, np.ndarray]:
    """Return JSON columns as arrays, each checked for its JSON types while it is in the cache.

    ``true`` or ``"1.5"`` where a number belongs is refused, never read as 1 or 1.5, and so is a
    number where a category belongs; ``null`` is a missing value. ``place`` formats the position
    of a refused value (``{name}``, ``{row}``) the way the caller wrote it.
    """
    arrays: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        if name in ID_FIELDS:  # checked with their meaning, by _check_ids; fromiter keeps
            arrays[name] = np.fromiter(values, dtype=object, count=len(values))  # lists as values
            continue
        field = ROW_FIELDS[name]
        allowed = field.json_types
        if not set(map(type, values)) <= allowed:
            row = next(k for k, v in enumerate(values) if type(v) not in allowed)
            where = place.format(name=name, row=row)
            expected = "text" if field.text else "a number"
            raise ApiError(422, f"{where}: expected {expected}, got {values[row]!r}")
        # orjson has already read numbers beyond 64 bits as floats; None becomes NaN
        arrays[name] = np.array(values, dtype=object if field.text else np.float64)
    return arrays


def _check_ids(columns: dict[str, np.ndarray]) -> None:
    """Raise a 422 naming the first row with a malformed credit code or date; parse the dates."""
    if "credit_code" in columns:
        codes = columns["credit_code"]
        good = valid_mask(codes) | pd.isna(codes)
        if not good.all():
            first = int(np.flatnonzero(~good)[0])
            valid_code(str(codes[first]), f"rows[{first}].credit_code")
    dates = columns.get("as_of")
    if dates is not None and not np.issubdtype(dates.dtype, np.datetime64):
        parsed = pd.to_datetime(dates, errors="coerce", format="mixed")
        # A number would parse as nanoseconds since 1970: only text may name a date.
        text = np.fromiter(map(_is_text, dates), dtype=bool, count=len(dates))
        bad = (parsed.isna() | ~text) & ~pd.isna(dates)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ApiError(422, f"rows[{first}].as_of: {dates[first]!r} is not a date")
        columns["as_of"] = parsed.to_numpy()


def _refuse_unknown_columns(names: Any) -> None:
    unknown = [c for c in names if c not in ROW_FIELDS]
    if unknown:
        raise ApiError(422, f"rows carry unknown column(s) {', '.join(sorted(map(str, unknown))[:5])}")


def _is_text(value: object) -> bool:
    return isinstance(value, str)
