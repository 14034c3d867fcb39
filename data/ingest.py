"""Ingest raw files into the warehouse: validate, load the good rows, quarantine the rest.

Each file is one batch, identified by a fingerprint of its bytes, so ingesting the same file
again changes nothing. Every input row ends up loaded or quarantined with its reason, and each
batch carries a data-quality report (completeness, validity, duplicates, timeliness, load rate).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from data.contracts import Source, get_source, period_ends
from data.errors import RejectedFile
from data.profiles import Profile
from data.readers import SUPPORTED_SUFFIXES, open_raw, prefetch
from data.units import column_factors
from data.validate import DUPLICATE_KEY, ChunkResult, DuplicateTracker, validate_chunk
from data.warehouse import BatchWriter, bucket_count, committed_batches

MAX_LAG_DAYS = 3650


@dataclass
class BatchSummary:
    """What happened to one file: counts, reasons, and its data-quality report."""

    source: str
    file: str
    batch_id: str
    status: str  # loaded | already_loaded | rejected | dry_run (validated, nothing committed)
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    # rows neither loaded nor quarantined because they are no records (合计 rows, footnotes)
    rows_skipped: int = 0
    skipped: list[dict] = field(default_factory=list)  # {"row": n, "sheet": name, "reason": why}
    # headers that matched nothing -> the nearest contract column (offered when columns are missing)
    suggestions: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> contract column
    layout: str | None = None  # the national export layout recognised by its headers, if any
    ignored_sheets: list[str] = field(default_factory=list)  # sheets without a header of the source
    units: dict[str, str] = field(default_factory=dict)  # contract column -> unit converted from
    encoding: str | None = None
    message: str = ""
    received_on: str = ""
    loaded_at: str = ""
    quality: dict = field(default_factory=dict)
    # a dry run's look at the file: its first valid rows, and the first rows it would quarantine
    preview: list[dict] = field(default_factory=list)
    quarantine_sample: list[dict] = field(default_factory=list)


PREVIEW_ROWS = 10
QUARANTINE_SAMPLE_ROWS = 50


@dataclass
class IngestReport:
    """The summaries of all files of one ``ingest`` call, with totals."""

    batches: list[BatchSummary]
    # paths given inside folders that were not read (subfolders, unknown file types), with why
    not_ingested: list[dict[str, str]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(b.rows_in for b in self.batches)

    @property
    def rows_loaded(self) -> int:
        return sum(b.rows_loaded for b in self.batches)

    @property
    def rows_quarantined(self) -> int:
        return sum(b.rows_quarantined for b in self.batches)

    @property
    def rows_skipped(self) -> int:
        return sum(b.rows_skipped for b in self.batches)

    @property
    def rejected(self) -> list[BatchSummary]:
        return [b for b in self.batches if b.status == "rejected"]

    def to_dict(self) -> dict:
        return {
            "rows_in": self.rows_in,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_skipped": self.rows_skipped,
            "not_ingested": self.not_ingested,
            "batches": [asdict(b) for b in self.batches],
        }


def fingerprint(path: Path, source: str) -> str:
    """Return the batch id: the source and a hash of the file's bytes."""
    digest = hashlib.blake2b(source.encode(), digest_size=10)
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return f"{source}-{digest.hexdigest()}"


class _Quality:
    """Accumulates the data-quality figures of a batch across its chunks."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.non_empty: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.sentinel_dates: Counter[str] = Counter()
        self.lag_histogram = np.zeros(MAX_LAG_DAYS + 1, dtype=np.int64)
        self.rows_in = self.rows_loaded = self.rows_quarantined = 0
        self.newest_reported_on: pd.Timestamp | None = None

    def add(self, result: ChunkResult, loaded: pd.DataFrame) -> None:
        self.rows_in += result.rows_in
        self.rows_loaded += result.loaded.num_rows
        self.rows_quarantined += len(result.quarantined)
        self.non_empty.update(result.non_empty)
        self.sentinel_dates.update(result.sentinel_dates)
        self.reasons.update(result.quarantined["reason_code"].tolist())
        if len(loaded):
            lag = (loaded["reported_on"] - _period_ends(self.source, loaded)).dt.days.to_numpy()
            self.lag_histogram += np.bincount(np.clip(lag, 0, MAX_LAG_DAYS), minlength=MAX_LAG_DAYS + 1)
            newest = loaded["reported_on"].max()
            if pd.notna(newest) and (self.newest_reported_on is None or newest > self.newest_reported_on):
                self.newest_reported_on = newest

    def report(self) -> dict:
        lag = self.lag_histogram
        total = int(lag.sum())
        cumulative = np.cumsum(lag)

        def quantile(q: float) -> int | None:
            return int(np.searchsorted(cumulative, q * total)) if total else None

        newest = None if self.newest_reported_on is None else f"{self.newest_reported_on:%Y-%m-%d}"

        return {
            "rows_in": self.rows_in,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "load_rate": round(self.rows_loaded / self.rows_in, 6) if self.rows_in else None,
            "validity": round(1 - self.rows_quarantined / self.rows_in, 6) if self.rows_in else None,
            "duplicates": self.reasons.get(DUPLICATE_KEY, 0),
            "completeness": {
                c.name: round(self.non_empty.get(c.name, 0) / self.rows_in, 6) if self.rows_in else None
                for c in self.source.columns
            },
            "timeliness_days": {
                "median": quantile(0.5),
                "p90": quantile(0.9),
                "max": int(np.flatnonzero(lag).max()) if total else None,
            },
            # the latest date the batch's data support (``serving.rescore.live_as_of`` reads it)
            "newest_reported_on": newest,
            "reasons": dict(self.reasons.most_common()),
            # placeholder dates (9999-12-31, 2099-12-31, 1900-01-01) read as "no date", by column
            "sentinel_dates": dict(self.sentinel_dates),
        }


def _period_ends(source: Source, frame: pd.DataFrame) -> pd.Series:
    """Return the end of each record's period (or its own date) — the start of timeliness."""
    if source.grain in {"monthly", "quarterly"}:
        return period_ends(frame["period"], source.grain)
    if source.grain == "yearly":
        return pd.to_datetime(frame["year"].astype(int).astype(str) + "-12-31")
    return frame[source.period_column]


def ingest_file(
    source_name: str,
    path: Path,
    home: Path,
    received_on: date | None = None,
    buckets: int = 64,
    chunk_rows: int = 200_000,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
    profile: Profile | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Validate one file and commit it as a batch; return what happened to its rows.

    ``columns`` maps headers by hand (header as written -> contract column); ``sheet`` picks one
    sheet of a workbook (default: every sheet); ``profile`` brings a department's saved mappings,
    sheet and units (explicit ``columns``/``sheet`` win over it). ``dry_run`` validates the whole
    file and reports what would happen (status ``dry_run``, with the first valid rows and the first
    rows it would quarantine) without writing anything under ``home``. ``progress`` is called
    with the number of rows read so far after every chunk (a dashboard's progress bar).
    """
    source = get_source(source_name)
    path = Path(path)
    received_on = received_on or date.today()
    summary = BatchSummary(source.name, str(path), "", "rejected", received_on=received_on.isoformat())
    if profile is not None and profile.source != source.name:
        summary.message = f"profile {profile.name!r} is for {profile.source}, not {source.name}"
        return summary
    mapping = {**(profile.columns if profile else {}), **(columns or {})}
    sheet = sheet or (profile.sheet if profile else None)
    profile_units = dict(profile.units) if profile else {}
    try:
        summary.batch_id = fingerprint(path, source.name)
    except OSError as exc:
        summary.message = f"{path}: cannot be read: {exc.strerror or exc}"
        return summary
    if any(b.name == f"batch={summary.batch_id}" for b in committed_batches(source.name, home)):
        summary.status = "already_loaded"
        summary.message = f"{path.name} was loaded before as batch {summary.batch_id}; nothing to do"
        return summary

    n_buckets = buckets if dry_run else bucket_count(home, buckets)
    loaded_at = datetime.now()
    writer: BatchWriter | None = None
    rows_read = 0
    try:
        layout, chunks = open_raw(path, source, chunk_rows, columns=mapping, sheet=sheet)
        summary.ignored_columns, summary.encoding = layout.ignored, layout.encoding
        summary.columns = dict(layout.mapping)
        summary.layout = layout.national.title_zh if layout.national else None
        units = {**profile_units, **layout.units}
        factors = column_factors(source, units, layout.unit_line, path.name)
        summary.units = {c: units.get(c) or str(layout.unit_line) for c in factors}
        headers = {canonical: header for header, canonical in layout.mapping.items()}
        if not dry_run:
            writer = BatchWriter(source.name, summary.batch_id, home, n_buckets)
        duplicates = DuplicateTracker()
        quality = _Quality(source)
        # Parsing the next block and writing the last one release the GIL: on two cores they run
        # beside validation instead of after it. Writes stay in order (one writer thread).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write") as write_pool:
            pending: Future[None] | None = None
            for chunk in prefetch(chunks):
                result = validate_chunk(source, chunk, received_on, duplicates, headers, factors)
                table = _with_lineage(result.loaded, summary.batch_id, result.loaded_rows, loaded_at)
                quarantined = result.quarantined.assign(batch_id=summary.batch_id, file=path.name)
                summary.skipped.extend({"row": row, "reason": why} for row, why in chunk.skipped)
                if pending is not None:
                    pending.result()
                if writer is not None:
                    pending = write_pool.submit(_write, writer, table, quarantined)
                else:
                    _sample(summary, table, quarantined)
                quality.add(result, result.loaded.select(_timeliness_columns(source)).to_pandas())
                rows_read += result.rows_in + len(chunk.skipped)
                if progress is not None:
                    progress(rows_read)
            if pending is not None:
                pending.result()
    except RejectedFile as exc:
        if writer is not None:
            writer.abort()
        summary.message = str(exc)
        summary.suggestions = exc.suggestions
        return summary
    except BaseException:
        if writer is not None:
            writer.abort()
        raise

    summary.ignored_sheets = layout.ignored_sheets
    report = quality.report()
    summary.status = "dry_run" if writer is None else "loaded"
    summary.rows_in, summary.rows_loaded = report["rows_in"], report["rows_loaded"]
    summary.rows_quarantined, summary.reasons = report["rows_quarantined"], report["reasons"]
    summary.rows_skipped = len(summary.skipped)
    summary.loaded_at = loaded_at.isoformat()
    summary.quality = report
    summary.message = (
        f"{path.name}: {summary.rows_loaded:,} of {summary.rows_in:,} rows "
        + ("would load, " if writer is None else "loaded, ")
        + f"{summary.rows_quarantined:,} "
        + ("would be quarantined" if writer is None else "quarantined")
        + (f", {summary.rows_skipped:,} skipped (totals, notes)" if summary.rows_skipped else "")
        + ("; nothing was committed (dry run)" if writer is None else "")
    )
    if writer is not None:
        writer.commit(asdict(summary))
    return summary


def _sample(summary: BatchSummary, table: pa.Table, quarantined: pd.DataFrame) -> None:
    """Keep a dry run's first valid rows (as text) and first quarantined rows with their reasons."""
    wanted = PREVIEW_ROWS - len(summary.preview)
    if wanted > 0 and table.num_rows:
        head = table.slice(0, wanted).drop_columns(["batch_id", "loaded_at"]).to_pylist()
        summary.preview.extend({k: _as_text(v) for k, v in row.items()} for row in head)
    wanted = QUARANTINE_SAMPLE_ROWS - len(summary.quarantine_sample)
    if wanted > 0 and len(quarantined):
        columns = ["row_number", "reason_code", "reason", "raw"]
        summary.quarantine_sample.extend(quarantined[columns].head(wanted).to_dict("records"))


def _as_text(value: object) -> str | None:
    """A loaded value as a person reads it: days without their midnight."""
    if isinstance(value, datetime) and value == datetime.combine(value.date(), datetime.min.time()):
        return value.date().isoformat()
    return None if value is None else str(value)


def _write(writer: BatchWriter, table: pa.Table, quarantined: pd.DataFrame) -> None:
    writer.write(table)
    writer.quarantine(quarantined)


def _timeliness_columns(source: Source) -> list[str]:
    own = {"monthly": "period", "quarterly": "period", "yearly": "year"}.get(source.grain)
    return ["reported_on", own or str(source.period_column)]


def _with_lineage(table: pa.Table, batch_id: str, rows: np.ndarray, loaded_at: datetime) -> pa.Table:
    n = table.num_rows
    return (
        table.append_column("batch_id", pa.repeat(pa.scalar(batch_id, pa.string()), n))
        .append_column("row_number", pa.array(rows, pa.int64()))
        .append_column("loaded_at", pa.repeat(pa.scalar(loaded_at, pa.timestamp("us")), n))
    )


def ingest_files(
    source_name: str,
    paths: list[Path],
    home: Path,
    received_on: date | None = None,
    buckets: int = 64,
    chunk_rows: int = 200_000,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
    profile: Profile | None = None,
    dry_run: bool = False,
) -> IngestReport:
    """Ingest several files of one source, each as its own batch (files of a folder, sorted).

    A folder contributes the files of a known type (CSV, Parquet, Excel) directly inside it; its
    subfolders and other files are listed in ``not_ingested`` with the reason, never read.
    """
    files: list[Path] = []
    not_ingested: list[dict[str, str]] = []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(path)
            continue
        for entry in sorted(path.iterdir()):
            if entry.is_dir():
                not_ingested.append(
                    {"path": str(entry), "reason": "a subfolder; folders are not read recursively"}
                )
            elif entry.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(entry)
            else:
                not_ingested.append(
                    {"path": str(entry), "reason": f"not a data file ({entry.suffix or 'no extension'})"}
                )
    summaries = [
        ingest_file(
            source_name,
            f,
            home,
            received_on,
            buckets,
            chunk_rows,
            columns=columns,
            sheet=sheet,
            profile=profile,
            dry_run=dry_run,
        )
        for f in files
    ]
    return IngestReport(summaries, not_ingested)
