"""Deliberate data-quality faults, each recorded so a test can check ingestion quarantines it.

Every messy row carries exactly one fault; duplicates copy a clean row and are listed as the
second occurrence (the copy), which is the row an ingestion that keeps the first should reject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.credit_code import ALPHABET, is_valid_credit_code

REASONS = (
    "bad_credit_code",
    "negative_value",
    "out_of_range",
    "invalid_date",
    "duplicate_key",
    "unparseable_number",
)

# Which column takes each fault, per source. CSV sources can carry text faults; Parquet is typed.
FAULTS: dict[str, dict[str, str | None]] = {
    "registry": {
        "bad_credit_code": None,
        "negative_value": "registered_capital",
        "invalid_date": "established_on",
        "unparseable_number": "registered_capital",
        "duplicate_key": None,
    },
    "tax": {
        "bad_credit_code": None,
        "negative_value": "vat_sales",
        "out_of_range": "arrears_days",
        "unparseable_number": "vat_payable",
        "duplicate_key": None,
    },
    "social_security": {
        "bad_credit_code": None,
        "negative_value": "paid",
        "out_of_range": "insured_headcount",
        "unparseable_number": "contribution_base",
        "duplicate_key": None,
    },
    "credit_events": {"bad_credit_code": None, "invalid_date": "occurred_on", "duplicate_key": None},
    "utility": {"bad_credit_code": None, "negative_value": "electricity_kwh", "duplicate_key": None},
    "statistics": {
        "bad_credit_code": None,
        "negative_value": "revenue",
        "out_of_range": "employees",
        "duplicate_key": None,
    },
    "ip": {"bad_credit_code": None, "negative_value": "amount", "duplicate_key": None},
    "tax_grade": {"bad_credit_code": None, "duplicate_key": None},
    "declarations": {"bad_credit_code": None, "negative_value": "revenue", "duplicate_key": None},
}
_OUT_OF_RANGE = {"arrears_days": 99_999, "insured_headcount": 2_000_000, "employees": 5_000_000}
_IMPOSSIBLE_DATES = ("2023-02-30", "2024-04-31", "2022-13-05", "2025-02-29", "2023-06-31")
_BAD_NUMBERS = ("#VALUE!", "12.3O", "1.234.5", "--", "约300")


@dataclass(frozen=True)
class Fault:
    """One messy row: its 0-based position in the written part and its quarantine reason."""

    position: int
    reason: str


def bad_code(code: str, rng: np.random.Generator) -> str:
    """Change one character so the code fails a check (any single change breaks the checksum)."""
    while True:
        pos = int(rng.integers(0, 18))
        new = ALPHABET[int(rng.integers(0, len(ALPHABET)))]
        mutated = code[:pos] + new + code[pos + 1 :]
        if mutated != code and not is_valid_credit_code(mutated):
            return mutated


def inject(
    table: pa.Table, source: str, rate: float, rng: np.random.Generator, text: bool
) -> tuple[pa.Table, list[Fault]]:
    """Return ``table`` with faults at about ``rate`` of its rows, and the faults' positions.

    ``text`` says the table is already formatted as text columns (CSV), so a value can be
    replaced by an impossible date or an unparseable number.
    """
    n = table.num_rows
    if n == 0 or rate <= 0:
        return table, []
    options = [r for r in FAULTS[source] if text or r not in ("invalid_date", "unparseable_number")]
    hit = np.flatnonzero(rng.random(n) < rate)
    reason = np.asarray(options)[rng.integers(0, len(options), len(hit))]
    columns = {name: table[name].combine_chunks() for name in table.column_names}

    for r in options:
        rows = hit[reason == r]
        if len(rows) == 0 or r == "duplicate_key":
            continue
        column = FAULTS[source][r] or "credit_code"
        values = columns[column]
        mask = np.zeros(n, bool)
        mask[rows] = True
        new: list[object]
        if r == "bad_credit_code":
            new = [bad_code(c, rng) for c in values.take(pa.array(rows)).to_pylist()]
        elif r == "invalid_date":
            new = list(rng.choice(_IMPOSSIBLE_DATES, len(rows)))
        elif r == "unparseable_number":
            new = list(rng.choice(_BAD_NUMBERS, len(rows)))
        elif r == "out_of_range":
            new = [_OUT_OF_RANGE[column]] * len(rows)
        else:  # negative_value
            old = values.take(pa.array(rows)).to_pylist()
            new = [-abs(_number(v)) if v is not None and _number(v) != 0 else -12.5 for v in old]
        if text:
            new = [str(v) for v in new]
        columns[column] = pc.replace_with_mask(values, pa.array(mask), pa.array(new, values.type))
    out = pa.table(columns)

    duplicated = hit[reason == "duplicate_key"]
    order = np.sort(np.concatenate([np.arange(n), duplicated]), kind="stable")
    copies = np.flatnonzero(order[1:] == order[:-1]) + 1
    faulty = hit[reason != "duplicate_key"]
    positions = np.concatenate([np.searchsorted(order, faulty), copies])
    reasons = np.concatenate([reason[reason != "duplicate_key"], np.full(len(copies), "duplicate_key")])
    by_position = np.argsort(positions, kind="stable")
    faults = [
        Fault(int(p), str(r)) for p, r in zip(positions[by_position], reasons[by_position], strict=True)
    ]
    return out.take(pa.array(order)), faults


def _number(value: str | float) -> float:
    return float(value)  # decimals and text numbers from the CSV formatting both convert
