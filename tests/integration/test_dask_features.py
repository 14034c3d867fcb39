"""Dask on a local process cluster computes the same feature table as in-process."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from features.engines import InMemoryPartitions, run_features
from tests import factories as f


@pytest.mark.slow
def test_dask_and_in_process_produce_identical_tables():
    from distributed import Client, LocalCluster

    partitions = InMemoryPartitions.split(f.world(), n_buckets=4)
    as_of = pd.Timestamp("2025-06-01").date()
    corrections = f.corrections(
        [f.correction("credit_events", f.STRUGGLING, {"event_id": "S1"}, "repair", "2025-04-01")]
    )
    in_process = run_features(partitions, as_of, corrections, engine="inprocess")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        on_dask = run_features(partitions, as_of, corrections, engine="dask", client=client)
    pd.testing.assert_frame_equal(on_dask, in_process)


@pytest.mark.slow
def test_build_features_uses_the_given_scheduler(home: Path) -> None:
    """`--engine dask` with a scheduler address runs on that cluster and writes the same table."""
    from distributed import LocalCluster

    from data.ingest import ingest_file
    from features.engines import build_features

    corpus = Path(__file__).parents[1] / "data" / "corpus"
    ingest_file("registry", corpus / "registry_mixed.csv", home, received_on=date(2026, 11, 28))
    ingest_file("tax", corpus / "tax_utf8_ok.csv", home, received_on=date(2026, 11, 28))
    expected = pd.read_parquet(build_features(date(2025, 6, 30), home, "inprocess"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        path = build_features(date(2025, 6, 30), home, "dask", scheduler=cluster.scheduler_address)
        assert cluster.scheduler.transition_counter > 0, "no task ran on the configured cluster"
    pd.testing.assert_frame_equal(pd.read_parquet(path), expected)
