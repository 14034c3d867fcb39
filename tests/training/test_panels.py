"""Thinned and sampled training panels: fewer as-of dates and whole enterprises, deterministically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.contracts import SOURCES
from data.errors import InvalidArguments
from data.ingest import ingest_files
from data.synth import generate_world
from training.panels import default_as_of_dates, load_panel, sample_buckets


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("panels")
    generate_world(root / "world", enterprises=300, months=30, seed=11)
    for source in SOURCES:
        ingest_files(source, [root / "world" / "sources" / source], root / "home", buckets=8)
    return root / "home"


def test_every_months_keeps_the_last_as_of_date_and_spaces_the_rest(warehouse: Path) -> None:
    home = warehouse
    monthly = default_as_of_dates(home, "credit")
    quarterly = default_as_of_dates(home, "credit", every_months=3)
    assert quarterly[-1] == monthly[-1]
    assert quarterly == monthly[::-1][::3][::-1]
    with pytest.raises(InvalidArguments, match="at least 1"):
        default_as_of_dates(home, "credit", every_months=0)


def test_an_enterprise_sample_takes_whole_enterprises_from_the_first_buckets(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zonecredit.settings import get_settings

    monkeypatch.setenv("ZONECREDIT_HOME", str(warehouse))  # corrections come from its store
    get_settings.cache_clear()
    home = warehouse
    assert sample_buckets(home, 1.0) is None
    assert sample_buckets(home, 0.5) == [0, 1, 2, 3]
    dates = default_as_of_dates(home, "credit", every_months=6)
    full = load_panel("credit", home, as_of_dates=dates)
    half = load_panel("credit", home, as_of_dates=dates, enterprise_fraction=0.5)
    assert 0.25 < half["credit_code"].nunique() / full["credit_code"].nunique() < 0.75
    # a sampled enterprise keeps every as-of row and the same features as in the full panel
    keys = ["credit_code", "as_of"]
    merged = half.merge(full, on=keys, suffixes=("", "_full"), validate="one_to_one")
    assert len(merged) == len(half)
    pd.testing.assert_series_equal(merged["default_12m"], merged["default_12m_full"], check_names=False)
    with pytest.raises(InvalidArguments, match="fraction"):
        sample_buckets(home, 0.0)
    get_settings.cache_clear()
