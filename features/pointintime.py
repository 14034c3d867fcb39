"""What was known on a date: records reported by then, their latest versions, and corrections.

Features read records only through these functions, so leakage has one place to hide and one
place to be tested.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd

from data.contracts import SOURCES, Source, empty_frame

CORRECTION_COLUMNS = (
    "correction_id",
    "source",
    "credit_code",
    "record_key",
    "action",
    "new_values",
    "decided_on",
    "decided_by",
    "reason",
)
# Credit-event dates that describe later happenings: unknown before they happen.
_EVENT_LATER_DATES = ("published_on", "repaired_on", "removed_on")


def as_timestamp(day: date | pd.Timestamp | str) -> pd.Timestamp:
    """Return ``day`` as a day-precision timestamp comparable with loaded ``datetime64[s]``."""
    return pd.Timestamp(day).normalize().as_unit("s")


def empty_corrections() -> pd.DataFrame:
    """Return an empty corrections frame with the columns ``read_corrections`` gives."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in CORRECTION_COLUMNS})
    frame["decided_on"] = pd.Series(dtype="datetime64[s]")
    return frame


def corrections_known(corrections: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Return the corrections decided on or before ``as_of`` (defensive: callers may pass more)."""
    if corrections is None or corrections.empty:
        return empty_corrections()
    decided = pd.to_datetime(corrections["decided_on"])
    return corrections[(decided <= as_of).to_numpy(bool)]


def _key_text(value: object, kind: str) -> str:
    """Return a canonical text for one key value, so JSON keys and loaded columns compare."""
    if kind in ("date", "month", "quarter"):
        text = str(value)
        stamp = pd.Period(text, freq="Q").start_time if "Q" in text.upper() else pd.Timestamp(text)
        return stamp.strftime("%Y-%m-%d")
    if kind == "year":
        return str(int(value))  # type: ignore[call-overload]
    return str(value)


def _record_key_columns(source: Source) -> list[str]:
    return [c for c in source.key if c != "credit_code"]


def _frame_keys(frame: pd.DataFrame, source: Source) -> pd.Series:
    parts = []
    for col in _record_key_columns(source):
        kind = source.column(col).kind
        values = frame[col]
        if kind in ("date", "month", "quarter"):
            parts.append(values.dt.strftime("%Y-%m-%d").astype("str"))
        else:
            parts.append(values.astype("int64" if kind == "year" else "str").astype("str"))
    key = frame["credit_code"].astype("str")
    for part in parts:
        key = key + "|" + part
    return key


def _correction_keys(corrections: pd.DataFrame, source: Source) -> pd.Series:
    cols = _record_key_columns(source)

    def one(row: pd.Series) -> str:
        record_key = json.loads(row["record_key"])
        parts = [_key_text(record_key[c], source.column(c).kind) for c in cols]
        return "|".join([str(row["credit_code"]), *parts])

    return corrections.apply(one, axis=1)


def _cast(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind in ("date", "month", "quarter"):
        return pd.Timestamp(_key_text(value, kind))
    if kind == "bool":
        return bool(value)
    if kind in ("int", "year"):
        return int(value)  # type: ignore[call-overload]
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    return str(value)


def apply_corrections(frame: pd.DataFrame, source: Source, corrections: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with the given corrections applied, in the order they were decided.

    revoke drops every version of the record, amend overwrites columns with ``new_values`` and
    repair marks a credit record repaired on the decision date (if not repaired earlier).
    """
    mine = corrections[(corrections["source"] == source.name).to_numpy(bool)]
    if mine.empty or frame.empty:
        return frame
    touched = frame["credit_code"].isin(mine["credit_code"].unique()).to_numpy(bool)
    if not touched.any():
        return frame
    frame = frame.copy()
    row_keys = pd.Series(pd.NA, index=frame.index, dtype="object")
    row_keys[touched] = _frame_keys(frame[touched], source)
    mine = mine.assign(match_key=_correction_keys(mine, source)).sort_values(
        ["decided_on", "correction_id"], kind="stable"
    )
    keep = np.ones(len(frame), dtype=bool)
    for corr in mine.itertuples(index=False):
        rows = (row_keys == corr.match_key).to_numpy(bool)
        if corr.action == "revoke":
            keep &= ~rows
        elif corr.action == "amend":
            for col, value in json.loads(str(corr.new_values or "{}")).items():
                if col in source.column_names and col not in source.key:
                    frame.loc[rows, col] = cast(Any, _cast(value, source.column(col).kind))
        elif corr.action == "repair" and "repaired_on" in frame:
            decided = as_timestamp(cast(pd.Timestamp, corr.decided_on))
            current = frame.loc[rows, "repaired_on"]
            frame.loc[rows, "repaired_on"] = current.where(current <= decided, decided)
    return frame[keep]


def correction_actions(frame: pd.DataFrame, source: Source, corrections: pd.DataFrame) -> pd.Series:
    """Return, per row of ``frame``, the action of the last correction naming its record (else None).

    Pages show a corrected record beside what was done to it; matching is ``apply_corrections``'.
    """
    actions = pd.Series(None, index=frame.index, dtype="object")
    mine = corrections[(corrections["source"] == source.name).to_numpy(bool)]
    if mine.empty or frame.empty:
        return actions
    touched = frame["credit_code"].isin(mine["credit_code"].unique()).to_numpy(bool)
    if not touched.any():
        return actions
    ordered = mine.assign(match_key=_correction_keys(mine, source)).sort_values(
        ["decided_on", "correction_id"], kind="stable"
    )
    last = ordered.drop_duplicates("match_key", keep="last").set_index("match_key")["action"]
    actions[touched] = _frame_keys(frame[touched], source).map(last)
    return actions.where(actions.notna(), None)


def latest_versions(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    """Return one row per record key: the greatest ``reported_on``, ties broken by ``loaded_at``."""
    if frame.empty:
        return frame
    ordered = frame.sort_values([*source.key, "reported_on", "loaded_at"], kind="stable")
    return ordered.drop_duplicates(list(source.key), keep="last")


def known_rows(
    frame: pd.DataFrame, source: Source, as_of: pd.Timestamp, corrections: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return ``frame`` with the corrections decided by ``as_of`` applied, and which rows were known.

    Large monthly sources use this to skip copying millions of rows only to drop a few.
    """
    frame = apply_corrections(frame, source, corrections_known(corrections, as_of))
    return frame, (frame["reported_on"] <= as_of).to_numpy(bool)


def known_records(
    frame: pd.DataFrame,
    source: Source,
    as_of: pd.Timestamp,
    corrections: pd.DataFrame,
    deduplicate: bool = True,
) -> pd.DataFrame:
    """Return the records of ``source`` as known on ``as_of``.

    Rows reported later are dropped; corrections decided by ``as_of`` apply; dates that lie after
    ``as_of`` (a repair or removal announced in advance) are blanked, since they had not happened.
    ``deduplicate=False`` leaves restatements to callers that resolve them faster themselves.
    """
    frame, known_mask = known_rows(frame, source, as_of, corrections)
    known = frame[known_mask]
    if source.name == "credit_events":
        known = known[(known["occurred_on"] <= as_of).to_numpy(bool)]
        later = {c: known[c].where(known[c] <= as_of) for c in _EVENT_LATER_DATES}
        known = known.assign(**later)
    if source.name == "registry":
        known = known[(known["status_changed_on"] <= as_of).to_numpy(bool)]
    return latest_versions(known, source) if deduplicate else known


def current_records(
    records: Mapping[str, pd.DataFrame], corrections: pd.DataFrame | None
) -> dict[str, pd.DataFrame]:
    """Return the latest version of every record with all given corrections applied.

    Labels read this: the best knowledge now of what happened after an as-of date.
    """
    corr = corrections if corrections is not None else empty_corrections()
    return {
        name: latest_versions(apply_corrections(records.get(name, empty_frame(source)), source, corr), source)
        for name, source in SOURCES.items()
    }
