"""``add_months`` is ``+ pd.DateOffset(months=k)``, per distinct date; ``period_ends`` builds on it."""

import numpy as np
import pandas as pd
import pytest

from data.contracts import add_months, period_end, period_ends


@pytest.mark.parametrize("unit", ["s", "ns"])
@pytest.mark.parametrize("months", [1, 2, 3, 12, 13])
def test_it_equals_the_pandas_offset_on_every_awkward_day(unit, months):
    rng = np.random.default_rng(months)
    days = pd.date_range("1999-12-01", "2031-03-31", freq="D")  # leap years, every month's end
    dates = pd.Series(np.concatenate([days.to_numpy(), rng.choice(days.to_numpy(), 500)]))
    dates = dates + pd.to_timedelta(rng.integers(0, 86_400, len(dates)), unit="s")  # times of day
    dates = dates.astype(f"datetime64[{unit}]")
    dates[rng.random(len(dates)) < 0.05] = pd.NaT
    dates.index = dates.index * 3  # the index and name are kept
    dates.name = "period"
    expected = dates + pd.DateOffset(months=months)
    pd.testing.assert_series_equal(add_months(dates, months), expected)


def test_nothing_but_missing_dates_stays_missing():
    dates = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[s]")
    pd.testing.assert_series_equal(add_months(dates, 1), dates)


def test_an_empty_column_stays_empty():
    dates = pd.Series([], dtype="datetime64[s]")
    pd.testing.assert_series_equal(add_months(dates, 3), dates)


@pytest.mark.parametrize("grain", ["monthly", "quarterly", "yearly", "event"])
def test_period_ends_of_a_column_are_period_end_of_each_start(grain):
    starts = pd.Series(pd.date_range("2023-01-01", "2025-12-01", freq="MS"))
    expected = [pd.Timestamp(period_end(s.date(), grain)) for s in starts]
    assert period_ends(starts, grain).tolist() == expected
