"""What every feature family declares and computes with: ``FeatureDef`` and per-enterprise counting.

A family module (``features.families.tax`` …) holds ``FEATURES``, the declarations, and
``compute``, the function producing exactly those columns; ``features.registry`` assembles the
families and ``features.compute`` feeds them the records known on the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from data.contracts import SOURCES, derive_reported_on
from features.windows import Series, positions

Direction = Literal["increases_risk", "decreases_risk", "none"]
FeatureKind = Literal["numeric", "categorical"]
UP: Direction = "increases_risk"
DOWN: Direction = "decreases_risk"
NONE: Direction = "none"
Columns = dict[str, np.ndarray]
DAYS_PER_MONTH = 30.4375
# Sources whose figures come from the enterprise, not from a department's records.
SELF_DECLARED_SOURCES = ("declarations",)


@dataclass(frozen=True)
class FeatureDef:
    """One feature: what it measures, from which source, over which window, and its risk sense."""

    name: str
    description_zh: str
    description_en: str
    source: str
    window_months: int | None
    direction: Direction
    actionable: bool
    kind: FeatureKind = "numeric"

    @property
    def self_declared(self) -> bool:
        """Whether the value rests on figures the enterprise states itself (reasons say so)."""
        return self.source in SELF_DECLARED_SOURCES


# Windowed statistics of a monthly or quarterly measure: name suffix -> (zh, en) templates and the
# direction of the statistic relative to the direction of the measure's level.
_STATS: dict[str, tuple[str, str, str]] = {
    "mean": ("近{w}个月{m}月均值", "mean monthly {m} over {w} months", "same"),
    "sum": ("近{w}个月{m}合计", "total {m} over {w} months", "same"),
    "std": ("近{w}个月{m}标准差", "standard deviation of monthly {m} over {w} months", "none"),
    "cv": ("近{w}个月{m}变异系数", "coefficient of variation of {m} over {w} months", "up"),
    "slope": ("近{w}个月{m}趋势斜率", "linear trend (per month) of {m} over {w} months", "same"),
    "yoy": ("{m}近12个月较上年同期增长率", "year-on-year growth of {m} (last 12 vs prior 12 months)", "same"),
    "last": ("最近一期{m}", "latest reported {m}", "same"),
}


def windowed(
    prefix: str,
    source: str,
    measure_zh: str,
    measure_en: str,
    level: Direction,
    actionable: bool,
    stats: list[tuple[str, int | None]],
) -> list[FeatureDef]:
    """Declare windowed statistics of one measure, worded and directed from ``_STATS``."""
    defs = []
    for stat, window in stats:
        zh, en, sense = _STATS[stat]
        direction = {"same": level, "up": UP}.get(sense, NONE)
        suffix = "" if window is None else f"_{window}m"
        defs.append(
            FeatureDef(
                name=f"{prefix}_{stat}{suffix}",
                description_zh=zh.format(w=window, m=measure_zh),
                description_en=en.format(w=window, m=measure_en),
                source=source,
                window_months=24 if stat == "yoy" else window,
                direction=direction,
                actionable=actionable,
            )
        )
    return defs


def feature(
    name: str,
    zh: str,
    en: str,
    source: str,
    window: int | None,
    direction: Direction,
    actionable: bool,
    kind: FeatureKind = "numeric",
) -> FeatureDef:
    """Declare one feature positionally (keeps the family tables one line per feature)."""
    return FeatureDef(name, zh, en, source, window, direction, actionable, kind)


FULL_SERIES: list[tuple[str, int | None]] = [
    ("mean", 3),
    ("mean", 6),
    ("mean", 12),
    ("mean", 24),
    ("sum", 12),
    ("std", 12),
    ("cv", 12),
    ("slope", 12),
    ("slope", 24),
    ("yoy", 12),
    ("last", None),
]


def full_series(prefix: str, s: Series) -> Columns:
    """Compute the ``FULL_SERIES`` statistics of one measure."""
    return {
        f"{prefix}_mean_3m": s.mean(3),
        f"{prefix}_mean_6m": s.mean(6),
        f"{prefix}_mean_12m": s.mean(12),
        f"{prefix}_mean_24m": s.mean(24),
        f"{prefix}_sum_12m": s.sum(12),
        f"{prefix}_std_12m": s.std(12),
        f"{prefix}_cv_12m": s.cv(12),
        f"{prefix}_slope_12m": s.slope(12),
        f"{prefix}_slope_24m": s.slope(24),
        f"{prefix}_yoy_12m": s.yoy(),
        f"{prefix}_last": s.last(),
    }


def latest_reported_period(source: str, as_of: pd.Timestamp) -> pd.Timestamp:
    """Return the newest period the source's usual reporting lag has delivered by ``as_of``.

    Windows end there rather than at the as-of month, so "last 3 months" means three months that
    could be known, whatever the day of the month; a period not delivered on time shows as missing.
    """
    months = 3 if SOURCES[source].grain == "quarterly" else 1
    start = as_of.to_period("M").start_time
    candidates = pd.Series(
        [start - pd.DateOffset(months=months * k) for k in range(0, 5)], dtype="datetime64[s]"
    )
    if months == 3:
        candidates = candidates.dt.to_period("Q").dt.start_time.astype("datetime64[s]")
    delivered = derive_reported_on(SOURCES[source], pd.DataFrame({"period": candidates}))
    return candidates[(delivered <= as_of).to_numpy(bool)].max()


def months_between(earlier: pd.Series | np.ndarray, later: pd.Timestamp) -> np.ndarray:
    """Months (of average length) from each earlier date to ``later``."""
    days = (later - pd.to_datetime(earlier)) / pd.Timedelta(days=1)
    return np.asarray(days, dtype=np.float64) / DAYS_PER_MONTH


def days_between(as_of: pd.Timestamp, dates: pd.Series) -> np.ndarray:
    """Days from ``as_of`` to each date (negative for dates before it, NaN where unknown)."""
    return np.asarray((pd.to_datetime(dates) - as_of).dt.days, dtype=np.float64)


def rows_of(frame: pd.DataFrame, enterprises: pd.Index) -> np.ndarray:
    """Each record's enterprise row (-1 for enterprises outside the partition)."""
    return positions(frame["credit_code"], enterprises)


def count(rows: np.ndarray, mask: np.ndarray | pd.Series, n: int) -> np.ndarray:
    """Count the masked records per enterprise row."""
    mask = np.asarray(mask, dtype=bool) & (rows >= 0)
    return np.bincount(rows[mask], minlength=n).astype(np.float64)


def total(rows: np.ndarray, values: np.ndarray, mask: np.ndarray | pd.Series, n: int) -> np.ndarray:
    """Sum the masked records' values per enterprise row (missing values count as 0)."""
    mask = np.asarray(mask, dtype=bool) & (rows >= 0)
    return np.bincount(rows[mask], weights=np.nan_to_num(values[mask]), minlength=n)


def extreme(
    rows: np.ndarray, values: np.ndarray, mask: np.ndarray | pd.Series, n: int, largest: bool
) -> np.ndarray:
    """The largest (or smallest) masked value per enterprise row, NaN where there is none."""
    mask = np.asarray(mask, dtype=bool) & (rows >= 0) & ~np.isnan(values)
    out = np.full(n, -np.inf if largest else np.inf)
    (np.maximum if largest else np.minimum).at(out, rows[mask], values[mask])
    return np.where(np.isinf(out), np.nan, out)
