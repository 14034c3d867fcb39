"""The three labels of SPEC §4, computed from records dated after the as-of date.

Labels read the best knowledge now (latest versions, every correction given) of what happened in
the label window; the population is fixed by what was known on the as-of date, so it is the same
set of enterprises the model will be asked to score. Nothing here reads generator truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.contracts import SOURCES, derive_reported_on, empty_frame
from data.errors import InvalidArguments
from features import rules
from features.pointintime import as_timestamp, corrections_known, current_records, known_records
from features.view import latest_registration, registration_on
from features.windows import dense_matrices, month_number, positions

_CLOSED = ("revoked", "deregistered")


@dataclass(frozen=True)
class LabelDef:
    """A label: its column, the months after as-of it looks at, and what it means."""

    name: str
    column: str
    window_months: int
    description: str


LABELS: dict[str, LabelDef] = {
    "credit": LabelDef(
        "credit", "default_12m", 12, "new serious negative event within 12 months (active, ≥ 6 months old)"
    ),
    "repair": LabelDef(
        "repair", "unrepaired_12m", 12, "a repairable negative record still unrepaired 12 months later"
    ),
    "activity": LabelDef(
        "activity", "active_next_q", 3, "operating in the next quarter (sales, insured staff or electricity)"
    ),
}


def get_label(label: str) -> LabelDef:
    """Return the label definition, or raise naming the known labels."""
    try:
        return LABELS[label]
    except KeyError:
        raise InvalidArguments(f"unknown label {label!r}; choose one of {', '.join(LABELS)}") from None


def label_window(as_of: date | pd.Timestamp, label: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day of the label window: the day after as-of to the horizon."""
    start = as_timestamp(as_of)
    return start + pd.Timedelta(days=1), start + pd.DateOffset(months=get_label(label).window_months)


def _population(
    records: Mapping[str, pd.DataFrame],
    as_of: pd.Timestamp,
    corrections: pd.DataFrame | None,
    min_age_months: int = 0,
) -> pd.Index:
    """Return the enterprises known active on ``as_of`` (and old enough), as known then."""
    current = registration_on(records.get("registry", empty_frame(SOURCES["registry"])), as_of, corrections)
    old_enough = current["established_on"] <= as_of - pd.DateOffset(months=min_age_months)
    return pd.Index(current.index[(current["status"] == "active") & old_enough], dtype="str")


def _months_in_window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Monthly records whose period ends inside the window."""
    period_end = frame["period"] + pd.DateOffset(months=1) - pd.Timedelta(days=1)
    return ((period_end >= start) & (period_end <= end)).to_numpy(bool)


def _codes(frame: pd.DataFrame, mask: np.ndarray) -> set[str]:
    return set(frame.loc[mask, "credit_code"].astype("str"))


def _utility_arrears_run(
    utility: pd.DataFrame, population: pd.Index, start: pd.Timestamp, end: pd.Timestamp
) -> set[str]:
    """Enterprises whose utility arrears reach 3 consecutive months in a month of the window."""
    last = int(month_number(np.array([end - pd.DateOffset(months=1) + pd.Timedelta(days=1)]))[0])
    first = int(month_number(np.array([start]))[0])
    n_periods = last - first + 3  # two months before the window can start a run
    arrears = dense_matrices(
        rows=positions(utility["credit_code"], population),
        periods=month_number(utility["period"]),
        last_period=last,
        n_rows=len(population),
        n_periods=n_periods,
        columns={"arrears": utility["arrears_balance"].to_numpy()},
        version_order=(),
    )["arrears"]
    in_arrears = np.nan_to_num(arrears) > 0
    run = np.zeros(len(population))
    reached = np.zeros(len(population), dtype=bool)
    for month in range(n_periods):
        run = (run + 1) * in_arrears[:, month]
        if month >= 2:
            reached |= run >= 3
    return set(population[reached])


def default_12m(
    records: Mapping[str, pd.DataFrame],
    as_of: date | pd.Timestamp,
    corrections: pd.DataFrame | None = None,
    current: Mapping[str, pd.DataFrame] | None = None,
) -> pd.Series:
    """Return 1 where a new serious negative event falls within 12 months after as-of."""
    as_of = as_timestamp(as_of)
    start, end = label_window(as_of, "credit")
    population = _population(records, as_of, corrections, min_age_months=6)
    current = current if current is not None else current_records(records, corrections)
    events = current["credit_events"]
    in_window = (events["occurred_on"] >= start) & (events["occurred_on"] <= end)
    serious_kind = events["kind"].isin(("abnormal_operation", "serious_dishonesty", "judgment_defaulter"))
    penalty = (events["kind"] == "admin_penalty") & events["severity"].isin(("general", "serious"))
    defaulted = _codes(events, (in_window & (serious_kind | penalty)).to_numpy(bool))
    grades = current["tax_grade"]
    published = derive_reported_on(SOURCES["tax_grade"], grades)
    defaulted |= _codes(
        grades, ((grades["grade"] == "D") & (published >= start) & (published <= end)).to_numpy(bool)
    )
    social = current["social_security"]
    defaulted |= _codes(
        social, _months_in_window(social, start, end) & (social["arrears_months"] >= 3).to_numpy(bool)
    )
    utility = current["utility"]
    defaulted |= _utility_arrears_run(utility, population, start, end)
    return pd.Series(population.isin(list(defaulted)).astype(np.int8), index=population, name="default_12m")


def unrepaired_12m(
    records: Mapping[str, pd.DataFrame],
    as_of: date | pd.Timestamp,
    corrections: pd.DataFrame | None = None,
    current: Mapping[str, pd.DataFrame] | None = None,
) -> pd.Series:
    """Return 1 where a record repairable within the window is still in force at its end.

    Population: active enterprises holding, as known on as-of, a general or serious negative record
    in force that is or becomes repairable within 12 months. Closing the enterprise (revoked or
    deregistered) with the record in force counts as unrepaired.
    """
    as_of = as_timestamp(as_of)
    _, end = label_window(as_of, "repair")
    contract = SOURCES["credit_events"]
    known = known_records(
        records.get("credit_events", empty_frame(contract)),
        contract,
        as_of,
        corrections_known(corrections, as_of),
    )
    holding = known[
        rules.in_force(known, as_of).to_numpy(bool) & (rules.repairable_from(known) <= end).to_numpy(bool)
    ]
    population = _population(records, as_of, corrections)
    holding = holding[holding["credit_code"].isin(population).to_numpy(bool)]
    current = current if current is not None else current_records(records, corrections)
    # A record revoked since as-of was never due: it drops out with its correction.
    outcome = current["credit_events"].merge(holding[["event_id"]], on="event_id")
    registry = current["registry"]
    closures = registry[
        registry["status"].isin(_CLOSED)
        & (registry["status_changed_on"] > as_of)
        & (registry["status_changed_on"] <= end)
    ]
    closed_on = closures.groupby("credit_code")["status_changed_on"].min().rename("closed_on")
    outcome = outcome.merge(closed_on.reset_index(), on="credit_code", how="left")
    checked_on = outcome["closed_on"].fillna(end).astype("datetime64[s]")
    still = rules.in_force(outcome, checked_on).to_numpy(bool)
    codes = pd.Index(sorted(set(holding["credit_code"].astype("str"))), dtype="str")
    return pd.Series(
        codes.isin(list(_codes(outcome, still))).astype(np.int8), index=codes, name="unrepaired_12m"
    )


def active_next_q(
    records: Mapping[str, pd.DataFrame],
    as_of: date | pd.Timestamp,
    corrections: pd.DataFrame | None = None,
    current: Mapping[str, pd.DataFrame] | None = None,
) -> pd.Series:
    """Return 1 where an enterprise active on as-of operates in the next quarter and stays open."""
    as_of = as_timestamp(as_of)
    start, end = label_window(as_of, "activity")
    population = _population(records, as_of, corrections)
    current = current if current is not None else current_records(records, corrections)
    operating: set[str] = set()
    for source, column, floor in (
        ("tax", "vat_sales", 0.0),
        ("social_security", "insured_headcount", 0.0),
        ("utility", "electricity_kwh", rules.ELECTRICITY_IDLE_FLOOR_KWH),
    ):
        frame = current[source]
        operating |= _codes(
            frame, _months_in_window(frame, start, end) & (frame[column] > floor).to_numpy(bool)
        )
    closing = latest_registration(current["registry"], end)
    still_open = set(closing.loc[(closing["status"] == "active").to_numpy(bool), "credit_code"].astype("str"))
    return pd.Series(
        population.isin(list(operating & still_open)).astype(np.int8), index=population, name="active_next_q"
    )


_COMPUTE = {"credit": default_12m, "repair": unrepaired_12m, "activity": active_next_q}


def compute_labels(
    records: Mapping[str, pd.DataFrame],
    as_of: date | pd.Timestamp,
    label: str = "credit",
    corrections: pd.DataFrame | None = None,
    current: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Return ``credit_code`` and the label column for the label's population on ``as_of``.

    ``current`` is ``current_records(records, corrections)`` when the caller already holds it: it
    does not depend on ``as_of``, so a panel computes it once for all its as-of dates.
    """
    series = _COMPUTE[get_label(label).name](records, as_of, corrections, current)
    frame = series.rename_axis("credit_code").reset_index()
    frame["credit_code"] = frame["credit_code"].astype("str")
    return frame.sort_values("credit_code", kind="stable").reset_index(drop=True)
