"""In-process and chunked engines agree, and feature tables round-trip through Parquet."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.engines import InMemoryPartitions, feature_path, run_features, write_features
from features.registry import FEATURE_SET_VERSION
from tests import factories as f

AS_OF = pd.Timestamp("2025-06-01").date()


def test_chunked_equals_in_process():
    partitions = InMemoryPartitions.split(f.world(), n_buckets=3)
    in_process = run_features(partitions, AS_OF, engine="inprocess")
    chunked = run_features(partitions, AS_OF, engine="chunked")
    pd.testing.assert_frame_equal(in_process, chunked)
    assert len(in_process) == 3


def test_partitioning_keeps_every_record_of_an_enterprise_together():
    partitions = InMemoryPartitions.split(f.world(), n_buckets=4)
    for name in ("tax", "credit_events"):
        owners = [set(partitions(k)[name]["credit_code"]) for k in partitions.partition_keys()]
        assert sum(len(o) for o in owners) == len(set().union(*owners))


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="choose one of"):
        run_features(InMemoryPartitions.split(f.world(), 1), AS_OF, engine="spark")


def test_feature_table_round_trips_with_its_version(tmp_path):
    table = run_features(InMemoryPartitions.split(f.world(), 2), AS_OF)
    path = write_features([table.iloc[:2], table.iloc[2:]], feature_path(tmp_path, AS_OF))
    assert path.parent.name == "as_of=2025-06-01"
    metadata = pq.read_schema(path).metadata
    assert metadata[b"zonecredit.feature_set_version"].decode() == FEATURE_SET_VERSION
    pd.testing.assert_frame_equal(pd.read_parquet(path), table, check_dtype=False)
