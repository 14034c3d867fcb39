"""The declarations source: its contract, the world's declarations and their ingestion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.contracts import get_source
from data.ingest import ingest_file
from data.synth import WorldSummary, generate_world
from data.warehouse import read_quarantine, read_source


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("declared"), 1_200, months=36, seed=11)


@pytest.fixture(scope="module")
def home(world: WorldSummary, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    for source in ("tax", "declarations"):
        for path in world.files[source]:
            assert ingest_file(source, path, home, buckets=1).status == "loaded"
    return home


def test_contract_keys_a_year_per_channel():
    source = get_source("declarations")
    assert source.key == ("credit_code", "year", "channel")
    assert source.column("channel").choices == ("self_report", "project_application", "survey")
    assert source.column("revenue").unit == "10k CNY"


def test_every_row_is_loaded_or_quarantined_with_the_injected_reason(world: WorldSummary, home: Path):
    [path] = world.files["declarations"]
    loaded = read_source("declarations", home)
    quarantined = read_quarantine("declarations", home)
    assert len(loaded) + len(quarantined) == world.rows["declarations"]
    faults = pd.read_csv(world.truth["mess"]).query("source == 'declarations'")
    assert sorted(quarantined["row_number"]) == sorted(faults["row_number"])
    assert path.suffix == ".csv"


def test_declarations_describe_a_whole_past_year_and_arrive_the_year_after(home: Path):
    loaded = read_source("declarations", home)
    assert set(loaded["channel"]) == {"self_report", "project_application", "survey"}
    assert (loaded["declared_on"].dt.year == loaded["year"] + 1).all()
    assert (loaded["reported_on"] == loaded["declared_on"]).all()
    assert loaded.loc[loaded["channel"] == "survey", "investment"].isna().all()


def test_some_declarations_overstate_the_tax_records_mostly_by_the_less_honest(world, home):
    loaded = read_source("declarations", home)
    tax = read_source("tax", home)
    sales = tax.groupby([tax["credit_code"], tax["period"].dt.year.rename("year")])["vat_sales"].agg(
        ["sum", "size"]
    )
    joined = loaded.join(sales, on=["credit_code", "year"], how="inner")
    joined = joined[(joined["size"] == 12) & (joined["sum"] > 0)]
    ratio = joined["revenue"] * 1e4 / joined["sum"]
    overstated = ratio > 1.2
    assert 0.03 < overstated.mean() < 0.3
    assert (ratio.between(0.9, 1.1)).mean() > 0.6  # most state what the records show
    integrity = pd.read_parquet(world.truth["enterprises"]).set_index("credit_code")["integrity"]
    honest = integrity.reindex(joined["credit_code"]).to_numpy() > 0
    assert overstated[~honest].mean() > 2 * overstated[honest].mean()
    application = (joined["channel"] == "project_application").to_numpy()
    assert overstated[application].mean() > overstated[joined["channel"].to_numpy() == "self_report"].mean()
    assert np.isfinite(ratio).all()


def test_channels_as_zones_write_them(tmp_path: Path):
    header = "统一社会信用代码,填报年度,填报渠道,填报日期,营业收入,从业人数,研发投入,投资额\n"
    rows = [
        "91120116MA05T3K726,2024,企业自主填报,2025-03-01,120.5,20,3.2,",
        "91120116MA05T3K726,2024,项目申报,2025-04-01,180,30,5,60",
        "91120116MA05T3K726,2024,专项调研,2025-05-01,125,21,,",
        "91120116MA05T3K726,2024,网上传言,2025-05-02,125,21,,",
    ]
    path = tmp_path / "declarations.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    summary = ingest_file("declarations", path, tmp_path / "home", buckets=1)
    assert (summary.rows_loaded, summary.reasons) == (3, {"unknown_value": 1})
    loaded = read_source("declarations", tmp_path / "home")
    assert list(loaded["channel"]) == ["self_report", "project_application", "survey"]
    assert loaded["reported_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-03-01",
        "2025-04-01",
        "2025-05-01",
    ]
