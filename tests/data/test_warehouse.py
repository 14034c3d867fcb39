"""Warehouse layout, idempotent batches, and atomicity under SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from data.contracts import SOURCES
from data.errors import ZonecreditError
from data.ingest import fingerprint, ingest_file, ingest_files
from data.warehouse import (
    bucket_count,
    bucket_of,
    committed_batches,
    list_buckets,
    read_partition,
    read_source,
)
from tests.bigfiles import write_tax_file
from tests.worlds import small_world

CORPUS = Path(__file__).parent / "corpus"


def test_bucket_is_stable_and_spreads() -> None:
    codes = pd.Series(["91120116MA05T3K726", "91110000600037341L"] * 3)
    first = bucket_of(codes, 64)
    assert first.tolist() == bucket_of(codes.iloc[::-1], 64)[::-1].tolist()
    assert first.tolist() == [62, 25] * 3  # CRC-32 modulo 64: never changes between releases


def test_reingesting_the_same_file_is_idempotent(tmp_path: Path) -> None:
    first = ingest_file("tax", CORPUS / "tax_utf8_ok.csv", tmp_path, received_on=date(2026, 11, 28))
    again = ingest_file("tax", CORPUS / "tax_utf8_ok.csv", tmp_path, received_on=date(2026, 11, 28))
    assert first.status == "loaded" and again.status == "already_loaded"
    assert again.batch_id == first.batch_id == fingerprint(CORPUS / "tax_utf8_ok.csv", "tax")
    assert len(read_source("tax", tmp_path)) == 3
    assert len(committed_batches("tax", tmp_path)) == 1


def test_a_partition_holds_all_records_of_its_enterprises(tmp_path: Path) -> None:
    ingest_files("tax", [CORPUS / "tax_utf8_ok.csv"], tmp_path, received_on=date(2026, 11, 28))
    ingest_files(
        "credit_events", [CORPUS / "credit_events_mixed.csv"], tmp_path, received_on=date(2026, 11, 28)
    )
    buckets = list_buckets(tmp_path)
    assert buckets == sorted(set(bucket_of(pd.Series(["91120116MA05T3K726", "91110000600037341L"]), 64)))
    parts = [read_partition(b, tmp_path) for b in buckets]
    for source in ("tax", "credit_events"):
        codes_per_part = [set(p[source]["credit_code"]) for p in parts]
        assert sum(len(c) for c in codes_per_part) == len(set().union(*codes_per_part))
        assert sum(len(p[source]) for p in parts) == len(read_source(source, tmp_path))


@pytest.fixture(scope="module")
def bucketed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world ingested into four buckets: every source, two batches of the monthly ones."""
    return small_world(tmp_path_factory.mktemp("bucketed"), enterprises=80, months=13, seed=3, buckets=4).home


def test_reading_some_enterprises_is_the_whole_source_filtered(bucketed: Path) -> None:
    codes = sorted(read_source("registry", bucketed)["credit_code"].unique())[::7]
    for source in SOURCES:
        whole = read_source(source, bucketed)
        expected = whole[whole["credit_code"].isin(codes)].reset_index(drop=True)
        pd.testing.assert_frame_equal(read_source(source, bucketed, credit_codes=codes), expected)
        period = next(c for c in ("period", "reported_on") if c in whole)
        few = read_source(source, bucketed, columns=[period], credit_codes=codes)
        pd.testing.assert_frame_equal(few, expected[[period]])
    assert len(read_source("tax", bucketed, credit_codes=codes)) > 0


def test_a_file_written_before_a_column_existed_reads_it_as_empty(bucketed: Path, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(bucketed, home)
    older = sorted((home / "warehouse" / "tax").glob("batch=*/bucket=*.parquet"))[0]
    pq.write_table(pq.read_table(older).drop_columns(["zero_return"]), older)
    whole = read_source("tax", home)
    codes = sorted(pq.read_table(older, columns=["credit_code"]).column(0).unique().to_pylist())[:3]
    some = read_source("tax", home, credit_codes=codes)
    pd.testing.assert_frame_equal(some, whole[whole["credit_code"].isin(codes)].reset_index(drop=True))
    assert some["zero_return"].isna().any() and list(some.columns) == list(whole.columns)


def test_bucket_count_cannot_change(tmp_path: Path) -> None:
    assert bucket_count(tmp_path, 16) == 16
    with pytest.raises(ZonecreditError, match="has 16 buckets"):
        bucket_count(tmp_path, 64)


@pytest.mark.slow
def test_sigkill_midway_leaves_nothing_visible_and_a_rerun_completes(tmp_path: Path) -> None:
    rows = 1_500_000
    path = tmp_path / "tax_big.csv"
    write_tax_file(path, rows)
    home = tmp_path / "home"
    env = {**os.environ, "ZONECREDIT_HOME": str(home), "ZONECREDIT_INGEST_CHUNK_ROWS": "50000"}
    command = [sys.executable, "-m", "zonecredit.cli", "data", "ingest", "tax", str(path), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staging = home / "warehouse" / "tax" / ".staging"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(staging.glob("*/bucket=*.parquet")):
        time.sleep(0.05)
    time.sleep(0.5)  # let it write a few chunks
    assert process.poll() is None, "ingestion finished before it could be killed; make the file larger"
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert list(staging.glob("*/bucket=*.parquet")), "the kill should have left staged files behind"
    assert committed_batches("tax", home) == []
    assert read_source("tax", home).empty

    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert '"rows_loaded": 1500000' in done.stdout
    loaded = read_source("tax", home, columns=["credit_code", "period"])
    assert len(loaded) == rows
    assert not loaded.duplicated().any()
    assert not any(staging.iterdir())
