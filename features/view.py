"""An enterprise as known on a date: its registration, its records with corrections, its page.

Labels, batch scoring, the API's queries and the dashboard all ask these functions, so "what was
true of this enterprise on that date" has one answer. Corrections come in as a frame (callers read
them from the operational store); which of them apply depends on the use:

- point in time (training panels and labels): only the corrections decided by each as-of date, as
  ``compute_features`` and ``known_records`` filter them;
- current (month-end scores, the API, the dashboard, rescoring after a dispute): every correction
  decided up to the moment of scoring. A ``revoke`` or ``amend`` says the record was wrong from the
  start, so it holds for an earlier as-of date too; ``current_corrections`` dates the later ones on
  the as-of date so the point-in-time machinery lets them through.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.contracts import SOURCES, empty_frame
from features import rules
from features.pointintime import (
    apply_corrections,
    as_timestamp,
    correction_actions,
    corrections_known,
    empty_corrections,
    known_records,
    latest_versions,
)

# A credit record's status on a date, first match wins (see ``credit_status``).
RECORD_STATUSES = (
    "revoked",
    "positive",
    "later",
    "repaired",
    "removed",
    "expired",
    "listed",
    "repairable",
    "waiting",
    "in_force",
)


def current_corrections(corrections: pd.DataFrame | None, as_of: date | pd.Timestamp) -> pd.DataFrame:
    """Return every given correction, those decided after ``as_of`` taking effect on ``as_of``.

    The rule of current scores: the corrected view of the as-of date is the one to score. A repair
    decided later counts as repaired on the as-of date (the latest date the score speaks of).
    """
    if corrections is None or corrections.empty:
        return empty_corrections()
    stamp = as_timestamp(as_of)
    decided = pd.to_datetime(corrections["decided_on"]).astype("datetime64[s]")
    return corrections.assign(decided_on=decided.where(decided <= stamp, stamp))


def latest_registration(registry: pd.DataFrame, on: date | pd.Timestamp) -> pd.DataFrame:
    """Return each enterprise's registry row with its latest status change by ``on``, among the
    enterprises established by then (one row each, ``credit_code`` a column, codes in order).

    Selection only: which versions and corrections the rows carry is the caller's choice (records
    as known on ``on`` for features, the best knowledge now for labels' outcomes).
    """
    stamp = as_timestamp(on)
    rows = registry[
        ((registry["established_on"] <= stamp) & (registry["status_changed_on"] <= stamp)).to_numpy(bool)
    ]
    rows = rows.sort_values(["credit_code", "status_changed_on"], kind="stable")
    return rows.drop_duplicates("credit_code", keep="last").reset_index(drop=True)


def registration_on(
    registry: pd.DataFrame, on: date | pd.Timestamp, corrections: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return each enterprise's registration as known on ``on``, indexed by credit code.

    Rows reported by ``on`` (latest version of each), the given corrections decided by then applied,
    established by then, the latest status change: exactly the rows the registry features use.
    """
    stamp = as_timestamp(on)
    contract = SOURCES["registry"]
    known = known_records(registry, contract, stamp, corrections_known(corrections, stamp))
    return latest_registration(known, stamp).set_index("credit_code")


def credit_status(events: pd.DataFrame, on: date | pd.Timestamp) -> pd.DataFrame:
    """Return credit records with their status on ``on`` and the windows of SPEC §3.

    Adds ``status`` (one of ``RECORD_STATUSES``: revoked by a correction, positive, later — not yet
    on display —, repaired, removed, expired, listed, repairable, waiting, in_force),
    ``shown_from``/``shown_until`` (display window), ``repairable_from`` and ``days_unrepaired`` (days
    on display without repair, for records still counting on ``on``). The dates are ``features.rules``',
    so a page and the features never disagree on when a record counts. A ``correction`` column, if
    present, marks revoked records.
    """
    stamp = as_timestamp(on)
    out = events.copy()
    revoked = (
        (out["correction"] == "revoke").to_numpy(bool) if "correction" in out else np.zeros(len(out), bool)
    )
    start, end, repairable = rules.display_start(out), rules.display_end(out), rules.repairable_from(out)
    counting = rules.in_force(out, stamp) & ~revoked
    is_list = out["kind"].isin(rules.LIST_KINDS).to_numpy(bool)
    out["status"] = np.select(
        [
            revoked,
            ~out["kind"].isin(rules.NEGATIVE_KINDS).to_numpy(bool),
            (start > stamp).to_numpy(bool),
            (out["repaired_on"] <= stamp).to_numpy(bool),
            (out["removed_on"] <= stamp).to_numpy(bool),
            ~counting.to_numpy(bool),
            is_list,
            (repairable <= stamp).to_numpy(bool),
            repairable.notna().to_numpy(bool),
        ],
        list(RECORD_STATUSES[:-1]),
        RECORD_STATUSES[-1],
    )
    out["shown_from"] = start
    out["shown_until"] = end.where(~is_list)
    out["repairable_from"] = repairable
    out["days_unrepaired"] = ((stamp - start).dt.days).where(counting)
    return out


def records_on(
    frame: pd.DataFrame, source: str, on: date | pd.Timestamp, corrections: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the latest version of each record of ``source`` with the corrections decided by ``on``.

    Unlike the features' view, a revoked record stays in the result, marked: the ``correction``
    column holds the action of the last correction naming each record (revoke, amend, repair or
    None), so a page shows it beside its correction instead of as listed. Credit records also get
    their status and windows on ``on`` (``credit_status``). Order: as given.
    """
    stamp = as_timestamp(on)
    contract = SOURCES[source]
    known = corrections_known(corrections, stamp)
    latest = latest_versions(frame.reset_index(drop=True), contract).sort_index()
    corrected = apply_corrections(latest, contract, known)
    revoked = latest[~latest.index.isin(corrected.index)]
    out = pd.concat([corrected, revoked]).sort_index() if len(revoked) else corrected
    out["correction"] = correction_actions(out, contract, known).where(
        ~out.index.isin(revoked.index), "revoke"
    )
    return credit_status(out, stamp) if source == "credit_events" else out


def enterprise_records(
    home: Path,
    credit_codes: Collection[str],
    sources: Collection[str] | None = None,
    *,
    lineage: bool = True,
) -> dict[str, pd.DataFrame]:
    """Return every loaded record of these enterprises (all versions), reading only their buckets.

    ``lineage=False`` leaves out ``batch_id`` and ``row_number``, which features never read
    (``loaded_at`` breaks ties): a quarter less to decode in the large sources when rescoring.
    """
    from data.contracts import arrow_schema
    from data.warehouse import bucket_count, bucket_of, read_source

    codes = sorted(set(credit_codes))
    buckets = np.unique(bucket_of(np.asarray(codes, dtype=object), bucket_count(home))).tolist()
    unread = () if lineage else ("batch_id", "row_number")

    def read(name: str) -> pd.DataFrame:
        columns = [c for c in arrow_schema(SOURCES[name]).names if c not in unread]
        return read_source(name, home, buckets=[int(b) for b in buckets], columns=columns, credit_codes=codes)

    return {name: read(name) if codes else empty_frame(SOURCES[name]) for name in (sources or SOURCES)}


@dataclass(frozen=True)
class EnterpriseView:
    """What an enterprise page or report shows of its records on one date (the profile is the
    scored registration the batch stored, ``registration_on`` of the same date and corrections)."""

    credit_code: str
    on: pd.Timestamp
    records: pd.DataFrame
    corrections: pd.DataFrame


def enterprise_view(
    home: Path, credit_code: str, on: date | pd.Timestamp, corrections: pd.DataFrame | None
) -> EnterpriseView:
    """Return an enterprise on ``on`` as current scores see it: every correction given applies.

    ``corrections`` are the enterprise's (others are ignored); ``records`` are its credit records,
    revoked ones marked, oldest first; ``corrections`` come back as given, with their own dates.
    """
    stamp = as_timestamp(on)
    mine = corrections if corrections is not None else empty_corrections()
    mine = mine[(mine["credit_code"] == credit_code).to_numpy(bool)]
    events = enterprise_records(home, [credit_code], ("credit_events",))["credit_events"]
    records = records_on(events, "credit_events", stamp, current_corrections(mine, stamp))
    return EnterpriseView(
        credit_code=credit_code,
        on=stamp,
        records=records.sort_values(["occurred_on", "event_id"], kind="stable").reset_index(drop=True),
        corrections=mine.reset_index(drop=True),
    )


def counts_in_history(events: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Return which credit records count in the 12/36-month history counts on ``as_of``.

    A repaired record (信用修复) is withdrawn from publication and from credit evaluation: it stops
    counting in the counts of negative records "in the last 12/36 months" from its repair date, and
    in the months since the last negative record. A record removed from a list (cause cured,
    judgment performed) or past its display window still happened and still counts there; "in
    force" counts (``ce_active_*``) already drop both. Positive records always count.
    """
    negative = events["kind"].isin(rules.NEGATIVE_KINDS).to_numpy(bool)
    repaired = (events["repaired_on"] <= as_of).to_numpy(bool)
    return ~(negative & repaired)
