"""Parse one column of raw text to its loaded type, recording every fault as a reason code.

Columns are parsed as whole arrays; low-cardinality columns (credit codes, dates, periods,
choices) once per distinct value. Nothing is coerced beyond spelling: full-width digits,
thousands separators, a `YYYYMMDD` date, the words registration authorities use for entity
types and statuses, and markers people write for "no value" (``—``, ``无``, ``N/A``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.contracts import Column
from data.credit_code import CreditCodeError, check_credit_code, valid_mask
from data.layout import MALFORMED
from data.readers import is_typed_number

# Reason codes, each a category an administrator can filter on.
BAD_CREDIT_CODE = "bad_credit_code"
UNKNOWN_VALUE = "unknown_value"
NEGATIVE_VALUE = "negative_value"
OUT_OF_RANGE = "out_of_range"
INVALID_DATE = "invalid_date"
FUTURE_PERIOD = "future_period"
DUPLICATE_KEY = "duplicate_key"
UNPARSEABLE_NUMBER = "unparseable_number"
MISSING_VALUE = "missing_value"
MALFORMED_ROW = MALFORMED
TOO_LONG = "too_long"
INCONSISTENT = "inconsistent"
EMPTY_ROW = "empty_row"
SPREADSHEET_MANGLED_CODE = "spreadsheet_mangled_code"

# What people write for "no value" (read as an empty cell), and dates that stand for "no date".
EMPTY_MARKERS = ("—", "–", "-", "/", "无", "暂无", "空", "NULL", "null", "N/A", "n/a", "#N/A")
SENTINEL_DATES = {date(9999, 12, 31), date(9999, 9, 9), date(2099, 12, 31), date(1900, 1, 1)}
_MANGLED_CODE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")

CHOICE_SYNONYMS: dict[str, dict[str, str]] = {
    "zone": {
        "经开区": "teda",
        "保税区": "bonded",
        "高新区": "hitech",
        "东疆": "dongjiang",
        "东疆港区": "dongjiang",
        "生态城": "ecocity",
    },
    "grade": {f"{g}级": g for g in ("A", "B", "M", "C", "D")},
    "status": {
        "存续": "active",
        "在业": "active",
        "开业": "active",
        "吊销": "revoked",
        "注销": "deregistered",
    },
    "channel": {
        "企业自主填报": "self_report",
        "自主填报": "self_report",
        "项目申报": "project_application",
        "专项调研": "survey",
        "调研": "survey",
    },
}


def registration_vocabulary(column: str, text: str) -> str:
    """Read entity types, statuses and industries as registration authorities write them.

    ``有限责任公司（自然人投资或控股）`` and ``股份有限公司(非上市)`` are enterprises (1),
    ``个体工商户`` an individual business (2), ``农民专业合作社`` a cooperative (3);
    ``存续（在营、开业、在册）`` is active, ``吊销，未注销`` revoked, ``注销`` deregistered;
    (a four-digit industry class ``C3670`` is read as its division ``C36`` by ``parse_column``).
    """
    if column == "entity_type":
        if "个体" in text:
            return "2"
        if "合作社" in text:
            return "3"
        if any(word in text for word in ("公司", "企业", "合伙", "分支机构")):
            return "1"
    elif column == "status":
        if text.startswith("吊销"):
            return "revoked"
        if text.startswith(("注销", "已注销")):
            return "deregistered"
        if text.startswith(("存续", "在营", "开业", "在册", "在业", "正常")):
            return "active"
    return text


VOCABULARY_COLUMNS = {"entity_type", "status"}
TRUE_TEXT = {"1", "true", "t", "yes", "y", "是", "√"}
FALSE_TEXT = {"0", "false", "f", "no", "n", "否"}
_GROUPED_NUMBER = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})( 00:00:00)?$"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"), "ymd"),
]
_MONTH = re.compile(r"^(\d{4})[-/.]?(\d{1,2})(?:-01)?(?: 00:00:00)?$|^(\d{4})年(\d{1,2})月份?$")
_QUARTER = re.compile(r"^(\d{4})\s?[-年]?\s?[Qq]([1-4])$|^(\d{4})年第?([1-4一二三四])季度?$")
_QUARTER_ZH = {"一": 1, "二": 2, "三": 3, "四": 4}
EARLIEST = date(1900, 1, 1)


@dataclass
class Problems:
    """Per-row faults found in one chunk: row index -> (reason code, message) pairs."""

    by_row: dict[int, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    sentinel_dates: dict[str, int] = field(default_factory=dict)  # column -> placeholder dates read

    def add(self, rows: np.ndarray, code: str, messages: list[str]) -> None:
        for row, message in zip(rows.tolist(), messages, strict=True):
            self.by_row[row].append((code, message))

    def mask(self, n: int) -> np.ndarray:
        bad = np.zeros(n, dtype=bool)
        if self.by_row:
            bad[np.fromiter(self.by_row, dtype=np.int64)] = True
        return bad


def _clean(text: pa.Array) -> pa.Array:
    """NFKC-normalise trimmed text if any value is not ASCII (full-width digits, letters, signs)."""
    if len(text) and not pc.all(pc.string_is_ascii(text)).as_py():
        text = pc.utf8_normalize(text, "NFKC")
    return text


class _Blank:
    """What a parser returns for a value that stands for "no value" (a marker, a sentinel date)."""


BLANK = _Blank()


def _parse_unique(text: pa.Array, parse: Callable[[str], object]) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """Parse each distinct value once; return (values, error messages, blank) aligned with ``text``.

    ``parse`` returns the value, ``BLANK`` for a value that means "none", or raises ValueError
    with the message for that value.
    """
    uniques = pc.unique(text)
    values: list[object] = []
    errors: list[str | None] = []
    blanks: list[bool] = []
    for raw in uniques.to_pylist():
        value: object = None
        error: str | None = None
        if raw is not None:  # empty cells: missing-value checks deal with them
            try:
                value = parse(raw)
            except ValueError as exc:
                error = str(exc)
        blanks.append(value is BLANK)
        values.append(None if value is BLANK else value)
        errors.append(error)
    index = pc.index_in(text, value_set=uniques)
    blank = pa.array(blanks, pa.bool_()).take(index).to_numpy(zero_copy_only=False)
    return pa.array(values).take(index), pa.array(errors, pa.string()).take(index), blank


def _parse_date(raw: str) -> datetime:
    for pattern, _ in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            y, m, d = (int(g) for g in match.groups()[:3])
            try:
                value = date(y, m, d)
            except ValueError:
                raise ValueError(f"{raw!r} is not a valid date") from None
            if value < EARLIEST:
                raise ValueError(f"{raw!r} is before 1900")
            return datetime(value.year, value.month, value.day)
    raise ValueError(f"{raw!r} is not a date (expected YYYY-MM-DD)")


def _parse_month(raw: str) -> datetime:
    match = _MONTH.match(raw)
    if not match:
        raise ValueError(f"{raw!r} is not a month (expected YYYY-MM)")
    y, m = (int(g) for g in (match.group(1) or match.group(3), match.group(2) or match.group(4)))
    if not 1 <= m <= 12 or y < EARLIEST.year:
        raise ValueError(f"{raw!r} is not a valid month")
    return datetime(y, m, 1)


def _parse_quarter(raw: str) -> datetime:
    match = _QUARTER.match(raw)
    if not match:
        raise ValueError(f"{raw!r} is not a quarter (expected YYYYQn, e.g. 2025Q1)")
    y = int(match.group(1) or match.group(3))
    q_text = match.group(2) or match.group(4)
    q = _QUARTER_ZH.get(q_text) or int(q_text)
    return datetime(y, 3 * q - 2, 1)


def _parse_year(raw: str) -> int:
    if not re.fullmatch(r"\d{4}", raw) or not 1900 <= int(raw) <= 2200:
        raise ValueError(f"{raw!r} is not a year (expected YYYY)")
    return int(raw)


def _clean_code(raw: str) -> str:
    """A credit code as written in an export: upper-cased, without spaces or a leading apostrophe
    (the mark a spreadsheet keeps to hold digits as text)."""
    return raw.replace(" ", "").replace("\u3000", "").lstrip("'‘’`").upper()


def _codes(text: pa.Array, empty: np.ndarray, problems: Problems) -> tuple[pa.Array, np.ndarray]:
    """Check each distinct code once, by arrays; explain only the codes that fail.

    Returns the cleaned codes and the empty mask (an empty marker such as ``无`` counts as empty).
    """
    encoded = pc.dictionary_encode(text)
    written = encoded.dictionary.to_pylist()
    cleaned = [_clean_code(c) for c in written]
    blank = np.array([c in EMPTY_MARKERS for c in cleaned], dtype=bool)
    distinct = np.asarray(cleaned, dtype=object)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    if blank.any():
        empty = empty | blank[indices]
    bad_distinct = np.flatnonzero(~valid_mask(distinct) & ~blank)
    if len(bad_distinct):
        rows = np.flatnonzero(np.isin(indices, bad_distinct) & ~empty)
        messages: dict[int, tuple[str, str]] = {}
        for i in bad_distinct.tolist():
            if _MANGLED_CODE.match(distinct[i]):
                messages[i] = (
                    SPREADSHEET_MANGLED_CODE,
                    f"credit code {written[i]!r} was turned into a number by a spreadsheet and its last "
                    "digits are lost; format the column as text and export it again",
                )
                continue
            try:
                check_credit_code(distinct[i])
            except CreditCodeError as exc:
                messages[i] = (BAD_CREDIT_CODE, str(exc))
        for reason in (BAD_CREDIT_CODE, SPREADSHEET_MANGLED_CODE):
            hit = [r for r in rows.tolist() if messages.get(indices[r], ("", ""))[0] == reason]
            problems.add(np.asarray(hit, dtype=np.int64), reason, [messages[indices[r]][1] for r in hit])
    codes = text if cleaned == written else pa.array(cleaned, pa.string()).take(encoded.indices)
    return pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), codes), empty


def _checked_floats(
    values: pa.Array, col: Column, problems: Problems, spelled_nan: pa.Array | None = None
) -> pa.Array:
    """Record infinities and NaN (a text 'nan', or a NaN a typed file holds) as unparseable."""
    floats = values.to_numpy(zero_copy_only=False)
    nonfinite = np.flatnonzero(np.isinf(floats))
    problems.add(
        nonfinite,
        UNPARSEABLE_NUMBER,
        [f"{col.name}: {floats[i]} is not a finite number" for i in nonfinite],
    )
    if spelled_nan is None:
        spelled_nan = pc.and_(pc.is_nan(values), pc.is_valid(values))
    if pc.any(spelled_nan).as_py():
        rows = np.flatnonzero(spelled_nan.to_numpy(zero_copy_only=False))
        problems.add(rows, UNPARSEABLE_NUMBER, [f"{col.name}: 'nan' is not a number"] * len(rows))
    return values


def _parse_numbers_slowly(text: pa.Array, col: Column, problems: Problems) -> pa.Array:
    """Read thousands separators; empty cells become null; anything else that fails is reported
    (a spelled 'nan' by ``_checked_floats``, once)."""
    grouped = pc.match_substring_regex(text, _GROUPED_NUMBER)
    text = pc.if_else(grouped, pc.replace_substring(text, ",", ""), text)
    series = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_numeric(series.mask(series == ""), errors="coerce")
    bad = parsed.isna().to_numpy() & (series != "").to_numpy() & (series.str.lower() != "nan").to_numpy()
    rows = np.flatnonzero(bad)
    problems.add(rows, UNPARSEABLE_NUMBER, [f"{col.name}: {v!r} is not a number" for v in series.iloc[rows]])
    return pa.array(parsed.to_numpy(dtype=float), pa.float64(), from_pandas=True)


def _check_bounds(values: np.ndarray, col: Column, problems: Problems) -> None:
    if col.min_value is not None:
        low = np.flatnonzero(values < col.min_value)
        code = NEGATIVE_VALUE if col.min_value == 0 else OUT_OF_RANGE
        what = "is negative" if col.min_value == 0 else f"is below {col.min_value:g}"
        problems.add(low, code, [f"{col.name}: {values[i]:g} {what}" for i in low])
    if col.max_value is not None:
        high = np.flatnonzero(values > col.max_value)
        problems.add(
            high, OUT_OF_RANGE, [f"{col.name}: {values[i]:g} exceeds {col.max_value:g}" for i in high]
        )


def parse_column(
    col: Column,
    raw: pa.Array,
    trimmed: pa.Array,
    empty: np.ndarray,
    problems: Problems,
    factor: float | None = None,
) -> tuple[pa.Array, np.ndarray]:
    """Parse one column to its loaded type, recording faults; bad cells become null.

    Returns the values and the column's empty mask, which grows by the cells that hold an empty
    marker (``—``, ``无``, ``N/A`` …) or, where the column may be empty, a placeholder date.
    """
    must_have = not (col.nullable or not col.required or col.name == "reported_on")
    if must_have:
        rows = np.flatnonzero(empty)
        problems.add(rows, MISSING_VALUE, [f"{col.name}: value is missing"] * len(rows))

    def also_empty(blank: np.ndarray) -> np.ndarray:
        fresh = blank & ~empty
        if must_have and fresh.any():
            rows = np.flatnonzero(fresh)
            problems.add(rows, MISSING_VALUE, [f"{col.name}: value is missing"] * len(rows))
        return empty | blank

    kind = col.kind
    if kind in {"int", "float"}:
        if is_typed_number(raw):  # int64 → float64 rounds as reading its text would
            values = _checked_floats(raw.cast(pa.float64(), safe=False), col, problems)
        else:
            text = _clean(trimmed)
            try:
                values = pc.cast(text, pa.float64())  # fast path: every value a plain number
            except pa.ArrowInvalid:
                marker = pc.is_in(text, pa.array(EMPTY_MARKERS)).to_numpy(zero_copy_only=False)
                if marker.any():
                    empty = also_empty(marker)
                    text = pc.if_else(pa.array(marker), "", text)
                values = _parse_numbers_slowly(text, col, problems)
            values = _checked_floats(values, col, problems, spelled_nan=pc.equal(pc.utf8_lower(text), "nan"))
        if factor is not None:  # rounded so 1.23 万元 is 12300 元, not 12299.999…
            values = pc.round(pc.multiply(values, factor), 6)
        floats = values.to_numpy(zero_copy_only=False)
        _check_bounds(floats, col, problems)
        if kind == "int":
            frac = np.flatnonzero(~np.isnan(floats) & (floats != np.round(floats)))
            problems.add(
                frac, UNPARSEABLE_NUMBER, [f"{col.name}: {floats[i]:g} is not a whole number" for i in frac]
            )
            safe = np.where(np.isfinite(floats), floats, np.nan)
            return pa.array(np.round(safe), pa.float64(), from_pandas=True).cast(
                pa.int64(), safe=False
            ), empty
        return values, empty
    text = _clean(trimmed) if kind != "text" else raw
    if kind == "bool":
        lowered = pc.utf8_lower(text)
        true = pc.is_in(lowered, pa.array(sorted(TRUE_TEXT)))
        false = pc.is_in(lowered, pa.array(sorted(FALSE_TEXT)))
        known = true.to_numpy(zero_copy_only=False) | false.to_numpy(zero_copy_only=False)
        unknown = ~known & ~empty
        if unknown.any():
            marker = pc.is_in(text, pa.array(EMPTY_MARKERS)).to_numpy(zero_copy_only=False)
            empty = also_empty(marker)
            unknown &= ~marker
        bad = np.flatnonzero(unknown)
        values_text = text.to_pylist() if len(bad) else []
        problems.add(bad, UNKNOWN_VALUE, [f"{col.name}: {values_text[i]!r} is not yes/no (1/0)" for i in bad])
        return pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_()))), empty
    if kind == "text":
        if col.name == "industry":  # a four-digit class C3670 belongs to its division C36
            raw = pc.replace_substring_regex(trimmed, r"^([A-T]\d{2})\d{1,2}$", r"\1")
        marker = pc.is_in(trimmed, pa.array(EMPTY_MARKERS)).to_numpy(zero_copy_only=False)
        if marker.any():
            empty = also_empty(marker)
        if col.max_length:
            long = np.flatnonzero(
                pc.greater(pc.utf8_length(raw), col.max_length).to_numpy(zero_copy_only=False) & ~empty
            )
            problems.add(long, TOO_LONG, [f"{col.name}: longer than {col.max_length} characters"] * len(long))
        return pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), raw), empty
    if kind == "code":
        values, wider = _codes(text, empty, problems)
        also_empty(wider)
        return values, wider
    parser = _value_parser(col)
    values, errors, blank = _parse_unique(
        pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text), parser
    )
    if blank.any():
        if kind == "date":
            sentinel = blank & ~pc.is_in(text, pa.array(EMPTY_MARKERS)).to_numpy(zero_copy_only=False)
            if sentinel.any():
                problems.sentinel_dates[col.name] = int(sentinel.sum())
        empty = also_empty(blank)
    bad = np.flatnonzero(pc.is_valid(errors).to_numpy(zero_copy_only=False))
    prefix = "" if kind == "choice" else f"{col.name}: "
    code = UNKNOWN_VALUE if kind == "choice" else INVALID_DATE
    problems.add(bad, code, [prefix + e for e in errors.take(pa.array(bad)).to_pylist()])
    if kind in {"date", "month", "quarter"}:
        return values.cast(pa.timestamp("s")), empty
    if kind == "year":
        return values.cast(pa.int16()), empty
    return values, empty


def _value_parser(col: Column) -> Callable[[str], object]:
    """The parser of one distinct value of a choice, date or period column (markers read BLANK)."""
    if col.kind == "choice":
        synonyms = CHOICE_SYNONYMS.get(col.name, {})

        def choice(raw_value: str) -> object:
            if raw_value in EMPTY_MARKERS:
                return BLANK
            value = synonyms.get(raw_value, raw_value)
            if col.name in VOCABULARY_COLUMNS:
                value = registration_vocabulary(col.name, value)
            if value not in col.choices:
                raise ValueError(f"{col.name}: {raw_value!r} is not one of {', '.join(col.choices)}")
            return value

        return choice
    parse = {"date": _parse_date, "month": _parse_month, "quarter": _parse_quarter, "year": _parse_year}[
        col.kind
    ]

    def period(raw_value: str) -> object:
        if raw_value in EMPTY_MARKERS:
            return BLANK
        value = parse(raw_value)
        if col.kind == "date" and isinstance(value, datetime) and value.date() in SENTINEL_DATES:
            if not (col.nullable or not col.required):
                raise ValueError(f"{raw_value!r} is a placeholder for 'no date', and a date is required")
            return BLANK
        return value

    return period
