"""Dask on a local process cluster computes the same feature table as in-process."""

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
