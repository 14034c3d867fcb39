"""Loaded-dtype frames for hand-made enterprises, shared by the tests of every package.

``loaded(source, rows)`` turns a few dicts into a frame with exactly the columns and dtypes a
warehouse read gives (``data.contracts.empty_frame``); the per-source helpers fill plausible
defaults so a test states only what it is about.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from data.contracts import SOURCES, derive_reported_on, empty_frame
from data.credit_code import make_credit_code
from features.pointintime import CORRECTION_COLUMNS

LOADED_AT = pd.Timestamp("2026-01-01 00:00:00")

# Three enterprises with valid codes, one per scenario the tests keep needing.
HEALTHY = make_credit_code("MA05T3K7")
STRUGGLING = make_credit_code("MA07AB12")
NEWCOMER = make_credit_code("MA09CD34")


def loaded(source: str, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Return ``rows`` as a frame of ``source`` in loaded dtypes, lineage and reported_on filled."""
    contract = SOURCES[source]
    template = empty_frame(contract)
    rows = list(rows)
    if not rows:
        return template
    raw = pd.DataFrame(rows)
    frame = pd.DataFrame(index=range(len(raw)))
    for col in template.columns:
        values = raw[col] if col in raw else pd.Series([None] * len(raw))
        if str(template[col].dtype).startswith("datetime64"):
            frame[col] = pd.to_datetime(values).astype(template[col].dtype)
        else:
            frame[col] = values.astype(template[col].dtype) if values.notna().all() else values
    frame["batch_id"] = frame["batch_id"].fillna("factory") if "batch_id" in raw else "factory"
    if "row_number" not in raw:
        frame["row_number"] = range(1, len(frame) + 1)
    if "loaded_at" not in raw:
        frame["loaded_at"] = LOADED_AT
    missing = frame["reported_on"].isna()
    if missing.any():
        frame.loc[missing, "reported_on"] = derive_reported_on(contract, frame[missing])
    return frame.astype(template.dtypes.to_dict())


def registry(
    code: str,
    established_on: str = "2018-03-01",
    zone: str = "teda",
    industry: str = "C39",
    capital: float = 1000.0,
    changes: Iterable[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Registration of one enterprise: active from ``established_on``, then (date, status) changes."""
    base = {
        "credit_code": code,
        "name": f"企业{code[-4:]}",
        "zone": zone,
        "industry": industry,
        "entity_type": code[1],
        "registered_capital": capital,
        "established_on": established_on,
        "legal_rep_id": "120101199001011234",
    }
    rows = [{**base, "status": "active", "status_changed_on": established_on}]
    rows += [{**base, "status": status, "status_changed_on": on} for on, status in changes]
    return loaded("registry", rows)


def months(start: str, count: int) -> list[pd.Timestamp]:
    return list(pd.date_range(start, periods=count, freq="MS"))


def tax(code: str, start: str, count: int, **values: Any) -> pd.DataFrame:
    """Monthly tax records from ``start``; ``values`` override defaults (scalars or lists)."""
    defaults = {
        "vat_sales": 100_000.0,
        "vat_payable": 13_000.0,
        "cit_prepaid": 2_500.0,
        "filed_on_time": True,
        "zero_return": False,
        "arrears_balance": 0.0,
        "arrears_days": 0,
    }
    return _monthly("tax", code, start, count, defaults | values)


def social_security(code: str, start: str, count: int, **values: Any) -> pd.DataFrame:
    defaults = {
        "insured_headcount": 20,
        "contribution_base": 120_000.0,
        "due": 36_000.0,
        "paid": 36_000.0,
        "arrears_months": 0,
    }
    return _monthly("social_security", code, start, count, defaults | values)


def utility(code: str, start: str, count: int, **values: Any) -> pd.DataFrame:
    defaults = {
        "electricity_kwh": 8_000.0,
        "water_m3": 120.0,
        "gas_m3": 50.0,
        "billed": 7_000.0,
        "paid": 7_000.0,
        "arrears_balance": 0.0,
    }
    return _monthly("utility", code, start, count, defaults | values)


def statistics(code: str, start: str, count: int, **values: Any) -> pd.DataFrame:
    """Quarterly statistics from the quarter starting ``start``."""
    defaults = {
        "revenue": 3_000.0,
        "output_value": 2_800.0,
        "profit": 150.0,
        "employees": 25,
        "rd_expense": 90.0,
        "total_assets": 5_000.0,
        "total_liabilities": 2_500.0,
    }
    periods = list(pd.date_range(start, periods=count, freq="QS"))
    return loaded("statistics", _rows(code, periods, defaults | values))


def _rows(code: str, periods: list[pd.Timestamp], values: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for i, period in enumerate(periods):
        row = {"credit_code": code, "period": period}
        for name, value in values.items():
            row[name] = value[i] if isinstance(value, list) else value
        rows.append(row)
    return rows


def _monthly(source: str, code: str, start: str, count: int, values: dict[str, Any]) -> pd.DataFrame:
    return loaded(source, _rows(code, months(start, count), values))


def tax_grades(code: str, grades: dict[int, str]) -> pd.DataFrame:
    return loaded("tax_grade", [{"credit_code": code, "year": y, "grade": g} for y, g in grades.items()])


def ip_events(code: str, events: Iterable[tuple[str, str] | tuple[str, str, float]]) -> pd.DataFrame:
    """IP events as (event_on, kind) or (event_on, kind, pledge amount)."""
    rows = [
        {
            "credit_code": code,
            "ip_id": f"ZL{i:06d}",
            "event_on": e[0],
            "kind": e[1],
            "amount": e[2] if len(e) > 2 else None,
        }
        for i, e in enumerate(events)
    ]
    return loaded("ip", rows)


def credit_event(
    code: str, event_id: str, kind: str, severity: str, occurred_on: str, **dates: str | None
) -> dict[str, Any]:
    """One credit record as a row dict (combine several with ``loaded("credit_events", rows)``)."""
    return {
        "event_id": event_id,
        "credit_code": code,
        "kind": kind,
        "severity": severity,
        "occurred_on": occurred_on,
        "published_on": dates.get("published_on", occurred_on),
        "repaired_on": dates.get("repaired_on"),
        "removed_on": dates.get("removed_on"),
        "department": "市场监管局",
        "reported_on": dates.get("reported_on"),
    }


def correction(
    source: str,
    code: str,
    record_key: dict[str, Any],
    action: str,
    decided_on: str,
    new_values: dict[str, Any] | None = None,
    correction_id: str = "C1",
) -> dict[str, Any]:
    """One correction row as ``data.corrections.read_corrections`` returns it."""
    return {
        "correction_id": correction_id,
        "source": source,
        "credit_code": code,
        "record_key": json.dumps(record_key),
        "action": action,
        "new_values": json.dumps(new_values) if new_values else None,
        "decided_on": pd.Timestamp(decided_on),
        "decided_by": "reviewer",
        "reason": "upheld",
    }


def corrections(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(CORRECTION_COLUMNS))
    frame["decided_on"] = frame["decided_on"].astype("datetime64[s]")
    return frame


def combine(*parts: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Concatenate record dicts source by source (every source present, possibly empty)."""
    out = {}
    for name, contract in SOURCES.items():
        frames = [p[name] for p in parts if name in p and len(p[name])]
        out[name] = pd.concat(frames, ignore_index=True) if frames else empty_frame(contract)
        out[name]["row_number"] = range(1, len(out[name]) + 1)
    return out


def world(as_of: date = date(2025, 6, 1)) -> dict[str, pd.DataFrame]:
    """Three enterprises around ``as_of``: a healthy one, one in trouble, and a newcomer."""
    start = (pd.Timestamp(as_of) - pd.DateOffset(months=36)).strftime("%Y-%m-01")
    healthy = {
        "registry": registry(HEALTHY, "2015-05-20", zone="hitech", industry="I65", capital=5000.0),
        "tax": tax(HEALTHY, start, 48),
        "social_security": social_security(HEALTHY, start, 48),
        "utility": utility(HEALTHY, start, 48),
        "statistics": statistics(HEALTHY, start, 16),
        "tax_grade": tax_grades(HEALTHY, {2021: "A", 2022: "A", 2023: "B", 2024: "A"}),
        "ip": ip_events(
            HEALTHY,
            [
                ("2023-02-01", "invention_application"),
                ("2024-09-01", "invention_grant"),
                ("2025-01-10", "pledge", 300.0),
            ],
        ),
        "credit_events": loaded(
            "credit_events",
            [
                credit_event(HEALTHY, "H1", "honor", "minor", "2024-11-01"),
            ],
        ),
    }
    arrears = [0.0] * 30 + [5_000.0 * (i + 1) for i in range(18)]
    struggling = {
        "registry": registry(STRUGGLING, "2019-08-01", zone="dongjiang", industry="L71"),
        "tax": tax(
            STRUGGLING, start, 48, arrears_balance=arrears, filed_on_time=[i % 4 != 0 for i in range(48)]
        ),
        "social_security": social_security(
            STRUGGLING,
            start,
            48,
            insured_headcount=[max(40 - i, 2) for i in range(48)],
            arrears_months=[0] * 40 + [1, 2, 3, 4, 5, 6, 7, 8],
        ),
        "utility": utility(STRUGGLING, start, 48, arrears_balance=arrears),
        "tax_grade": tax_grades(STRUGGLING, {2022: "B", 2023: "C", 2024: "D"}),
        "credit_events": loaded(
            "credit_events",
            [
                credit_event(STRUGGLING, "S1", "admin_penalty", "general", "2024-12-10"),
                credit_event(STRUGGLING, "S2", "abnormal_operation", "general", "2025-03-05"),
                credit_event(
                    STRUGGLING, "S3", "admin_penalty", "general", "2023-01-10", repaired_on="2023-06-01"
                ),
                credit_event(STRUGGLING, "S4", "judgment_defaulter", "serious", "2025-08-01"),
            ],
        ),
    }
    newcomer = {
        "registry": registry(
            NEWCOMER,
            (pd.Timestamp(as_of) - pd.DateOffset(months=4)).date().isoformat(),
            zone="ecocity",
            industry="M73",
            capital=100.0,
        ),
    }
    return combine(healthy, struggling, newcomer)
