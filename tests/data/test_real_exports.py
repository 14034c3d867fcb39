"""Real-shaped department exports (tests/data/real_corpus.py): for every file, the exact rows
loaded, quarantined and skipped, the stored value of every unit conversion, and
loaded + quarantined + skipped = the rows a person counts below the header."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from data.ingest import ingest_file
from data.warehouse import read_quarantine, read_source
from tests.data.real_corpus import BUILDERS, RECEIVED_ON, Expected, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Expected]]:
    folder = tmp_path_factory.mktemp("real_corpus")
    return folder, write_corpus(folder)


@pytest.mark.parametrize("name", [b.__name__ for b in BUILDERS])
def test_real_export(name: str, corpus: tuple[Path, dict[str, Expected]], tmp_path: Path) -> None:
    folder, expectations = corpus
    expected = expectations[name]
    summary = ingest_file(expected.source, folder / expected.file, tmp_path / "home", received_on=RECEIVED_ON)

    assert summary.status == expected.status, summary.message
    if expected.status == "rejected":
        assert expected.message in summary.message
        assert "\n" not in summary.message
        return
    quarantine = read_quarantine(expected.source, tmp_path / "home")
    loaded = read_source(expected.source, tmp_path / "home").sort_values("row_number")
    assert summary.rows_in + summary.rows_skipped == expected.person_rows  # nothing silently dropped
    assert summary.rows_loaded == len(loaded) == expected.loaded
    assert dict(zip(quarantine["row_number"], quarantine["reason_code"], strict=True)) == expected.quarantined
    assert summary.reasons == dict(Counter(expected.quarantined.values()))
    assert {s["row"] for s in summary.skipped} == set(expected.skipped)
    for entry in summary.skipped:
        assert expected.skipped[entry["row"]] in entry["reason"], entry
    for column, values in expected.stored.items():
        assert loaded[column].tolist() == values, column
    if expected.message:
        assert quarantine["reason"].str.contains(expected.message, regex=False).any(), quarantine["reason"]
    assert summary.layout == expected.layout


def test_sheets_without_a_header_are_named(corpus: tuple[Path, dict[str, Expected]], tmp_path: Path) -> None:
    folder, _ = corpus
    summary = ingest_file("tax", folder / "tax_months.xlsx", tmp_path, received_on=RECEIVED_ON)
    assert summary.ignored_sheets == ["填报说明"]


def test_sentinel_dates_are_no_date_and_counted(
    corpus: tuple[Path, dict[str, Expected]], tmp_path: Path
) -> None:
    folder, _ = corpus
    summary = ingest_file(
        "credit_events", folder / "credit_events_quoted.csv", tmp_path, received_on=RECEIVED_ON
    )
    assert summary.quality["sentinel_dates"] == {"removed_on": 2}
    loaded = read_source("credit_events", tmp_path).set_index("event_id")
    assert loaded["removed_on"].isna().all() and loaded["repaired_on"].isna().all()
    assert pd.isna(loaded.loc["E-2", "published_on"])  # 无
    [reason] = read_quarantine("credit_events", tmp_path).query("row_number == 5")["reason"]
    assert "'1900-01-01' is a placeholder for 'no date', and a date is required" in reason


def test_national_rows_keep_every_source_field(
    corpus: tuple[Path, dict[str, Expected]], tmp_path: Path
) -> None:
    folder, _ = corpus
    ingest_file("credit_events", folder / "penalties_shuanggongshi.xls", tmp_path, received_on=RECEIVED_ON)
    loaded = read_source("credit_events", tmp_path).sort_values("row_number")
    record = json.loads(loaded["source_record"].iloc[1])
    assert record["处罚类别"] == "罚款" and record["罚款金额（万元）"] == "5"
    assert record["法定代表人证件号码"] == "120101************"  # ID numbers are masked
    assert len(record) == 30
    person = read_quarantine("credit_events", tmp_path)
    assert "natural person" in person["reason"].iloc[0]
    assert json.loads(person["raw"].iloc[0])["行政相对人名称"] == "李四"


def test_one_sheet_of_a_workbook(corpus: tuple[Path, dict[str, Expected]], tmp_path: Path) -> None:
    folder, _ = corpus
    summary = ingest_file(
        "tax_grade", folder / "tax_credit_a_list.xlsx", tmp_path, received_on=RECEIVED_ON, sheet="A级名单"
    )
    assert summary.rows_loaded == 2
    missing = ingest_file(
        "tax_grade", folder / "tax_credit_a_list.xlsx", tmp_path / "b", received_on=RECEIVED_ON, sheet="D级"
    )
    assert missing.status == "rejected" and "no sheet 'D级'; its sheets are A级名单" in missing.message
