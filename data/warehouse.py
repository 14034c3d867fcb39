"""The raw warehouse under ``ZONECREDIT_HOME``: committed batches of Parquet, by enterprise bucket.

Layout (SPEC §8): ``warehouse/{source}/batch={batch_id}/bucket={b:04d}.parquet`` with the batch's
``_batch.json`` (summary and data-quality report) and ``quarantine.parquet`` beside them. A batch is
written under ``warehouse/{source}/.staging/`` and committed by one directory rename, so a reader
sees a batch whole or not at all. Every record of an enterprise lands in the same bucket number in
every source, so one bucket is a self-contained partition for the feature pipeline.
"""

from __future__ import annotations

import json
import os
import shutil
import zlib
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data.contracts import SOURCES, arrow_schema, get_source
from data.errors import ZonecreditError

LAYOUT_FILE = "_layout.json"
BATCH_FILE = "_batch.json"
QUARANTINE_FILE = "quarantine.parquet"
QUARANTINE_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("file", pa.string()),
        ("row_number", pa.int64()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)


def warehouse_dir(home: Path) -> Path:
    return Path(home) / "warehouse"


def bucket_count(home: Path, default: int | None = None) -> int:
    """Return the warehouse's fixed number of buckets, fixing it on first use."""
    path = warehouse_dir(home) / LAYOUT_FILE
    if path.exists():
        stored = int(json.loads(path.read_text())["buckets"])
        if default is not None and default != stored:
            raise ZonecreditError(
                f"the warehouse at {path.parent} has {stored} buckets; ZONECREDIT_WAREHOUSE_BUCKETS="
                f"{default} cannot change it (start a new ZONECREDIT_HOME)"
            )
        return stored
    if default is None:
        raise ZonecreditError(f"no warehouse at {path.parent}: ingest data first")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"buckets": default}))
    tmp.replace(path)
    return default


def bucket_of(credit_codes: pd.Series | np.ndarray | pa.Array | pa.ChunkedArray, buckets: int) -> np.ndarray:
    """Return each code's bucket: CRC-32 of the code modulo the bucket count (stable forever)."""
    codes = (
        credit_codes
        if isinstance(credit_codes, pa.ChunkedArray | pa.Array)
        else pa.array(credit_codes, pa.string())
    )
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    encoded = pc.dictionary_encode(codes)
    per_code = np.fromiter(
        (zlib.crc32(c.encode()) % buckets for c in encoded.dictionary.to_pylist()),
        np.int32,
        len(encoded.dictionary),
    )
    return per_code[encoded.indices.to_numpy(zero_copy_only=False)]


def committed_batches(source: str, home: Path) -> list[Path]:
    """Return the committed batch folders of a source, oldest commit first."""
    root = warehouse_dir(home) / source
    if not root.exists():
        return []
    batches = [p for p in root.glob("batch=*") if (p / BATCH_FILE).exists()]
    return sorted(batches, key=lambda p: json.loads((p / BATCH_FILE).read_text())["loaded_at"])


def batch_summaries(home: Path, source: str | None = None) -> list[dict]:
    """Return the stored summary (with the data-quality report) of every committed batch."""
    names = [source] if source else list(SOURCES)
    return [
        json.loads((batch / BATCH_FILE).read_text())
        for name in names
        for batch in committed_batches(name, home)
    ]


def list_buckets(home: Path) -> list[int]:
    """Return the bucket numbers that hold data in any source."""
    found: set[int] = set()
    for name in SOURCES:
        for batch in committed_batches(name, home):
            found.update(int(p.stem.split("=")[1]) for p in batch.glob("bucket=*.parquet"))
    return sorted(found)


def read_source(
    source: str,
    home: Path,
    buckets: Iterable[int] | None = None,
    columns: list[str] | None = None,
    credit_codes: Collection[str] | None = None,
) -> pd.DataFrame:
    """Return every loaded record of a source (all committed batches), optionally some buckets.

    ``credit_codes`` keeps those enterprises' records only, filtered in Arrow before pandas sees
    them (a rescore of a thousand enterprises of every bucket converts a thousand's rows).

    Records re-delivered in later batches appear once per delivery; point-in-time readers pick
    the version known at their as-of date.
    """
    contract = get_source(source)
    schema = arrow_schema(contract)
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    wanted = None if buckets is None else set(buckets)
    files = [
        path
        for batch in committed_batches(source, home)
        for path in sorted(batch.glob("bucket=*.parquet"))
        if wanted is None or int(path.stem.split("=")[1]) in wanted
    ]
    if not files:
        return schema.empty_table().to_pandas()
    if credit_codes is not None:
        return _read_enterprises(files, schema, credit_codes).to_pandas()
    tables = [pq.read_table(f, columns=schema.names, schema=arrow_schema(contract)) for f in files]
    return pa.concat_tables(tables).to_pandas()


def _read_enterprises(files: list[Path], schema: pa.Schema, credit_codes: Collection[str]) -> pa.Table:
    """Return the rows of ``credit_codes`` in ``files``, as ``schema``, reading the files two at a time.

    A thousand enterprises of a large warehouse have rows in every row group of every file (each
    bucket file holds every month of its enterprises), so statistics skip nothing and the cost is
    decoding. Each file is read directly (``ParquetFile``: a dataset per file costs more than a small
    file's rows), with ``credit_code`` as a dictionary, so membership is tested once per distinct code
    and the strings of other enterprises are never built.
    """
    codes = pa.array(sorted(credit_codes), pa.string())
    columns = schema.names if "credit_code" in schema.names else ["credit_code", *schema.names]

    def read(path: Path) -> pa.Table:
        with pq.ParquetFile(path, read_dictionary=["credit_code"]) as reader:
            stored = set(reader.schema_arrow.names)
            table = reader.read(columns=[c for c in columns if c in stored], use_threads=False)
        chunks = table["credit_code"].chunks
        keep = [pc.take(pc.is_in(chunk.dictionary, value_set=codes), chunk.indices) for chunk in chunks]
        table = table.filter(pa.chunked_array(keep, pa.bool_()))
        return pa.table(
            [
                table[f.name].cast(f.type) if f.name in stored else pa.nulls(table.num_rows, f.type)
                for f in schema
            ],
            schema=schema,
        )

    with ThreadPoolExecutor(min(len(files), os.cpu_count() or 1)) as pool:
        return pa.concat_tables(list(pool.map(read, files)))


def read_partition(
    buckets: int | Iterable[int], home: Path, credit_codes: Collection[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Return all loaded records of every source for the enterprises of one or more buckets."""
    wanted = [buckets] if isinstance(buckets, int) else list(buckets)
    return {name: read_source(name, home, buckets=wanted, credit_codes=credit_codes) for name in SOURCES}


def registry_rows(home: Path) -> int:
    """Return how many registry records are loaded (from Parquet metadata; an enterprise count proxy)."""
    return sum(
        pq.ParquetFile(path).metadata.num_rows
        for batch in committed_batches("registry", home)
        for path in batch.glob("bucket=*.parquet")
    )


def read_quarantine(source: str, home: Path) -> pd.DataFrame:
    """Return every quarantined row of a source with its batch, file, row number and reason."""
    files = [b / QUARANTINE_FILE for b in committed_batches(source, home)]
    tables = [pq.read_table(f) for f in files if f.exists()]
    if not tables:
        return QUARANTINE_SCHEMA.empty_table().to_pandas()
    return pa.concat_tables(tables).to_pandas()


class BatchWriter:
    """Writes one batch into a staging folder; ``commit`` makes it visible in one rename."""

    def __init__(self, source: str, batch_id: str, home: Path, buckets: int) -> None:
        self.source = get_source(source)
        self.buckets = buckets
        root = warehouse_dir(home) / source
        self.final = root / f"batch={batch_id}"
        self.staging = root / ".staging" / batch_id
        if self.staging.exists():  # left by an ingestion that was killed: start it again
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        self.schema = arrow_schema(self.source)
        self._writers: dict[int, pq.ParquetWriter] = {}
        self._quarantine: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        """Append loaded rows, split by bucket."""
        if not table.num_rows:
            return
        table = table.replace_schema_metadata(None).cast(self.schema)
        bucket = bucket_of(table.column("credit_code").combine_chunks(), self.buckets)
        order = np.argsort(bucket, kind="stable")
        sorted_buckets = bucket[order]
        table = table.take(pa.array(order))
        bounds = np.flatnonzero(np.diff(sorted_buckets)) + 1
        for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(order)], strict=True):
            number = int(sorted_buckets[start])
            writer = self._writers.get(number)
            if writer is None:
                writer = pq.ParquetWriter(self.staging / f"bucket={number:04d}.parquet", self.schema)
                self._writers[number] = writer
            writer.write_table(table.slice(start, stop - start))

    def quarantine(self, frame: pd.DataFrame) -> None:
        """Append quarantined rows."""
        if frame.empty:
            return
        table = pa.Table.from_pandas(frame, schema=QUARANTINE_SCHEMA, preserve_index=False)
        if self._quarantine is None:
            self._quarantine = pq.ParquetWriter(self.staging / QUARANTINE_FILE, QUARANTINE_SCHEMA)
        self._quarantine.write_table(table)

    def commit(self, summary: dict) -> Path:
        """Close the files, write the summary, and make the batch visible atomically."""
        for writer in self._writers.values():
            writer.close()
        if self._quarantine is not None:
            self._quarantine.close()
        (self.staging / BATCH_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1))
        self.staging.rename(self.final)
        return self.final

    def abort(self) -> None:
        """Drop the staged files (nothing was visible)."""
        for writer in self._writers.values():
            writer.close()
        if self._quarantine is not None:
            self._quarantine.close()
        shutil.rmtree(self.staging, ignore_errors=True)
