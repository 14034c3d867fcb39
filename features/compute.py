"""The feature function: all records of a partition of enterprises → one row per enterprise.

``compute_features`` is pure: it reads only its arguments, uses only what was known on the as-of
date, and a row depends only on that enterprise's records. The three engines (in-process, chunked,
Dask) all call it, so they agree by construction. The features themselves are declared and
computed by their family modules (``features.families``); this module feeds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import ModuleType

import numpy as np
import pandas as pd

from data.contracts import SOURCES, empty_frame
from features.families import (
    credit_events,
    cross,
    declarations,
    ip,
    registration,
    social_security,
    statistics,
    tax,
    tax_grade,
    utility,
)
from features.families.base import Columns, count, latest_reported_period, rows_of
from features.pointintime import as_timestamp, corrections_known, known_records, known_rows
from features.registry import CATEGORIES, FEATURE_NAMES, FEATURE_SET_VERSION, FEATURES_BY_NAME
from features.windows import Series, dense_matrices, month_number

MONTHS = 24  # monthly grid: 24 months for 24-month windows and year-on-year growth
QUARTERS = 8


def _monthly(
    records: Mapping[str, pd.DataFrame],
    source: str,
    measures: tuple[str, ...],
    as_of: pd.Timestamp,
    corrections: pd.DataFrame,
    enterprises: pd.Index,
) -> dict[str, Series]:
    """Return the source's measures as dense series over the grid ending at its latest period."""
    contract = SOURCES[source]
    frame, known = known_rows(records.get(source, empty_frame(contract)), contract, as_of, corrections)
    quarterly = contract.grain == "quarterly"
    matrices = dense_matrices(
        rows=np.where(known, rows_of(frame, enterprises), -1),
        periods=month_number(frame["period"]),
        last_period=int(month_number(np.array([latest_reported_period(source, as_of)]))[0]),
        n_rows=len(enterprises),
        n_periods=QUARTERS if quarterly else MONTHS,
        columns={m: frame[m].to_numpy() for m in measures},
        version_order=(
            frame["reported_on"].to_numpy("datetime64[s]").astype(np.int64),
            frame["loaded_at"].to_numpy("datetime64[us]").astype(np.int64),
        ),
        step=3 if quarterly else 1,
    )
    return {m: Series(v) for m, v in matrices.items()}


def _known(
    records: Mapping[str, pd.DataFrame], source: str, as_of: pd.Timestamp, corrections: pd.DataFrame
) -> pd.DataFrame:
    contract = SOURCES[source]
    return known_records(records.get(source, empty_frame(contract)), contract, as_of, corrections)


def _frame(enterprises: pd.Index, as_of: pd.Timestamp, columns: Columns) -> pd.DataFrame:
    missing = set(FEATURE_NAMES) - set(columns)
    extra = set(columns) - set(FEATURE_NAMES)
    if missing or extra:  # the registry and the family modules must declare the same features
        raise RuntimeError(f"features out of step with the registry: missing {missing}, extra {extra}")
    data: dict[str, object] = {
        "credit_code": pd.Series(enterprises.to_numpy(object), dtype="str"),
        "as_of": np.full(len(enterprises), as_of.to_datetime64(), dtype="datetime64[s]"),
    }
    for name in FEATURE_NAMES:
        if FEATURES_BY_NAME[name].kind == "categorical":
            data[name] = pd.Categorical(columns[name], categories=CATEGORIES[name])
        else:
            data[name] = np.asarray(columns[name], dtype=np.float64)
    return pd.DataFrame(data)


def compute_features(
    records: Mapping[str, pd.DataFrame],
    as_of: date | pd.Timestamp,
    corrections: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row of features per enterprise registered by ``as_of``, from what was known then.

    ``records`` maps source names to loaded frames (all records of a set of enterprises);
    ``corrections`` may hold later decisions too, they are filtered to ``as_of`` here.
    """
    as_of = as_timestamp(as_of)
    corrections = corrections_known(corrections, as_of)
    registered, columns = registration.compute(_known(records, "registry", as_of, corrections), as_of)
    enterprises = pd.Index(registered["credit_code"].astype("str"))

    def series(source: str, family: ModuleType) -> dict[str, Series]:
        return _monthly(records, source, family.MEASURES, as_of, corrections, enterprises)

    known_statistics = _known(records, "statistics", as_of, corrections)
    reports = count(
        rows_of(known_statistics, enterprises), np.ones(len(known_statistics), bool), len(enterprises)
    )
    # One family's dense series at a time; only those the declarations compare with are kept.
    tax_series, ss_series = series("tax", tax), series("social_security", social_security)
    stat_series = series("statistics", statistics)
    tax_columns = tax.compute(tax_series)
    ss_columns = social_security.compute(ss_series)
    util_columns = utility.compute(series("utility", utility))
    stat_columns = statistics.compute(stat_series, reports)
    columns |= tax_columns | ss_columns | util_columns | stat_columns
    columns |= tax_grade.compute(_known(records, "tax_grade", as_of, corrections), enterprises, as_of)
    columns |= ip.compute(_known(records, "ip", as_of, corrections), enterprises, as_of)
    columns |= credit_events.compute(_known(records, "credit_events", as_of, corrections), enterprises, as_of)
    columns |= cross.compute(tax_columns, ss_columns, util_columns, stat_columns)
    columns |= declarations.compute(
        _known(records, "declarations", as_of, corrections),
        enterprises,
        as_of,
        tax_series,
        ss_series,
        stat_series,
    )
    features = _frame(enterprises, as_of, columns)
    features.attrs["feature_set_version"] = FEATURE_SET_VERSION
    return features


def inputs_reported_through(
    records: Mapping[str, pd.DataFrame], as_of: pd.Timestamp, corrections: pd.DataFrame | None
) -> pd.Timestamp | None:
    """Return the newest ``reported_on`` among the records features may read on ``as_of``."""
    newest = [
        known_records(frame, SOURCES[name], as_of, corrections_known(corrections, as_of), False)[
            "reported_on"
        ].max()
        for name, frame in records.items()
        if name in SOURCES and len(frame)
    ]
    newest = [stamp for stamp in newest if pd.notna(stamp)]
    return max(newest) if newest else None
