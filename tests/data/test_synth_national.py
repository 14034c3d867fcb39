"""`--format national`: the world's credit records and A/D tax lists in the national layouts ingest
to the same records as the standard files, and quarantine exactly the injected faults."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.ingest import ingest_files
from data.synth import generate_world
from data.warehouse import read_quarantine, read_source

RECEIVED_ON = date(2026, 11, 28)
WORLD = {"enterprises": 600, "months": 24, "seed": 11, "mess_rate": 0.03}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("national")
    return generate_world(root / "standard", **WORLD), generate_world(
        root / "national", **WORLD, form="national"
    )


def test_national_files_are_written_and_recognised(worlds, tmp_path: Path) -> None:
    _, national = worlds
    names = {p.name for p in national.files["credit_events"] + national.files["tax_grade"]}
    assert {"penalties.xlsx", "abnormal_operation.csv", "judgment_defaulters.csv"} <= names
    assert {"tax_credit_A_list.xlsx", "tax_credit_D_list.xlsx"} <= names
    layouts = {
        Path(b.file).name: b.layout
        for source in ("credit_events", "tax_grade")
        for b in ingest_files(source, national.files[source], tmp_path, received_on=RECEIVED_ON).batches
    }
    assert layouts["penalties.xlsx"] == "双公示 行政处罚"
    assert layouts["abnormal_operation.csv"] == "经营异常名录"
    assert layouts["tax_credit_D_list.xlsx"] == "纳税信用 A/D 级名单"
    assert layouts["credit_events.csv"] is None  # the records no national layout can carry


@pytest.mark.parametrize("source", ["credit_events", "tax_grade"])
def test_national_layouts_load_what_the_standard_files_load(worlds, source: str, tmp_path: Path) -> None:
    standard, national = worlds
    loaded = {}
    for world in (standard, national):
        home = tmp_path / world.out.name
        ingest_files(source, world.files[source], home, received_on=RECEIVED_ON)
        loaded[world.out.name] = read_source(source, home)
    columns = ["credit_code", "kind", "severity", "occurred_on", "removed_on", "department"]
    if source == "tax_grade":
        columns = ["credit_code", "year", "grade", "reported_on"]
    keyed = {
        name: Counter(map(tuple, frame[columns].astype(str).itertuples(index=False)))
        for name, frame in loaded.items()
    }
    assert keyed["national"] == keyed["standard"]
    assert loaded["national"]["source_record"].notna().sum() > 0


def test_injected_faults_follow_their_rows(worlds, tmp_path: Path) -> None:
    _, national = worlds
    faults = pd.read_csv(national.truth["mess"])
    for source in ("credit_events", "tax_grade"):
        ingest_files(source, national.files[source], tmp_path, received_on=RECEIVED_ON)
        quarantine = read_quarantine(source, tmp_path)
        expected = faults[faults["source"] == source]
        got = set(zip(quarantine["file"], quarantine["row_number"], quarantine["reason_code"], strict=True))
        want = {
            (Path(f).name, int(r), c)
            for f, r, c in zip(expected["file"], expected["row_number"], expected["reason_code"], strict=True)
        }
        assert got == want, source
