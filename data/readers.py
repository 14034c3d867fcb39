"""Stream raw files (CSV in UTF-8/GB18030, Parquet, Excel) as chunks of text columns.

Every value is read as text so that validation, not the reader, decides what a value means:
nothing is coerced on the way in. One exception: a Parquet column the file already types as
integers or 64-bit floats, for a numeric contract column, stays numbers (spelling it out only for
validation to read it back cost a third of a Parquet ingest); validation applies the same checks.

Each chunk carries the data-row number (header excluded) of every row, and rows the parser could
not split (wrong number of fields) come out separately so they can be quarantined, not lost.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.contracts import Source
from data.errors import RejectedFile
from data.units import split_unit

SAMPLE_BYTES = 4 << 20


@dataclass
class RawChunk:
    """A slice of a file: text (or typed-number) columns by canonical name, row numbers, bad lines."""

    columns: dict[str, pa.Array]
    row_numbers: np.ndarray
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (row, text, why)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why): totals, footnotes

    def __len__(self) -> int:
        return len(self.row_numbers)


@dataclass
class FileLayout:
    """What the header told us: the column mapping and the columns we did not recognise."""

    mapping: dict[str, str]  # header as written -> canonical column name
    ignored: list[str]
    encoding: str | None = None
    units: dict[str, str] = field(default_factory=dict)  # canonical column -> unit the file writes
    unit_line: str | None = None  # the unit a line above the header declares (单位：万元)


def _normalize_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip()
    return text.lower().replace(" ", "").replace("_", "")


def _header_lookup(source: Source) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in source.columns:
        for name in (col.name, *col.aliases):
            lookup[_normalize_header(name)] = col.name
    return lookup


def suggest_columns(source: Source, headers: Sequence[str], taken: Sequence[str] = ()) -> dict[str, str]:
    """Return, for each header, the nearest contract column not yet taken (names and aliases).

    A header's unit in brackets is left out of the comparison; a match scoring under 60 (of 100)
    is no suggestion at all.
    """
    from rapidfuzz import fuzz, process

    lookup = {k: v for k, v in _header_lookup(source).items() if v not in set(taken)}
    suggestions: dict[str, str] = {}
    for header in headers:
        key = _normalize_header(split_unit(header)[0])
        if not key or not lookup:
            continue
        best = process.extractOne(key, list(lookup), scorer=fuzz.WRatio, score_cutoff=60)
        if best is not None:
            suggestions[header] = lookup[best[0]]
    return suggestions


def map_header(source: Source, headers: list[str], columns: Mapping[str, str] | None = None) -> FileLayout:
    """Map a file's headers onto the contract, or reject the file saying what is missing.

    ``columns`` maps headers by hand (header as written -> contract column) before the aliases
    are tried. Empty header cells (a trailing comma) are neither mapped nor reported. A header
    carrying a unit (``用电量（kWh）``) matches by its name; the unit goes into ``units``.
    """
    lookup = _header_lookup(source)
    manual = {_normalize_header(h): c for h, c in (columns or {}).items()}
    for header, column in (columns or {}).items():
        if column not in source.column_names:
            raise RejectedFile(
                f"--column {header}={column}: {source.name} has no column {column!r}; "
                f"its columns are {', '.join(source.column_names)}"
            )
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        if not header.strip():
            continue
        name, unit = split_unit(header)
        canonical = manual.get(_normalize_header(header)) or manual.get(_normalize_header(name))
        if canonical is None:
            canonical = lookup.get(_normalize_header(header)) or lookup.get(_normalize_header(name))
        if canonical is None:
            ignored.append(header)
        elif canonical in mapping.values():
            first = next(h for h, c in mapping.items() if c == canonical)
            raise RejectedFile(
                f"columns {first!r} and {header!r} both map to {canonical!r}; keep one of them"
            )
        else:
            mapping[header] = canonical
            if unit:
                units[canonical] = unit
    missing = [c.name for c in source.columns if c.required and c.name not in mapping.values()]
    if missing:
        suggestions = suggest_columns(source, ignored, taken=list(mapping.values()))
        hints = ", ".join(
            f"{m} ({'/'.join(source.column(m).aliases[:2])})" if source.column(m).aliases else m
            for m in missing
        )
        advice = (
            "; did you mean " + ", ".join(f"--column {h}={c}" for h, c in suggestions.items())
            if suggestions
            else ""
        )
        raise RejectedFile(
            f"{source.name}: missing required column(s) {hints}; "
            f"found {', '.join(h for h in headers if h.strip()) or 'none'}{advice}",
            suggestions,
        )
    return FileLayout(mapping, ignored, units=units)


def detect_encoding(path: Path) -> str:
    """Return 'utf-8' (BOM or not) or 'gb18030' from the file's first bytes, or reject it."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise RejectedFile(f"{path.name}: file is empty (no header row)")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample:
        raise RejectedFile(
            f"{path.name}: wrong encoding (looks like UTF-16 or binary); save it as UTF-8 or GB18030"
        )
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise RejectedFile(f"{path.name}: wrong encoding; it is neither UTF-8 nor GB18030/GBK")


def _csv_header(path: Path, encoding: str) -> tuple[list[str], int]:
    """Return the header's fields and its length in bytes (where the data rows begin)."""
    import csv

    with path.open("rb") as handle:
        raw = handle.readline()
    text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    first = next(csv.reader([text]), None)
    if not first or not any(field.strip() for field in first):
        raise RejectedFile(f"{path.name}: file is empty (no header row)")
    return first, len(raw)


def _line_blocks(path: Path, offset: int, block_bytes: int) -> Iterator[bytes]:
    """Yield the file from ``offset`` in blocks that end at a line break (the last may not).

    Splitting on the newline byte is safe in UTF-8 and GB18030: neither uses 0x0A inside a
    multi-byte character. A quoted field spanning lines is split too, and so quarantined as
    malformed rather than silently joined.
    """
    with path.open("rb") as handle:
        handle.seek(offset)
        carry = b""
        while block := handle.read(block_bytes):
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut]
        if carry:
            yield carry


def iter_csv(
    path: Path, source: Source, chunk_bytes: int = 64 << 20, columns: Mapping[str, str] | None = None
) -> tuple[FileLayout, Iterator[RawChunk]]:
    """Open a CSV and return its layout and a stream of chunks (memory bounded by one block).

    The file is cut into line-aligned blocks and each is parsed on its own (multithreaded), so
    memory does not grow with the file and every line keeps its data-row number.
    """
    import pyarrow.csv as pacsv

    encoding = detect_encoding(path)
    headers, header_bytes = _csv_header(path, encoding)
    layout = map_header(source, headers, columns)
    layout.encoding = encoding
    if len(set(headers)) != len(headers):
        raise RejectedFile(f"{path.name}: the header repeats a column name")
    names = [f"c{i}" for i in range(len(headers))]
    positions = {h: i for i, h in enumerate(headers)}

    def read(block: bytes, use_threads: bool) -> tuple[pa.Table, list[pacsv.InvalidRow]]:
        invalid: list[pacsv.InvalidRow] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            invalid.append(row)
            return "skip"

        table = pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(
                encoding=encoding, column_names=names, block_size=16 << 20, use_threads=use_threads
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid

    def parse(block: bytes, first_row: int) -> RawChunk:
        table, invalid = read(block, use_threads=True)
        if invalid:  # rare: parse the block again on one thread, which numbers the bad lines
            table, invalid = read(block, use_threads=False)
        malformed = [
            (
                first_row + int(row.number) - 1,
                row.text or "",
                "empty row"
                if not (row.text or "").strip()
                else f"expected {row.expected_columns} fields, found {row.actual_columns}",
            )
            for row in invalid
        ]
        lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        numbers = np.arange(first_row, first_row + lines, dtype=np.int64)
        if malformed:
            numbers = numbers[~np.isin(numbers, [m[0] for m in malformed])]
        if len(numbers) != table.num_rows:
            raise RejectedFile(
                f"{path.name}: rows {first_row}-{first_row + lines - 1} could not be split into lines "
                f"({table.num_rows} parsed from {lines} lines); check for quoted line breaks"
            )
        columns = {
            canonical: table.column(positions[header]).combine_chunks()
            for header, canonical in layout.mapping.items()
        }
        return RawChunk(columns, numbers, malformed)

    def chunks() -> Iterator[RawChunk]:
        first_row = 1
        for block in _line_blocks(path, header_bytes, chunk_bytes):
            try:
                chunk = parse(block, first_row)
            except pa.ArrowInvalid as exc:
                raise RejectedFile(
                    f"{path.name}: cannot be parsed as CSV near row {first_row}: {exc}"
                ) from exc
            first_row += len(chunk) + len(chunk.malformed)
            yield chunk

    return layout, chunks()


def is_typed_number(array: pa.Array) -> bool:
    """Whether a column holds numbers that read back exactly as their text would (not float32)."""
    return pa.types.is_integer(array.type) or pa.types.is_float64(array.type)


def as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Cast a typed column to text the way a CSV would spell it (nulls become empty text)."""
    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        text = pc.strftime(array, format="%Y-%m-%d")
    elif pa.types.is_boolean(array.type):
        text = pc.if_else(array, "1", "0")
    else:
        text = pc.cast(array, pa.string())
    return pc.fill_null(text, "")


def iter_parquet(
    path: Path, source: Source, chunk_rows: int, columns: Mapping[str, str] | None = None
) -> tuple[FileLayout, Iterator[RawChunk]]:
    """Open a Parquet file and return its layout and a stream of row-group-sized chunks."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise RejectedFile(f"{path.name}: not a readable Parquet file: {exc}") from exc
    layout = map_header(source, parquet.schema_arrow.names, columns)
    numeric = {c.name for c in source.columns if c.kind in {"int", "float"}}

    def chunks() -> Iterator[RawChunk]:
        next_row = 1
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=list(layout.mapping)):
            columns = {
                name: column if is_typed_number(column) and name in numeric else as_text(column)
                for name, column in ((layout.mapping[h], batch.column(h)) for h in layout.mapping)
            }
            yield RawChunk(columns, np.arange(next_row, next_row + batch.num_rows))
            next_row += batch.num_rows

    return layout, chunks()


def iter_excel(
    path: Path,
    source: Source,
    chunk_rows: int,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> tuple[FileLayout, Iterator[RawChunk]]:
    """Open the first sheet of an .xlsx workbook and stream its rows as text chunks."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet_data = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types for unreadable workbooks
        raise RejectedFile(f"{path.name}: not a readable Excel workbook: {exc}") from exc
    rows = sheet_data.iter_rows()
    headers = [str(h).strip() for h in next(rows, [])]
    if not any(headers):
        raise RejectedFile(f"{path.name}: file is empty (no header row)")
    layout = map_header(source, headers, columns)
    positions = {h: i for i, h in enumerate(headers)}

    def cell_text(value: object) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return "" if value is None else str(value)

    def chunks() -> Iterator[RawChunk]:
        next_row, buffer = 1, []
        for row in rows:
            buffer.append(row)
            if len(buffer) == chunk_rows:
                yield _excel_chunk(buffer, layout, positions, next_row, cell_text)
                next_row += len(buffer)
                buffer = []
        if buffer:
            yield _excel_chunk(buffer, layout, positions, next_row, cell_text)

    return layout, chunks()


def _excel_chunk(
    rows: Sequence[Sequence[object]],
    layout: FileLayout,
    positions: dict[str, int],
    first_row: int,
    cell_text: Callable[[object], str],
) -> RawChunk:
    columns = {
        canonical: pa.array(
            [cell_text(r[positions[h]]) if positions[h] < len(r) else "" for r in rows],
            pa.string(),
        )
        for h, canonical in layout.mapping.items()
    }
    return RawChunk(columns, np.arange(first_row, first_row + len(rows)))


def prefetch(chunks: Iterator[RawChunk]) -> Iterator[RawChunk]:
    """Yield ``chunks`` while a background thread already reads the next one (at most one ahead)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read") as pool:
        upcoming = pool.submit(next, chunks, None)
        while (chunk := upcoming.result()) is not None:
            upcoming = pool.submit(next, chunks, None)
            yield chunk


SUPPORTED_SUFFIXES = {".csv", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls"}


def open_raw(
    path: Path,
    source: Source,
    chunk_rows: int,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> tuple[FileLayout, Iterator[RawChunk]]:
    """Open any supported file by its extension and return its layout and chunk stream.

    ``columns`` maps headers by hand (header -> contract column); ``sheet`` names the one sheet
    of a workbook to read.
    """
    suffix = path.suffix.lower()
    if not path.exists():
        raise RejectedFile(f"{path}: no such file")
    if sheet is not None and suffix not in {".xlsx", ".xlsm", ".xls"}:
        raise RejectedFile(f"{path.name}: --sheet {sheet!r} applies to Excel workbooks only")
    if suffix == ".csv":
        # ~100 bytes a row is typical of these feeds; blocks bound the memory, not the rows.
        return iter_csv(path, source, chunk_bytes=max(1 << 20, chunk_rows * 100), columns=columns)
    if suffix in {".parquet", ".pq"}:
        return iter_parquet(path, source, chunk_rows, columns=columns)
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return iter_excel(path, source, chunk_rows, columns=columns, sheet=sheet)
    raise RejectedFile(
        f"{path.name}: unsupported file type {suffix or '(none)'!r}; use CSV, Parquet, .xlsx or .xls"
    )
