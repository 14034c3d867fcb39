"""Credit rules of SPEC §3 that features and labels share: display, repair and escalation dates.

Kept in one place so that a feature ("days until repairable") and a label ("still unrepaired a
year later") can never disagree on when a record becomes repairable.
"""

from __future__ import annotations

import pandas as pd

from data.contracts import add_months

NEGATIVE_KINDS = (
    "admin_penalty",
    "abnormal_operation",
    "serious_dishonesty",
    "judgment_defaulter",
    "commitment_breached",
)
POSITIVE_KINDS = ("honor", "commitment_made")
# Lists stay in force until cured, performed or repaired; penalties expire with their display window.
LIST_KINDS = ("abnormal_operation", "serious_dishonesty", "judgment_defaulter")

# Longest display per severity (minor: not published beyond 3 months; general: up to 1 year;
# serious: up to 3 years) and the earliest repair (general after 3 months, serious after 1 year).
DISPLAY_MONTHS = {"minor": 3, "general": 12, "serious": 36}
REPAIRABLE_AFTER_MONTHS = {"general": 3, "serious": 12}
ABNORMAL_ESCALATION_MONTHS = 36
# Standby consumption of closed premises (lighting, security, refrigeration): below it a month of
# electricity says nothing about operating.
ELECTRICITY_IDLE_FLOOR_KWH = 500.0


def display_start(events: pd.DataFrame) -> pd.Series:
    """Return the date each record went on display: publication, else the decision date."""
    return events["published_on"].fillna(events["occurred_on"])


def _months_after(start: pd.Series, months_by_severity: dict[str, int], severity: pd.Series) -> pd.Series:
    result = pd.Series(pd.NaT, index=start.index, dtype=start.dtype)
    for level, months in months_by_severity.items():
        mask = (severity == level).fillna(False).to_numpy(bool)
        if mask.any():
            result[mask] = add_months(start[mask], months)
    return result


def display_end(events: pd.DataFrame) -> pd.Series:
    """Return the date each record's longest display window ends."""
    return _months_after(display_start(events), DISPLAY_MONTHS, events["severity"])


def repairable_from(events: pd.DataFrame) -> pd.Series:
    """Return the earliest date each record can be repaired; NaT where repair does not apply."""
    return _months_after(display_start(events), REPAIRABLE_AFTER_MONTHS, events["severity"])


def escalates_on(events: pd.DataFrame) -> pd.Series:
    """Return when an uncured abnormal-operation listing moves to the serious list (else NaT)."""
    start = add_months(display_start(events), ABNORMAL_ESCALATION_MONTHS)
    return start.where(events["kind"] == "abnormal_operation")


def resolved_on(events: pd.DataFrame) -> pd.Series:
    """Return when a record stopped counting against the enterprise: repaired or removed."""
    return events[["repaired_on", "removed_on"]].min(axis=1)


def in_force(events: pd.DataFrame, on: pd.Timestamp | pd.Series) -> pd.Series:
    """Return whether each negative record still counts against the enterprise on ``on``.

    ``on`` is one date or one date per record (the day its enterprise closed, for labels).

    A list entry counts until it is repaired or removed; a penalty also lapses when its display
    window ends.
    """
    negative = events["kind"].isin(NEGATIVE_KINDS).fillna(False)
    started = display_start(events) <= on
    resolved = resolved_on(events)
    unresolved = resolved.isna() | (resolved > on)
    is_list = events["kind"].isin(LIST_KINDS).fillna(False)
    displayed = is_list | (display_end(events) > on)
    return (negative & started & unresolved & displayed).astype(bool)
