"""Training panels from the warehouse: which as-of dates, loaded how, and their fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from data.contracts import SOURCES
from data.errors import InvalidArguments, NotReady
from features.labels import get_label
from features.panel import build_panel

FIRST_HISTORY_MONTHS = 6  # as-of dates start once six months of records exist


def tax_period_ends(home: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the ends of the first and the latest tax periods in the warehouse: the span of history."""
    from data.warehouse import read_source

    periods = read_source("tax", home, columns=["period"])["period"]
    if periods.empty:
        raise NotReady(f"no tax records in the warehouse under {home}; ingest the sources first")
    return periods.min() + pd.offsets.MonthEnd(0), periods.max() + pd.offsets.MonthEnd(0)


def default_as_of_dates(home: Path, kind: str, every_months: int = 1) -> list[date]:
    """Return month-ends from six months into the tax records to the last one with a full label.

    ``every_months`` thins them (counting back from the last, which the test period needs): a
    quarterly panel is a third of the rows with nearly the same information, since neighbouring
    months of one enterprise are close to duplicates.
    """
    if every_months < 1:
        raise InvalidArguments(f"every_months must be at least 1, not {every_months}")
    earliest, latest = tax_period_ends(home)
    first = earliest + pd.DateOffset(months=FIRST_HISTORY_MONTHS)
    last = latest - pd.DateOffset(months=get_label(kind).window_months)
    dates = [d.date() for d in pd.date_range(first, last, freq="ME")]
    return dates[::-1][::every_months][::-1]


def sample_buckets(home: Path, fraction: float) -> list[int] | None:
    """Return the warehouse buckets holding about ``fraction`` of the enterprises (None: all).

    Buckets are a hash of the credit code, so the first buckets are a deterministic random
    sample of enterprises, whole with all their records — the way to train on a province.
    """
    if not 0 < fraction <= 1:
        raise InvalidArguments(f"the enterprise sample must be a fraction in (0, 1], not {fraction}")
    if fraction == 1:
        return None
    from data.warehouse import list_buckets

    buckets = list_buckets(home)
    return buckets[: max(1, round(fraction * len(buckets)))]


def load_panel(
    kind: str,
    home: Path,
    as_of_dates: Sequence[date] | None = None,
    in_memory: bool = True,
    progress: bool = False,
    every_months: int = 1,
    enterprise_fraction: float = 1.0,
) -> pd.DataFrame:
    """Return the (enterprise × as-of) panel of ``kind``'s label.

    ``in_memory`` reads every record once as a single partition — far faster than walking the
    warehouse bucket by bucket for each as-of date when the records fit in memory. ``progress``
    shows a bar over the as-of dates. ``every_months`` thins the default as-of dates and
    ``enterprise_fraction`` samples whole enterprises (see ``sample_buckets``).
    """
    dates = list(as_of_dates) if as_of_dates is not None else default_as_of_dates(home, kind, every_months)
    from data.corrections import read_corrections
    from data.warehouse import read_source
    from zonecredit.settings import get_settings

    buckets = sample_buckets(home, enterprise_fraction)
    # Every correction known now: the panel applies each as-of's own to features (point in time).
    corrections = read_corrections(date.today(), get_settings().resolved_database_url)
    if not in_memory:
        if buckets is not None:
            raise ValueError("an enterprise sample needs in_memory=True")
        return build_panel(home, dates, label=kind, corrections=corrections, progress=progress)
    records = {name: read_source(name, home, buckets=buckets) for name in SOURCES}
    return build_panel(records, dates, label=kind, corrections=corrections, progress=progress)


def data_fingerprint(panel: pd.DataFrame) -> str:
    """Return a short content hash of a panel: same rows and values, same fingerprint."""
    hashed = pd.util.hash_pandas_object(panel, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]
