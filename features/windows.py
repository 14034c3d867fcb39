"""Dense (enterprise × period) matrices and the window statistics computed on them.

Monthly sources are reshaped into one float matrix per measure, newest period in the last
column, NaN where no record is known. Every window statistic is then a few array operations over
all enterprises at once: no Python loop over enterprises, and a row's result depends on that row
alone, which is what lets partitions be computed anywhere and concatenated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def positions(credit_codes: pd.Series, enterprises: pd.Index) -> np.ndarray:
    """Return each code's position in ``enterprises`` (−1 if absent), hashing in Arrow.

    Arrow-backed strings never round-trip through Python objects: ten times faster than
    ``Index.get_indexer`` on the 4.8 M rows of a 100,000-enterprise monthly source.
    """
    if len(credit_codes) == 0:
        return np.empty(0, dtype=np.int64)
    codes = pa.array(credit_codes.array, type=pa.large_string())
    universe = pa.array(enterprises.to_numpy(object), type=pa.large_string())
    found = pc.index_in(codes, value_set=universe)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def month_number(stamps: pd.Series | np.ndarray) -> np.ndarray:
    """Return months since 1970-01 for each timestamp (period starts map to their month).

    Calendar arithmetic runs on the few distinct periods only, not on millions of rows.
    """
    values = np.asarray(stamps, dtype="datetime64[s]")
    codes, distinct = pd.factorize(values)
    months = np.asarray(distinct, dtype="datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months[codes] if len(codes) else np.empty(0, dtype=np.int64)


def dense_matrices(
    rows: np.ndarray,
    periods: np.ndarray,
    last_period: int,
    n_rows: int,
    n_periods: int,
    columns: dict[str, np.ndarray],
    version_order: tuple[np.ndarray, ...],
    step: int = 1,
) -> dict[str, np.ndarray]:
    """Return one (n_rows × n_periods) matrix per column; the last column is ``last_period``.

    ``rows`` are enterprise positions (−1 for enterprises outside the partition), ``periods``
    month numbers, ``step`` 1 for months and 3 for quarters. Where a record appears in several
    versions, the last in ``version_order`` (reported_on, then loaded_at) wins.
    """
    offset = (periods - last_period) // step + (n_periods - 1)
    inside = (rows >= 0) & (offset >= 0) & (offset < n_periods)
    if step > 1:
        inside &= (periods - last_period) % step == 0
    flat = rows[inside] * n_periods + offset[inside]
    chosen = np.flatnonzero(inside)
    if flat.size and np.bincount(flat, minlength=n_rows * n_periods).max() > 1:
        order = np.lexsort((*[key[inside] for key in reversed(version_order)], flat))
        ordered = flat[order]
        last_version = np.r_[ordered[1:] != ordered[:-1], True]
        flat, chosen = ordered[last_version], chosen[order[last_version]]
    matrices = {}
    for name, values in columns.items():
        matrix = np.full(n_rows * n_periods, np.nan)
        matrix[flat] = np.asarray(values, dtype=np.float64)[chosen]
        matrices[name] = matrix.reshape(n_rows, n_periods)
    return matrices


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Return numerator / denominator, NaN where the denominator is missing or not positive."""
    ok = np.isfinite(denominator) & (denominator > 0) & np.isfinite(numerator)
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=ok)
    return out


class Series:
    """Window statistics over one measure's dense matrix (newest period last, NaN = missing)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.present = ~np.isnan(values)
        self.filled = np.where(self.present, values, 0.0)

    def where(self, condition: np.ndarray) -> Series:
        """Return an indicator series: 1 where a record meets ``condition``, 0 where it does not."""
        return Series(np.where(self.present, condition.astype(np.float64), np.nan))

    def count(self, window: int) -> np.ndarray:
        return self.present[:, -window:].sum(axis=1).astype(np.float64)

    def sum(self, window: int) -> np.ndarray:
        total = self.filled[:, -window:].sum(axis=1)
        return np.where(self.count(window) > 0, total, np.nan)

    def mean(self, window: int, end: int = 0) -> np.ndarray:
        """Mean over ``window`` periods ending ``end`` periods before the newest."""
        stop = self.values.shape[1] - end
        present = self.present[:, stop - window : stop]
        n = present.sum(axis=1)
        total = self.filled[:, stop - window : stop].sum(axis=1)
        return ratio(total, n.astype(np.float64))

    def std(self, window: int) -> np.ndarray:
        """Sample standard deviation (n − 1), NaN with fewer than two records."""
        n = self.count(window)
        mean = self.mean(window)
        deviation = (self.filled[:, -window:] - mean[:, None]) * self.present[:, -window:]
        squares = (deviation**2).sum(axis=1)
        return np.sqrt(ratio(squares, n - 1.0))

    def cv(self, window: int) -> np.ndarray:
        return ratio(self.std(window), self.mean(window))

    def slope(self, window: int) -> np.ndarray:
        """Least-squares slope per period over the records in the window, NaN with fewer than two."""
        x = np.arange(window, dtype=np.float64)
        present = self.present[:, -window:]
        y = self.filled[:, -window:]
        n = present.sum(axis=1).astype(np.float64)
        sx = present @ x
        sxx = present @ (x * x)
        sy = y.sum(axis=1)
        sxy = y @ x
        denominator = n * sxx - sx * sx
        return np.where(n >= 2, ratio(n * sxy - sx * sy, denominator), np.nan)

    def yoy(self) -> np.ndarray:
        """Growth of the mean of the last 12 periods on the 12 before."""
        return ratio(self.mean(12), self.mean(12, end=12)) - 1.0

    def max(self, window: int) -> np.ndarray:
        values = np.where(self.present[:, -window:], self.values[:, -window:], -np.inf).max(axis=1)
        return np.where(np.isneginf(values), np.nan, values)

    def last(self) -> np.ndarray:
        """The newest known value in the whole matrix."""
        position = self.last_position()
        rows = np.arange(len(position))
        return np.where(position >= 0, self.values[rows, np.maximum(position, 0)], np.nan)

    def last_position(self) -> np.ndarray:
        """Column of the newest known value, −1 where nothing is known."""
        columns = np.arange(self.values.shape[1])
        return np.where(self.present, columns, -1).max(axis=1)

    def periods_since_last(self) -> np.ndarray:
        position = self.last_position()
        return np.where(position >= 0, self.values.shape[1] - 1 - position, np.nan).astype(float)

    def run_to_date(self) -> np.ndarray:
        """Consecutive periods, counted back from the newest, where the measure is non-zero."""
        active = self.present & (self.filled != 0)
        return np.cumprod(active[:, ::-1], axis=1).sum(axis=1).astype(np.float64)
