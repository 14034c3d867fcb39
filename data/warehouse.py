"""The raw warehouse under ``ZONECREDIT_HOME``: committed batches of Parquet, by enterprise bucket.

Layout (SPEC §8): ``warehouse/{source}/batch={batch_id}/bucket={b:04d}.parquet`` with the batch's
``_batch.json`` (summary and data-quality report) and ``quarantine.parquet`` beside them. A batch is
written under ``warehouse/{source}/.staging/`` and committed by one directory rename, so a reader
sees a batch whole or not at all. Every record of an enterprise lands in the same bucket number in
every source, so one bucket is a self-contained partition for the feature pipeline.

Beside the buckets, each batch keeps its rows keyed by enterprise (``by_enterprise.arrow``: one
uncompressed Arrow record batch per bucket, grouped by credit code, dates as days; and
``by_enterprise.index.arrow``: each code's part, first row and row count). Rescoring a thousand
enterprises of a large warehouse reads their rows from it through a memory map instead of decoding
every bucket of every batch; it takes about 1.8× the Parquet's disk space. Batches committed
before it existed, and reads that ask for ``row_number``, are served from the buckets.
"""

from __future__ import annotations

import json
import os
import shutil
import zlib
from collections import deque
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
KEYED_FILE = "by_enterprise.arrow"
KEYED_INDEX_FILE = "by_enterprise.index.arrow"
KEYED_INDEX_SCHEMA = pa.schema(
    [("credit_code", pa.string()), ("part", pa.int32()), ("start", pa.int32()), ("rows", pa.int32())]
)
# Not in the keyed copy: the index holds the codes, a batch has one id and one load time (kept in
# the index's metadata), and row numbers are read from the buckets by the record views that show them.
UNKEYED_COLUMNS = ("credit_code", "batch_id", "row_number", "loaded_at")
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

    ``credit_codes`` keeps those enterprises' records only, read from each batch's keyed copy
    (a rescore of a thousand enterprises of every bucket reads a thousand's rows); their rows come
    by batch, then bucket, then credit code, each enterprise's in the order they were loaded.

    Records re-delivered in later batches appear once per delivery; point-in-time readers pick
    the version known at their as-of date.
    """
    contract = get_source(source)
    schema = arrow_schema(contract)
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    wanted = None if buckets is None else set(buckets)
    batches = committed_batches(source, home)
    if credit_codes is not None:
        codes = sorted(set(credit_codes))
        if wanted is not None and codes:
            in_wanted = np.isin(bucket_of(np.asarray(codes, dtype=object), bucket_count(home)), list(wanted))
            codes = [c for c, keep in zip(codes, in_wanted, strict=True) if keep]
        return _read_enterprises(batches, wanted, schema, pa.array(codes, pa.string())).to_pandas()
    files = [path for batch in batches for path in _bucket_files(batch, wanted)]
    if not files:
        return schema.empty_table().to_pandas()
    tables = [pq.read_table(f, columns=schema.names, schema=arrow_schema(contract)) for f in files]
    return pa.concat_tables(tables).to_pandas()


def _bucket_files(batch: Path, wanted: set[int] | None) -> list[Path]:
    return [
        path
        for path in sorted(batch.glob("bucket=*.parquet"))
        if wanted is None or int(path.stem.split("=")[1]) in wanted
    ]


def _read_enterprises(
    batches: list[Path], wanted: set[int] | None, schema: pa.Schema, codes: pa.Array
) -> pa.Table:
    """Return the rows of ``codes`` in ``batches``, as ``schema``: by batch, then bucket, then code.

    A batch's keyed copy gives their rows directly. A batch without one (committed before it
    existed) is read from its buckets, two files at a time: a thousand enterprises of a large
    warehouse have rows in every row group of every file, so statistics skip nothing there.
    """
    if not len(codes):
        return schema.empty_table()
    tables = []
    for batch in batches:
        keyed = None if "row_number" in schema.names else _read_keyed(batch, schema, codes)
        if keyed is None:
            files = _bucket_files(batch, wanted)
            with ThreadPoolExecutor(max(1, min(len(files), os.cpu_count() or 1))) as pool:
                keyed = pa.concat_tables(
                    [schema.empty_table(), *pool.map(lambda f: _read_bucket(f, schema, codes), files)]
                )
        tables.append(keyed)
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _read_keyed(batch: Path, schema: pa.Schema, codes: pa.Array) -> pa.Table | None:
    """Return the rows of ``codes`` in one batch from its keyed copy, or None if it has none."""
    index_path, keyed_path = batch / KEYED_INDEX_FILE, batch / KEYED_FILE
    if not index_path.exists():
        return None
    with pa.memory_map(str(index_path)) as source:
        index = pa.ipc.open_file(source).read_all()
        found = pc.index_in(codes, value_set=index["credit_code"]).drop_null()
        entries = index.take(found)
    loaded_at = pa.scalar(int(index.schema.metadata[b"loaded_at"]), pa.timestamp("us"))
    order = np.lexsort((entries["start"].to_numpy(), entries["part"].to_numpy()))
    parts, starts = entries["part"].to_numpy()[order], entries["start"].to_numpy()[order]
    counts = entries["rows"].to_numpy()[order].astype(np.int64)
    pieces = []
    with pa.memory_map(str(keyed_path)) as source:
        reader = pa.ipc.open_file(source)
        stored = set(reader.schema.names)
        names = [f.name for f in schema if f.name in stored]
        for part in np.unique(parts):
            mine = parts == part
            n = counts[mine]
            rows = np.repeat(starts[mine] - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
            pieces.append(reader.get_batch(int(part)).select(names).take(pa.array(rows)))
    taken = pa.Table.from_batches(pieces, pa.schema([reader.schema.field(n) for n in names]))
    credit_codes = entries["credit_code"].take(pa.array(np.repeat(order, counts)))
    batch_id = batch.name.removeprefix("batch=")
    given = {
        "credit_code": credit_codes,
        "batch_id": pa.repeat(pa.scalar(batch_id), taken.num_rows),
        "loaded_at": pa.repeat(loaded_at, taken.num_rows),
    }
    return _conformed(taken, schema, given)


def _read_bucket(path: Path, schema: pa.Schema, codes: pa.Array) -> pa.Table:
    """Return the rows of ``codes`` in one bucket file, as ``schema``, ordered by code.

    Read with ``credit_code`` as a dictionary, so membership is tested once per distinct code and
    the strings of other enterprises are never built.
    """
    columns = schema.names if "credit_code" in schema.names else ["credit_code", *schema.names]
    with pq.ParquetFile(path, read_dictionary=["credit_code"]) as reader:
        stored = set(reader.schema_arrow.names)
        table = reader.read(columns=[c for c in columns if c in stored], use_threads=False)
    chunks = table["credit_code"].chunks
    keep = [pc.take(pc.is_in(chunk.dictionary, value_set=codes), chunk.indices) for chunk in chunks]
    table = table.filter(pa.chunked_array(keep, pa.bool_()))
    return _conformed(table.take(pc.sort_indices(table["credit_code"].cast(pa.string()))), schema)


def _conformed(table: pa.Table, schema: pa.Schema, given: dict[str, pa.Array] | None = None) -> pa.Table:
    """Return ``table`` as ``schema``: ``given`` columns as they are, stored ones cast to their
    type, and a column the file was written before is null."""
    given = given or {}
    stored = set(table.schema.names)
    columns = [
        given[f.name]
        if f.name in given
        else table[f.name].cast(f.type)
        if f.name in stored
        else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.table(columns, schema=schema)


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


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """Return the stable sort order of non-negative integer keys (radix sort when they fit 16 bits,
    several times faster than numpy's stable sort of wider integers)."""
    narrow = keys.max(initial=0) < 2**16
    return np.argsort(keys.astype(np.uint16) if narrow else keys, kind="stable")


class BatchWriter:
    """Writes one batch into a staging folder; ``commit`` makes it visible in one rename."""

    def __init__(self, source: str, batch_id: str, home: Path, buckets: int) -> None:
        self.source = get_source(source)
        self.batch_id = batch_id
        self.buckets = buckets
        root = warehouse_dir(home) / source
        self.final = root / f"batch={batch_id}"
        self.staging = root / ".staging" / batch_id
        if self.staging.exists():  # left by an ingestion that was killed: start it again
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        self.schema = arrow_schema(self.source)
        self._writers: dict[int, pq.ParquetWriter] = {}
        self._staged: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        self._keyed_schema = pa.schema(
            [
                f.with_type(pa.date32()) if pa.types.is_timestamp(f.type) else f  # day timestamps
                for f in self.schema
                if f.name not in UNKEYED_COLUMNS
            ]
        )
        self._staged_schema = pa.schema([self.schema.field("credit_code"), *self._keyed_schema])
        self._loaded_at: set[int] = set()
        # Dictionary pages only for text: for amounts and dates they are tried, then dropped, which
        # cost 45% of writing a bucket and made the file larger.
        self._dictionary = [f.name for f in self.schema if pa.types.is_string(f.type)]
        self._quarantine: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        """Append loaded rows, split by bucket."""
        if not table.num_rows:
            return
        table = table.replace_schema_metadata(None).cast(self.schema)
        bucket = bucket_of(table.column("credit_code").combine_chunks(), self.buckets)
        order = _stable_order(bucket)
        sorted_buckets = bucket[order]
        table = table.take(pa.array(order))
        stamps = pc.min_max(table["loaded_at"].cast(pa.int64()))
        self._loaded_at.update({stamps["min"].as_py(), stamps["max"].as_py()})
        staged = pa.table(
            [table[f.name].cast(f.type) for f in self._staged_schema], schema=self._staged_schema
        )
        bounds = np.flatnonzero(np.diff(sorted_buckets)) + 1
        for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(order)], strict=True):
            number = int(sorted_buckets[start])
            writer = self._writers.get(number)
            if writer is None:
                writer = pq.ParquetWriter(
                    self.staging / f"bucket={number:04d}.parquet",
                    self.schema,
                    use_dictionary=self._dictionary,
                )
                self._writers[number] = writer
                self._staged[number] = pa.ipc.new_file(self._staged_path(number), self._staged_schema)
            writer.write_table(table.slice(start, stop - start))
            self._staged[number].write_table(staged.slice(start, stop - start))

    def _staged_path(self, number: int) -> Path:
        return self.staging / f"keyed-{number:04d}.arrow"

    def _write_keyed(self) -> None:
        """Write the batch keyed by enterprise: each bucket's rows grouped by code, and their index.

        Buckets are grouped on worker threads (Arrow releases the GIL) while the ones before them
        are written, in bucket order; at most ``ahead`` grouped buckets wait in memory.
        """
        if not self._staged:
            return
        if len(self._loaded_at) != 1:
            raise ValueError(
                f"batch {self.batch_id} has rows of several load times: {sorted(self._loaded_at)}"
            )
        numbers = sorted(self._staged)
        ahead = os.cpu_count() or 1
        index = []
        with (
            pa.ipc.new_file(self.staging / KEYED_FILE, self._keyed_schema) as out,
            ThreadPoolExecutor(ahead) as pool,
        ):
            pending = deque(pool.submit(self._grouped, n) for n in numbers[:ahead])
            for part in range(len(numbers)):
                grouped, codes, rows = pending.popleft().result()
                if part + ahead < len(numbers):
                    pending.append(pool.submit(self._grouped, numbers[part + ahead]))
                out.write_batch(grouped)
                starts = np.r_[0, np.cumsum(rows)[:-1]]
                index.append(
                    pa.table([codes, np.full(len(rows), part), starts, rows], schema=KEYED_INDEX_SCHEMA)
                )
        schema = KEYED_INDEX_SCHEMA.with_metadata({"loaded_at": str(*self._loaded_at)})
        with pa.ipc.new_file(self.staging / KEYED_INDEX_FILE, schema) as out:
            out.write_table(pa.concat_tables(index).replace_schema_metadata(schema.metadata))

    def _grouped(self, number: int) -> tuple[pa.RecordBatch, pa.Array, np.ndarray]:
        """Return a staged bucket's rows grouped by code, its codes in order and their row counts.

        Grouping is a stable sort on each code's rank, so an enterprise's rows keep the order they
        were loaded in.
        """
        path = self._staged_path(number)
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
            encoded = pc.dictionary_encode(table["credit_code"].combine_chunks())
            rank = pc.sort_indices(encoded.dictionary).to_numpy()
            code_rank = np.empty_like(rank)
            code_rank[rank] = np.arange(len(rank))
            ranks = code_rank[encoded.indices.to_numpy()]
            grouped = table.drop_columns(["credit_code"]).take(pa.array(_stable_order(ranks)))
            batch = grouped.combine_chunks().to_batches()[0]
        path.unlink()
        return batch, encoded.dictionary.take(pa.array(rank)), np.bincount(ranks, minlength=len(rank))

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
        for staged in self._staged.values():
            staged.close()
        self._write_keyed()
        if self._quarantine is not None:
            self._quarantine.close()
        (self.staging / BATCH_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1))
        self.staging.rename(self.final)
        return self.final

    def abort(self) -> None:
        """Drop the staged files (nothing was visible)."""
        for writer in [*self._writers.values(), *self._staged.values()]:
            writer.close()
        if self._quarantine is not None:
            self._quarantine.close()
        shutil.rmtree(self.staging, ignore_errors=True)
