"""In-process and chunked engines agree, and feature tables round-trip through Parquet."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from data.errors import InvalidArguments
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
    with pytest.raises(InvalidArguments, match="choose one of"):
        run_features(InMemoryPartitions.split(f.world(), 1), AS_OF, engine="spark")


def test_feature_table_round_trips_with_its_version(tmp_path):
    table = run_features(InMemoryPartitions.split(f.world(), 2), AS_OF)
    path = write_features([table.iloc[:2], table.iloc[2:]], feature_path(tmp_path, AS_OF))
    assert path.parent.name == "as_of=2025-06-01"
    metadata = pq.read_schema(path).metadata
    assert metadata[b"zonecredit.feature_set_version"].decode() == FEATURE_SET_VERSION
    pd.testing.assert_frame_equal(pd.read_parquet(path), table, check_dtype=False)


def test_the_feature_cache_is_keyed_by_batches_corrections_and_as_of(tmp_path):
    """A cached table is reused under the same inputs; a new batch or a new correction recomputes it."""
    from pathlib import Path

    from data.ingest import ingest_file
    from features.engines import cached_features, feature_key, stored_feature_key

    corpus = Path(__file__).parents[1] / "data" / "corpus"
    home = tmp_path / "home"
    ingest_file(
        "registry", corpus / "registry_mixed.csv", home, received_on=pd.Timestamp("2026-11-28").date()
    )
    path = cached_features(AS_OF, home, None)
    first = (stored_feature_key(path), path.stat().st_mtime_ns)
    assert first[0] == feature_key(home, AS_OF, None)
    assert (stored_feature_key(cached_features(AS_OF, home, None)), path.stat().st_mtime_ns) == first
    code = pd.read_parquet(path)["credit_code"].iloc[0]
    revoke = f.corrections(
        [f.correction("registry", code, {"status_changed_on": "2020-01-01"}, "revoke", "2025-01-01")]
    )
    corrected = stored_feature_key(cached_features(AS_OF, home, revoke))
    assert corrected not in (None, first[0]), "a new correction recomputes the table"
    ingest_file("tax", corpus / "tax_utf8_ok.csv", home, received_on=pd.Timestamp("2026-11-28").date())
    assert feature_key(home, AS_OF, revoke) != corrected, "a new committed batch changes the key"
    assert stored_feature_key(cached_features(AS_OF, home, revoke)) == feature_key(home, AS_OF, revoke)
    assert feature_key(home, pd.Timestamp("2025-07-01").date(), revoke) != feature_key(home, AS_OF, revoke)
