"""Month grid of a synthetic world: month starts as epoch days, calendar year and month."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MonthGrid:
    """Months ``0..size-1`` starting ``burn_in`` months before the window; days since 1970-01-01."""

    first: np.datetime64  # first simulated month, datetime64[M]
    burn_in: int
    window: int
    horizon: int  # extra months beyond the window for the latent trend (truth look-ahead)

    @property
    def size(self) -> int:
        return self.burn_in + self.window

    @property
    def months(self) -> np.ndarray:
        return self.first + np.arange(self.size + self.horizon + 1)

    @property
    def start_day(self) -> np.ndarray:
        """Epoch day of each month start (one more than months, so end = next start - 1)."""
        return self.months.astype("datetime64[D]").astype(np.int64)

    @property
    def days_in_month(self) -> np.ndarray:
        return np.diff(self.start_day)

    @property
    def year(self) -> np.ndarray:
        return self.months[:-1].astype("datetime64[Y]").astype(np.int64) + 1970

    @property
    def month(self) -> np.ndarray:
        return self.months[:-1].astype(np.int64) % 12 + 1

    @property
    def window_end_day(self) -> int:
        """Last day of the window: nothing after it is known to the exports."""
        return int(self.start_day[self.size]) - 1

    def index_of_day(self, day: np.ndarray) -> np.ndarray:
        """Return the month index containing each epoch day (may be negative or beyond size)."""
        months = np.asarray(day, dtype="datetime64[D]").astype("datetime64[M]")
        return (months - self.first).astype(np.int64)


def month_grid(start: str, months: int, burn_in: int, horizon: int = 12) -> MonthGrid:
    """Return the grid for a window of ``months`` months starting at ``start`` (``YYYY-MM``)."""
    first = np.datetime64(start, "M") - burn_in
    return MonthGrid(first=first, burn_in=burn_in, window=months, horizon=horizon)
