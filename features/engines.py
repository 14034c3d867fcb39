"""Three ways to run the one feature function over partitions of enterprises (SPEC §8).

- ``inprocess``: every partition loaded together and computed in one call (small data).
- ``chunked``: one partition at a time, written out as it is done (data larger than memory).
- ``dask``: one task per partition on a ``dask.distributed`` cluster.

All records of an enterprise live in one partition and a feature row depends only on its own
enterprise, so the three give the same table; the engine is a deployment choice, not a model one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import pandas as pd

from data.contracts import SOURCES, empty_frame
from data.errors import InvalidArguments
from data.warehouse import bucket_of
from features.compute import compute_features
from features.pointintime import CORRECTION_COLUMNS, as_timestamp
from features.registry import FEATURE_SET_VERSION

if TYPE_CHECKING:
    from distributed import Client

Engine = Literal["inprocess", "chunked", "dask"]
ENGINES: tuple[str, ...] = ("inprocess", "chunked", "dask")
Records = Mapping[str, pd.DataFrame]
_KEY_METADATA = b"zonecredit.feature_key"


class Partitions(Protocol):
    """Where partitions come from: their keys, and the records of the partition with a key."""

    def partition_keys(self) -> list[int]: ...

    def __call__(self, key: int) -> Records: ...


@dataclass(frozen=True)
class WarehousePartitions:
    """Partitions read from the warehouse under ``home`` (picklable: workers read them directly).

    A partition is a run of warehouse buckets holding about ``enterprises_per_partition``
    enterprises: each call of the feature function has a fixed cost (~0.2 s), so a partition
    should be large, yet bounded so that a province-sized warehouse still fits in memory.
    """

    home: Path
    enterprises_per_partition: int = 50_000

    def _groups(self) -> list[list[int]]:
        from data.warehouse import list_buckets, registry_rows

        buckets = list_buckets(self.home)
        count = max(1, min(len(buckets), -(-registry_rows(self.home) // self.enterprises_per_partition)))
        return [g.tolist() for g in np.array_split(np.array(buckets, dtype=int), count) if len(g)]

    def partition_keys(self) -> list[int]:
        return list(range(len(self._groups())))

    def __call__(self, key: int) -> Records:
        from data.warehouse import read_partition

        return read_partition(self._groups()[key], self.home)


@dataclass(frozen=True)
class InMemoryPartitions:
    """Partitions held in memory, for tests and for callers that already hold the records."""

    partitions: dict[int, dict[str, pd.DataFrame]] = field(default_factory=dict)

    @classmethod
    def split(cls, records: Records, n_buckets: int) -> InMemoryPartitions:
        """Return ``records`` split into ``n_buckets`` partitions the way the warehouse buckets them."""
        parts: dict[int, dict[str, pd.DataFrame]] = {b: {} for b in range(n_buckets)}
        for name, frame in records.items():
            codes = frame["credit_code"].to_numpy(object)
            buckets = bucket_of(codes, n_buckets) if len(frame) else np.empty(0)
            for bucket in range(n_buckets):
                parts[bucket][name] = frame[buckets == bucket].reset_index(drop=True)
        return cls(parts)

    def partition_keys(self) -> list[int]:
        return sorted(self.partitions)

    def __call__(self, bucket: int) -> Records:
        return self.partitions[bucket]


def compute_partition(
    key: int, partitions: Partitions, as_of: date, corrections: pd.DataFrame | None
) -> pd.DataFrame:
    """Return the features of one partition (the unit of work of the chunked and Dask engines)."""
    return compute_features(partitions(key), as_of, corrections)


def _in_order(frames: list[pd.DataFrame], as_of: date) -> pd.DataFrame:
    table = pd.concat(frames, ignore_index=True) if frames else compute_features({}, as_of)
    table = table.sort_values("credit_code", kind="stable").reset_index(drop=True)
    table.attrs["feature_set_version"] = FEATURE_SET_VERSION
    return table


def _all_records(partitions: Partitions) -> dict[str, pd.DataFrame]:
    loaded = [partitions(k) for k in partitions.partition_keys()]
    return {
        name: pd.concat(
            [p.get(name, empty_frame(src)) for p in loaded] or [empty_frame(src)], ignore_index=True
        )
        for name, src in SOURCES.items()
    }


def iter_chunks(
    partitions: Partitions, as_of: date, corrections: pd.DataFrame | None
) -> Iterator[pd.DataFrame]:
    """Yield the features partition by partition, holding one partition in memory at a time."""
    for key in partitions.partition_keys():
        yield compute_partition(key, partitions, as_of, corrections)


@contextmanager
def dask_client(scheduler: str | None = None) -> Iterator[Client]:
    """Connect to the Dask scheduler at ``scheduler``, or start a local cluster for the duration.

    A local cluster has one single-threaded worker process per core: the feature function and
    pandas hold the GIL, so processes, not threads, give the parallelism.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _run_dask(
    partitions: Partitions, as_of: date, corrections: pd.DataFrame | None, client: Client | None
) -> pd.DataFrame:
    if client is None:
        with dask_client() as own:
            return _run_dask(partitions, as_of, corrections, own)
    # One copy of the partition source and the corrections per worker, not one per task.
    [source_future] = client.scatter([partitions], broadcast=True)
    [corrections_future] = client.scatter([corrections], broadcast=True)
    futures = client.map(
        compute_partition,
        partitions.partition_keys(),
        partitions=source_future,
        as_of=as_of,
        corrections=corrections_future,
        pure=False,
    )
    return _in_order(client.gather(futures), as_of)


def run_features(
    partitions: Partitions,
    as_of: date,
    corrections: pd.DataFrame | None = None,
    engine: str = "inprocess",
    client: Client | None = None,
) -> pd.DataFrame:
    """Return the feature table of all partitions on ``as_of``, computed by ``engine``."""
    if engine == "inprocess":
        return _in_order([compute_features(_all_records(partitions), as_of, corrections)], as_of)
    if engine == "chunked":
        return _in_order(list(iter_chunks(partitions, as_of, corrections)), as_of)
    if engine == "dask":
        return _run_dask(partitions, as_of, corrections, client)
    raise InvalidArguments(f"unknown feature engine {engine!r}; choose one of {', '.join(ENGINES)}")


def feature_path(home: Path, as_of: date) -> Path:
    """Return the folder of the feature table of ``as_of`` under the data directory."""
    return home / "features" / f"as_of={as_timestamp(as_of):%Y-%m-%d}"


def corrections_fingerprint(corrections: pd.DataFrame | None) -> str:
    """Return a hash of the corrections' content (which, on what, what, and the dates they take effect)."""
    if corrections is None or corrections.empty:
        return "none"
    columns = [c for c in CORRECTION_COLUMNS if c in corrections]
    rows = sorted("\x1f".join(str(v) for v in row) for row in corrections[columns].itertuples(index=False))
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode() + b"\x1e")
    return digest.hexdigest()[:16]


def feature_key(home: Path, as_of: date, corrections: pd.DataFrame | None) -> str:
    """Return what a feature table is computed from, as one hash: the as-of date, the warehouse's
    committed batches, the corrections' fingerprint and the feature-set version.

    A cached table is reused only under the same key, so a new batch, a new correction or a changed
    feature set computes it again.
    """
    from data.warehouse import committed_batches

    payload = {
        "as_of": f"{as_timestamp(as_of):%Y-%m-%d}",
        "batches": [f"{source}/{p.name}" for source in SOURCES for p in committed_batches(source, home)],
        "corrections": corrections_fingerprint(corrections),
        "feature_set_version": FEATURE_SET_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def stored_feature_key(path: Path) -> str | None:
    """Return the key a written feature table was computed under (None if absent or unkeyed)."""
    import pyarrow.parquet as pq

    if not path.exists():
        return None
    metadata = pq.read_schema(path).metadata or {}
    key = metadata.get(_KEY_METADATA)
    return key.decode() if key else None


def write_features(
    chunks: Iterator[pd.DataFrame] | list[pd.DataFrame], folder: Path, key: str | None = None
) -> Path:
    """Write feature chunks to one Parquet file, tagged with the feature-set version and its key.

    Written beside the target and moved into place, so a reader sees the old table or the new one.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "features.parquet"
    partial = folder / f".features-{os.getpid()}-{threading.get_ident()}.parquet"
    writer = None
    try:
        for chunk in chunks:
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                metadata = {
                    **(table.schema.metadata or {}),
                    b"zonecredit.feature_set_version": FEATURE_SET_VERSION.encode(),
                    **({_KEY_METADATA: key.encode()} if key else {}),
                }
                writer = pq.ParquetWriter(partial, table.schema.with_metadata(metadata))
            writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
    finally:
        if writer is not None:
            writer.close()
    if writer is not None:
        os.replace(partial, path)
    return path


def build_features(
    as_of: date,
    home: Path,
    engine: str = "inprocess",
    *,
    corrections: pd.DataFrame | None = None,
    scheduler: str | None = None,
) -> Path:
    """Compute the feature table of ``as_of`` from the warehouse under ``home`` and write it.

    ``corrections`` are applied as ``compute_features`` does (those decided by ``as_of``): current
    scores pass ``features.view.current_corrections`` of every correction. ``scheduler`` is the Dask
    scheduler for ``engine="dask"`` (a local cluster when None). Returns the table's path.
    """
    partitions = WarehousePartitions(home)
    folder = feature_path(home, as_of)
    key = feature_key(home, as_of, corrections)
    if engine == "chunked":
        return write_features(iter_chunks(partitions, as_of, corrections), folder, key)
    if engine == "dask":
        with dask_client(scheduler) as client:
            return write_features([run_features(partitions, as_of, corrections, engine, client)], folder, key)
    return write_features([run_features(partitions, as_of, corrections, engine)], folder, key)


def cached_features(as_of: date, home: Path, corrections: pd.DataFrame | None) -> Path:
    """Return the path of the feature table of ``as_of``, computing it unless the stored one was
    computed from the same batches, corrections and feature set (``feature_key``)."""
    path = feature_path(home, as_of) / "features.parquet"
    if stored_feature_key(path) == feature_key(home, as_of, corrections):
        return path
    return build_features(as_of, home, corrections=corrections)
