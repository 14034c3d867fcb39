"""Duplicate keys across the chunks of a batch: each later copy names the row of the first."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from data.validate import DuplicateTracker
from data.values import Problems

KEY = ("credit_code", "period")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_later_copy_names_the_first_row_across_chunks(seed):
    rng = np.random.default_rng(seed)
    n = 30_000
    keys = pd.DataFrame(
        {
            "credit_code": rng.integers(0, n // 3, n).astype(str),  # most keys come more than once
            "period": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3, n), "D"),
        }
    )
    row_numbers = np.arange(2, n + 2)  # data rows start after the header
    checked = rng.random(n) < 0.97  # rows already faulted for another reason are not checked
    # Expected over the whole batch: every checked copy after the first names the first's row.
    key_text = (keys["credit_code"] + "|" + keys["period"].astype(str))[checked].to_numpy()
    first_row = pd.Series(row_numbers[checked]).groupby(key_text).transform("first").to_numpy()
    expected = {int(r): int(f) for r, f in zip(row_numbers[checked], first_row, strict=True) if r != f}

    tracker = DuplicateTracker()
    tracker.MERGED_RUN_ROWS = 4_000  # small, so that runs here both merge and stay apart
    found: dict[int, int] = {}
    bounds = np.unique(np.concatenate([[0, n], rng.integers(0, n, 40)]))
    for start, stop in itertools.pairwise(bounds):
        chunk = keys.iloc[start:stop].reset_index(drop=True)
        problems = Problems()
        count = tracker.check(
            chunk, row_numbers[start:stop], np.flatnonzero(checked[start:stop]), problems, KEY
        )
        assert count == len(problems.by_row)
        for row, faults in problems.by_row.items():
            ((code, message),) = faults
            assert code == "duplicate_key" and message.startswith(
                "duplicate key (credit_code, period) of row "
            )
            found[int(row_numbers[start + row])] = int(message.rsplit(" ", 1)[1])
    assert len(tracker._runs) > 1
    assert found == expected
    assert len(expected) > n // 4
