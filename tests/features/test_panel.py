"""Panels from notebooks: a progress bar over the as-of dates that changes nothing in the panel."""

import pandas as pd

from features.panel import build_panel
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
