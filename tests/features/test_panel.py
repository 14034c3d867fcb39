"""Panels from notebooks: a progress bar over the as-of dates that changes nothing in the panel."""

import pandas as pd

from features.panel import build_panel, split_out_of_time
from tests import factories as f

WORLD = f.world()
DATES = pd.date_range("2024-01-31", "2024-06-30", freq="ME").date


def test_progress_bar_counts_the_as_of_dates_and_leaves_the_panel_as_it_is(capsys):
    quiet = build_panel(WORLD, DATES, label="credit")
    assert capsys.readouterr().err == ""
    shown = build_panel(WORLD, DATES, label="credit", progress=True)
    bar = capsys.readouterr().err
    assert "credit panel" in bar and f"{len(DATES)}/{len(DATES)}" in bar
    pd.testing.assert_frame_equal(quiet, shown)
    assert shown.attrs == quiet.attrs


def _dated_panel(dates: pd.DatetimeIndex) -> pd.DataFrame:
    panel = pd.DataFrame({"as_of": dates, "credit_code": "x"})
    panel.attrs["label_window_months"] = 12
    return panel


def test_out_of_time_periods_are_counted_in_months_so_a_quarterly_panel_splits_too():
    quarterly = _dated_panel(pd.date_range("2022-03-31", "2024-12-31", freq="QE"))
    train, valid, test = split_out_of_time(quarterly)
    assert list(test["as_of"].dt.strftime("%Y-%m")) == ["2024-12"]
    assert list(valid["as_of"].dt.strftime("%Y-%m")) == ["2023-12"]
    assert list(train["as_of"].dt.strftime("%Y-%m")) == ["2022-03", "2022-06", "2022-09", "2022-12"]


def test_a_test_period_ending_in_february_holds_exactly_its_months():
    monthly = _dated_panel(pd.date_range("2021-01-31", "2024-02-29", freq="ME"))
    train, valid, test = split_out_of_time(monthly)
    assert list(test["as_of"].dt.strftime("%Y-%m")) == ["2023-12", "2024-01", "2024-02"]
    assert list(valid["as_of"].dt.strftime("%Y-%m")) == ["2022-10", "2022-11", "2022-12"]
    assert train["as_of"].max() == pd.Timestamp("2021-10-31")
