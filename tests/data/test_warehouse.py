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
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.contracts import SOURCES, arrow_schema
from data.errors import ZonecreditError
from data.ingest import fingerprint, ingest_file, ingest_files
from data.warehouse import (
    KEYED_FILE,
    KEYED_INDEX_FILE,
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


def _in_read_order(frame: pd.DataFrame, home: Path) -> pd.DataFrame:
    """``frame`` ordered as a read of some enterprises returns it: batch, bucket, code, then as loaded."""
    batches = {
        p.name.removeprefix("batch="): i for s in SOURCES for i, p in enumerate(committed_batches(s, home))
    }
    keys = frame.assign(
        _batch=frame["batch_id"].map(batches), _bucket=bucket_of(frame["credit_code"], bucket_count(home))
    )
    ordered = keys.sort_values(["_batch", "_bucket", "credit_code"], kind="stable")
    return ordered.drop(columns=["_batch", "_bucket"]).reset_index(drop=True)


def _without_keyed_copies(home: Path, every: int = 1) -> list[Path]:
    """Delete the keyed copy of every ``every``-th batch, as a warehouse committed before it had one."""
    batches = [b for s in SOURCES for b in committed_batches(s, home)][::every]
    for batch in batches:
        (batch / KEYED_FILE).unlink()
        (batch / KEYED_INDEX_FILE).unlink()
    return batches


def _keyed_columns(source: str) -> list[str]:
    """Every column but ``row_number``: what the features read, served by the keyed copy."""
    return [c for c in arrow_schema(SOURCES[source]).names if c != "row_number"]


def test_reading_some_enterprises_is_the_whole_source_filtered(bucketed: Path) -> None:
    codes = sorted(read_source("registry", bucketed)["credit_code"].unique())[::7]
    for source in SOURCES:
        whole = read_source(source, bucketed)
        expected = _in_read_order(whole[whole["credit_code"].isin(codes)], bucketed)
        pd.testing.assert_frame_equal(read_source(source, bucketed, credit_codes=codes), expected)  # buckets
        keyed = _keyed_columns(source)
        pd.testing.assert_frame_equal(
            read_source(source, bucketed, columns=keyed, credit_codes=codes), expected[keyed]
        )
        period = next(c for c in ("period", "reported_on") if c in whole)
        few = read_source(source, bucketed, columns=[period], credit_codes=codes)
        pd.testing.assert_frame_equal(few, expected[[period]])
        in_bucket = expected[bucket_of(expected["credit_code"], 4) == 1].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            read_source(source, bucketed, buckets=[1], columns=keyed, credit_codes=codes), in_bucket[keyed]
        )
    assert len(read_source("tax", bucketed, credit_codes=codes)) > 0
    assert read_source("tax", bucketed, credit_codes=[]).empty
    assert read_source("tax", bucketed, credit_codes=["91120116MA05T3K726"]).empty  # not in this world


def test_every_batch_keeps_all_its_rows_keyed_by_enterprise(bucketed: Path) -> None:
    for source in SOURCES:
        for batch in committed_batches(source, bucketed):
            index = pa.ipc.open_file(pa.memory_map(str(batch / KEYED_INDEX_FILE))).read_all().to_pandas()
            files = sorted(batch.glob("bucket=*.parquet"))
            codes = (
                pa.concat_tables(pq.read_table(f, columns=["credit_code"]) for f in files)
                .column(0)
                .to_pandas()
            )
            assert index["rows"].sum() == len(codes)
            assert index.set_index("credit_code")["rows"].to_dict() == codes.value_counts().to_dict()
            assert not index["credit_code"].duplicated().any()


def test_batches_without_a_keyed_copy_read_the_same(bucketed: Path, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(bucketed, home)
    assert _without_keyed_copies(home, every=2)  # a warehouse with older batches and newer ones
    codes = sorted(read_source("registry", bucketed)["credit_code"].unique())[1::5]
    for source in SOURCES:
        columns = _keyed_columns(source)
        pd.testing.assert_frame_equal(
            read_source(source, home, columns=columns, credit_codes=codes),
            read_source(source, bucketed, columns=columns, credit_codes=codes),
        )


def test_the_keyed_copy_alone_serves_a_read_of_some_enterprises(bucketed: Path, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(bucketed, home)
    for path in (home / "warehouse").glob("*/batch=*/bucket=*.parquet"):
        path.unlink()  # not read: a read of a few enterprises' features' columns never opens them
    codes = sorted(read_source("registry", bucketed)["credit_code"].unique())[::4]
    for source in SOURCES:
        columns = _keyed_columns(source)
        expected = read_source(source, bucketed, columns=columns, credit_codes=codes)
        assert len(expected)
        pd.testing.assert_frame_equal(
            read_source(source, home, columns=columns, credit_codes=codes), expected
        )


def test_a_file_written_before_a_column_existed_reads_it_as_empty(bucketed: Path, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(bucketed, home)
    _without_keyed_copies(home)  # the older file came before the keyed copies too
    older = sorted((home / "warehouse" / "tax").glob("batch=*/bucket=*.parquet"))[0]
    pq.write_table(pq.read_table(older).drop_columns(["zero_return"]), older)
    whole = read_source("tax", home)
    codes = sorted(pq.read_table(older, columns=["credit_code"]).column(0).unique().to_pylist())[:3]
    some = read_source("tax", home, credit_codes=codes)
    pd.testing.assert_frame_equal(some, _in_read_order(whole[whole["credit_code"].isin(codes)], home))
    keyed = read_source("tax", home, columns=_keyed_columns("tax"), credit_codes=codes)
    pd.testing.assert_frame_equal(keyed, some[_keyed_columns("tax")])
    assert some["zero_return"].isna().any() and list(some.columns) == list(whole.columns)


def test_a_keyed_copy_written_before_a_column_existed_reads_it_as_empty(
    bucketed: Path, tmp_path: Path
) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(bucketed, home)
    batch = committed_batches("tax", home)[0]
    keyed = pa.ipc.open_file(pa.BufferReader((batch / KEYED_FILE).read_bytes())).read_all()
    with pa.ipc.new_file(
        batch / KEYED_FILE, keyed.schema.remove(keyed.schema.get_field_index("zero_return"))
    ) as out:
        for part in keyed.drop_columns(["zero_return"]).to_batches():
            out.write_batch(part)
    codes = sorted(read_source("registry", home)["credit_code"].unique())[::3]
    some = read_source("tax", home, columns=_keyed_columns("tax"), credit_codes=codes)
    expected = read_source("tax", bucketed, columns=_keyed_columns("tax"), credit_codes=codes)
    from_batch = some["batch_id"] == batch.name.removeprefix("batch=")
    assert from_batch.any() and some.loc[from_batch, "zero_return"].isna().all()
    pd.testing.assert_frame_equal(some.drop(columns="zero_return"), expected.drop(columns="zero_return"))
    assert some.loc[~from_batch, "zero_return"].tolist() == expected.loc[~from_batch, "zero_return"].tolist()


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
