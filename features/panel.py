"""Training panels: features and labels over many monthly as-of dates, split out of time.

Each row is (enterprise, as-of): features from records known on as-of, the label from records
after it. The split keeps a gap of at least one label window between train, validation and test,
so no training label looks into the months the later sets are judged on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from itertools import pairwise
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from data.errors import InvalidArguments, ZonecreditError
from features.compute import compute_features, inputs_reported_through
from features.engines import Partitions, WarehousePartitions
from features.labels import compute_labels, get_label, label_window
from features.pointintime import as_timestamp, current_records
from features.registry import FEATURE_SET_VERSION


class LeakageError(ZonecreditError):
    """A panel row whose feature inputs reach into its own label window."""


def _panel_rows(
    records: Mapping[str, pd.DataFrame],
    as_of: pd.Timestamp,
    label: str,
    corrections: pd.DataFrame | None,
    current: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    window_start, _ = label_window(as_of, label)
    newest_input = inputs_reported_through(records, as_of, corrections)
    if not (newest_input is None or newest_input <= as_of < window_start):
        raise LeakageError(
            f"as of {as_of:%Y-%m-%d}: features read a record reported {newest_input:%Y-%m-%d}, "
            f"label window starts {window_start:%Y-%m-%d}"
        )
    features = compute_features(records, as_of, corrections)
    labels = compute_labels(records, as_of, label, corrections, current)
    return features.merge(labels, on="credit_code", how="inner", validate="one_to_one")


def _steps(
    partitions: Iterable[Mapping[str, pd.DataFrame]],
    dates: list[pd.Timestamp],
    corrections: pd.DataFrame | None,
) -> Iterator[tuple[Mapping[str, pd.DataFrame], dict[str, pd.DataFrame], pd.Timestamp]]:
    """Yield (records, their latest versions, as-of) per partition and date; labels read the
    latest versions, the same for every as-of, so they are computed once per partition."""
    for records in partitions:
        current = current_records(records, corrections)
        for as_of in dates:
            yield records, current, as_of


def build_panel(
    partition_or_home: Mapping[str, pd.DataFrame] | Path,
    as_of_dates: Iterable[date],
    label: str = "credit",
    corrections: pd.DataFrame | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Return the (enterprise × as-of) panel of features and one label, ordered by as-of and code.

    Give the records of one partition, or a data directory to walk its warehouse partition by
    partition. Give every correction known now: features and the label's population apply those
    decided by each as-of date (point in time), the label's outcome all of them (the best knowledge
    of what happened after). ``progress`` shows a bar over the (partition, as-of) steps, for
    notebooks where a panel takes a minute.
    """
    definition = get_label(label)
    dates = sorted({as_timestamp(d) for d in as_of_dates})
    if isinstance(partition_or_home, Path):
        source = WarehousePartitions(partition_or_home)
        keys = source.partition_keys()
        partitions: Iterable[Mapping[str, pd.DataFrame]] = (source(k) for k in keys)
    else:
        keys, partitions = [0], [partition_or_home]
    bar = tqdm(
        _steps(partitions, dates, corrections),
        desc=f"{label} panel",
        unit="as-of",
        total=len(keys) * len(dates),
        disable=not progress,
    )
    rows = [_panel_rows(records, as_of, label, corrections, current) for records, current, as_of in bar]
    panel = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(panel):
        panel = panel.sort_values(["as_of", "credit_code"], kind="stable").reset_index(drop=True)
    panel.attrs.update(
        label=definition.name,
        label_column=definition.column,
        label_window_months=definition.window_months,
        feature_set_version=FEATURE_SET_VERSION,
    )
    return panel


def partition_panel(
    key: int,
    partitions: Partitions,
    as_of_dates: list[pd.Timestamp],
    label: str,
    corrections: pd.DataFrame | None,
) -> pd.DataFrame:
    """Return the panel rows of one partition over every as-of date: a distributed panel's task."""
    rows = [
        _panel_rows(records, as_of, label, corrections, current)
        for records, current, as_of in _steps([partitions(key)], as_of_dates, corrections)
    ]
    return pd.concat(rows, ignore_index=True)


def split_out_of_time(
    panel: pd.DataFrame,
    valid_months: int = 3,
    test_months: int = 3,
    gap_months: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (train, valid, test): the as-of dates of the last ``test_months`` months test, the
    ``valid_months`` before the gap valid, and the ones before the next gap train.

    Periods are counted in months, not dates, so a quarterly panel splits like a monthly one.
    Between the sets lies a gap of ``gap_months`` (default and minimum: the label window), so the
    label window of every earlier row ends before the first as-of of the next set.
    """
    window = int(panel.attrs.get("label_window_months", 12))
    gap = window if gap_months is None else gap_months
    if gap < window:
        raise InvalidArguments(f"gap of {gap} months is shorter than the {window}-month label window")
    dates = sorted(pd.Timestamp(d) for d in panel["as_of"].unique())
    month = {d: d.year * 12 + d.month for d in dates}  # month-ends shift under DateOffset; months don't

    def period(last: pd.Timestamp | None, months: int) -> list[pd.Timestamp]:
        return [] if last is None else [d for d in dates if 0 <= month[last] - month[d] < months]

    def last_before(first: pd.Timestamp) -> pd.Timestamp | None:
        return max((d for d in dates if month[first] - month[d] >= gap), default=None)

    test_dates = period(dates[-1], test_months)
    valid_dates = period(last_before(test_dates[0]), valid_months)
    train_dates = [d for d in dates if valid_dates and month[valid_dates[0]] - month[d] >= gap]
    if not (train_dates and valid_dates):
        raise InvalidArguments(
            f"{len(dates)} as-of dates from {dates[0]:%Y-%m} to {dates[-1]:%Y-%m} are too few for "
            f"{valid_months} validation and {test_months} test months with {gap}-month gaps; "
            "add earlier as-of dates or shorten the validation or test periods"
        )
    parts = tuple(panel[panel["as_of"].isin(d)] for d in (train_dates, valid_dates, test_dates))
    for earlier, later in pairwise(parts):
        assert earlier["as_of"].max() + pd.DateOffset(months=window) <= later["as_of"].min()
    for part in parts:
        part.attrs.update(panel.attrs)
    return parts  # type: ignore[return-value]
