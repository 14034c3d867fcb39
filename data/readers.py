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
import itertools
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.contracts import Source
from data.errors import RejectedFile
from data.national import NATURAL_PERSON, NationalLayout, convert_chunk, detect, signature_matches
from data.units import split_unit

SAMPLE_BYTES = 4 << 20
# Reason codes of rows the reader cannot hand to validation (validation has the others).
MALFORMED = "malformed_row"
BAD_ENCODING = "bad_encoding"


@dataclass
class RawChunk:
    """A slice of a file: text (or typed-number) columns by canonical name, row numbers, bad lines."""

    columns: dict[str, pa.Array]
    row_numbers: np.ndarray
    malformed: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, text, why, code)
    # rows a reader already knows are not records of the source: (row indexes, reason code, message)
    faults: list[tuple[np.ndarray, str, str]] = field(default_factory=list)
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
    headers: list[str] = field(default_factory=list)  # every header cell, in file order
    national: NationalLayout | None = None  # a national export layout recognised by its headers
    ignored_sheets: list[str] = field(default_factory=list)  # sheets with no header of the source


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
        unit = split_unit(header.rsplit("/", 1)[-1])[1] or split_unit(header)[1]
        canonical = _match(header, manual, lookup)
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
    return FileLayout(mapping, ignored, units=units, headers=list(headers))


def layout_of(source: Source, headers: list[str], columns: Mapping[str, str] | None = None) -> FileLayout:
    """The layout of a file: a national export layout if its headers are one, else the mapping."""
    national = None if columns else detect(source.name, headers)
    if national is None:
        return map_header(source, headers, columns)
    named = [h for h in headers if h.strip()]
    return FileLayout({h: h for h in named}, [], headers=list(headers), national=national)


def national_chunks(layout: FileLayout, chunks: Iterator[RawChunk]) -> Iterator[RawChunk]:
    """Map each chunk of a national layout into contract columns; natural persons become faults."""
    if layout.national is None:
        yield from chunks
        return
    for chunk in chunks:
        columns, persons = convert_chunk(layout.national, chunk.columns)
        faults = list(chunk.faults)
        if persons.any():
            faults.append(
                (
                    np.flatnonzero(persons),
                    NATURAL_PERSON,
                    "the subject is a natural person, not an enterprise; personal records are not loaded",
                )
            )
        yield RawChunk(columns, chunk.row_numbers, chunk.malformed, faults=faults, skipped=chunk.skipped)


def _match(header: str, manual: Mapping[str, str], lookup: Mapping[str, str]) -> str | None:
    """The column a header names: by hand first, then by alias; with or without its unit, and for
    a flattened two-row header (``增值税/销售额``) as one name or by its lower part."""
    forms = [header, split_unit(header)[0]]
    if "/" in header:
        joined = header.replace("/", "")
        child = header.rsplit("/", 1)[-1]
        forms += [joined, split_unit(joined)[0], child, split_unit(child)[0]]
    for table in (manual, lookup):
        for form in forms:
            if found := table.get(_normalize_header(form)):
                return found
    return None


def detect_encoding(path: Path) -> str:
    """Return 'utf-8' (BOM or not) or 'gb18030' from the file's first bytes, or reject it.

    A few undecodable records do not decide the encoding (they are quarantined as
    ``bad_encoding``): a sample that is UTF-8 but for at most 1% of its lines stays UTF-8.
    """
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise RejectedFile(f"{path.name}: file is empty (no header row)")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample:
        raise RejectedFile(
            f"{path.name}: wrong encoding (looks like UTF-16 or binary); save it as UTF-8 or GB18030"
        )
    decoded = {
        encoding: codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
        for encoding in ("utf-8", "gb18030")
    }
    bad = {encoding: text.count("\ufffd") for encoding, text in decoded.items()}
    tolerated = max(3, sample.count(b"\n") // 100)
    if bad["utf-8"] == 0:
        return "utf-8"
    header = sample.split(b"\n", 1)[0]
    if not _decodes(header, "utf-8") and _decodes(header, "gb18030"):
        return "gb18030"  # the header decides: an export whose only Chinese is its header is not UTF-8
    non_ascii = sum(1 for ch in decoded["utf-8"] if ord(ch) > 0x7F) - bad["utf-8"]
    if bad["utf-8"] <= tolerated and non_ascii >= bad["utf-8"]:
        return "utf-8"
    if bad["gb18030"] <= tolerated:
        return "gb18030"
    if bad["utf-8"] <= tolerated:
        return "utf-8"
    raise RejectedFile(f"{path.name}: wrong encoding; it is neither UTF-8 nor GB18030/GBK")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


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


def _record_ends(block: bytes) -> np.ndarray:
    """Return the offsets of the line breaks that end a record (outside quotes), RFC 4180.

    A quote toggles the quoted state and a doubled quote toggles it twice, so a line break ends a
    record exactly when an even number of quotes precede it in the block. Splitting on the
    newline byte is safe in UTF-8 and GB18030: neither uses 0x0A inside a multi-byte character.
    """
    view = np.frombuffer(block, dtype=np.uint8)
    breaks = np.flatnonzero(view == 0x0A)
    if block.find(b'"') < 0:
        return breaks
    quotes = np.flatnonzero(view == 0x22)
    return breaks[np.searchsorted(quotes, breaks) % 2 == 0]


def _record_blocks(path: Path, offset: int, block_bytes: int) -> Iterator[bytes]:
    """Yield the file from ``offset`` in blocks that end at a record's end (the last may not).

    A quoted field holding line breaks stays in one block, so it parses as one record.
    """
    with path.open("rb") as handle:
        handle.seek(offset)
        carry = b""
        while block := handle.read(block_bytes):
            block = carry + block
            if block.find(b'"') < 0:
                cut = block.rfind(b"\n") + 1
            else:
                ends = _record_ends(block)
                cut = int(ends[-1]) + 1 if len(ends) else 0
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut]
        if carry:
            yield carry


def _escaped(raw: bytes, encoding: str) -> str:
    """Show a record's bytes with the undecodable ones escaped (\\xNN), the rest as text."""
    return raw.rstrip(b"\r\n").decode(encoding, errors="backslashreplace")


def iter_csv(
    path: Path, source: Source, chunk_bytes: int = 64 << 20, columns: Mapping[str, str] | None = None
) -> tuple[FileLayout, Iterator[RawChunk]]:
    """Open a CSV and return its layout and a stream of chunks (memory bounded by one block).

    The file is cut into record-aligned blocks and each is parsed on its own (multithreaded), so
    memory does not grow with the file and every record keeps its data-row number, however many
    lines its quoted fields span. A record whose bytes do not decode is quarantined as
    ``bad_encoding`` with its bytes shown escaped; the rest of its block loads.
    """
    import pyarrow.csv as pacsv

    encoding = detect_encoding(path)
    headers, header_bytes = _csv_header(path, encoding)
    layout = layout_of(source, headers, columns)
    layout.encoding = encoding
    named = [h for h in headers if h.strip()]
    if len(set(named)) != len(named):
        raise RejectedFile(f"{path.name}: the header repeats a column name")
    names = [f"c{i}" for i in range(len(headers))]
    positions = {h: i for i, h in enumerate(headers) if h.strip()}

    def read(block: bytes, use_threads: bool, multiline: bool) -> tuple[pa.Table, list[pacsv.InvalidRow]]:
        invalid: list[pacsv.InvalidRow] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            invalid.append(row)
            return "skip"

        table = pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(
                encoding=encoding, column_names=names, block_size=16 << 20, use_threads=use_threads
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False, newlines_in_values=multiline
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid

    def undecodable(block: bytes, ends: np.ndarray) -> tuple[bytes, list[int], list[bytes]]:
        """Split the records that do not decode out of a block: (the rest, their indexes, bytes)."""
        starts = np.concatenate([[0], ends + 1])
        stops = np.concatenate([ends + 1, [len(block)]])
        kept: list[bytes] = []
        bad_index: list[int] = []
        bad_bytes: list[bytes] = []
        for index, (start, stop) in enumerate(zip(starts.tolist(), stops.tolist(), strict=True)):
            record = block[start:stop]
            if not record:
                continue
            try:
                record.decode(encoding)
            except UnicodeDecodeError:
                bad_index.append(index)
                bad_bytes.append(record)
                continue
            kept.append(record)
        return b"".join(kept), bad_index, bad_bytes

    def parse(block: bytes, first_row: int) -> RawChunk:
        breaks = block.count(b"\n")
        # without a quote every line break ends a record: no need to look for them one by one
        ends = _record_ends(block) if block.find(b'"') >= 0 else None
        records = (breaks if ends is None else len(ends)) + (0 if block.endswith(b"\n") else 1)
        multiline = ends is not None and breaks != len(ends)
        numbers = np.arange(first_row, first_row + records, dtype=np.int64)
        malformed: list[tuple[int, str, str, str]] = []
        try:
            table, invalid = read(block, use_threads=True, multiline=multiline)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if (
                "UTF8" not in str(exc)
                and not isinstance(exc, UnicodeDecodeError)
                and "decode" not in str(exc)
            ):
                raise
            block, bad_index, bad_bytes = undecodable(block, _record_ends(block) if ends is None else ends)
            malformed = [
                (
                    first_row + i,
                    _escaped(raw, encoding),
                    f"bytes that are not {encoding}: {_escaped(raw, encoding)[:160]}",
                    BAD_ENCODING,
                )
                for i, raw in zip(bad_index, bad_bytes, strict=True)
            ]
            numbers = np.delete(numbers, bad_index)
            table, invalid = read(block, use_threads=True, multiline=multiline)
        if invalid:  # rare: parse the block again on one thread, which numbers the bad lines
            table, invalid = read(block, use_threads=False, multiline=multiline)
        shape = [
            (
                int(numbers[int(row.number) - 1]),
                row.text or "",
                "empty row"
                if not (row.text or "").strip()
                else f"expected {row.expected_columns} fields, found {row.actual_columns}",
                MALFORMED,
            )
            for row in invalid
        ]
        if shape:
            numbers = numbers[~np.isin(numbers, [m[0] for m in shape])]
        if len(numbers) != table.num_rows:
            raise RejectedFile(
                f"{path.name}: rows {first_row}-{first_row + records - 1} could not be split into records "
                f"({table.num_rows} parsed from {records}); check for an unclosed quote"
            )
        columns = {
            canonical: table.column(positions[header]).combine_chunks()
            for header, canonical in layout.mapping.items()
        }
        return RawChunk(columns, numbers, sorted(malformed + shape))

    def chunks() -> Iterator[RawChunk]:
        first_row = 1
        for block in _record_blocks(path, header_bytes, chunk_bytes):
            try:
                chunk = parse(block, first_row)
            except pa.ArrowInvalid as exc:
                raise RejectedFile(
                    f"{path.name}: cannot be parsed as CSV near row {first_row}: {exc}"
                ) from exc
            first_row += len(chunk) + len(chunk.malformed)
            yield chunk

    return layout, national_chunks(layout, chunks())


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
    """Open an .xlsx/.xls workbook and stream the records of every sheet (or of ``sheet``).

    The workbook is checked against the memory bound first (``data.excel.check_xlsx``). Each
    sheet's header is found below its titles; sheets without a header of this source are listed
    in ``ignored_sheets``. The first data sheet's layout is the file's; a later sheet must map
    the same columns (in any order).
    """
    from python_calamine import CalamineWorkbook

    from data.excel import HEADER_SCAN_ROWS, check_xlsx, find_header, iter_sheet_rows

    if path.suffix.lower() != ".xls":
        check_xlsx(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = [m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    except Exception as exc:  # calamine raises its own error types for unreadable workbooks
        raise RejectedFile(f"{path.name}: not a readable Excel workbook: {exc}") from exc
    if sheet is not None:
        if sheet not in names:
            raise RejectedFile(f"{path.name}: no sheet {sheet!r}; its sheets are {', '.join(names)}")
        names = [sheet]
    lookup = _header_lookup(source)
    manual = {_normalize_header(h): c for h, c in (columns or {}).items()}

    def score(headers: list[str]) -> int:
        mapped = len({c for h in headers if (c := _match(h, manual, lookup))})
        return mapped + signature_matches(source.name, headers)

    def open_sheet(name: str) -> tuple[FileLayout, Iterator[Sequence[object]], int] | None:
        try:
            data = book.get_sheet_by_name(name)
        except Exception as exc:
            raise RejectedFile(f"{path.name}: sheet {name!r} cannot be read: {exc}") from exc
        rows = data.iter_rows()
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
        start_col = (data.start or (0, 0))[1]
        merged = [
            ((r0, c0 - start_col), (r1, c1 - start_col))
            for (r0, c0), (r1, c1) in (data.merged_cell_ranges or [])
        ]
        found = find_header(head, score, merged)
        if found is None or (len(names) > 1 and not score(found.headers)):
            return None
        layout = layout_of(source, found.headers, columns)
        layout.unit_line = found.unit_line
        return layout, itertools.chain(head[found.first_data_index :], rows), found.first_data_index

    first: tuple[FileLayout, Iterator[Sequence[object]], int] | None = None
    ignored_sheets: list[str] = []
    for position, name in enumerate(names):
        first = open_sheet(name)
        if first is not None:
            names = names[position:]
            break
        ignored_sheets.append(name)
    if first is None:
        raise RejectedFile(
            f"{path.name}: no sheet has a header row of {source.name} (sheets: {', '.join(names)})"
        )
    layout = first[0]
    layout.ignored_sheets = ignored_sheets

    def sheet_chunks(
        sheet_layout: FileLayout, rows: Iterator[Sequence[object]], first_index: int, name: str
    ) -> Iterator[RawChunk]:
        headers = list(sheet_layout.mapping)
        where = f"sheet {name} " if len(names) > 1 else ""
        if sorted(sheet_layout.mapping.values()) != sorted(layout.mapping.values()):
            raise RejectedFile(
                f"{path.name}: sheet {name!r} maps {', '.join(sorted(sheet_layout.mapping.values()))}, "
                f"the first sheet {', '.join(sorted(layout.mapping.values()))}; ingest them with --sheet"
            )
        all_headers = _sheet_header_positions(sheet_layout)
        code_positions = {all_headers[h] for h in headers if sheet_layout.mapping[h] == "credit_code"}
        buffer: list[list[str]] = []
        numbers: list[int] = []
        skipped: list[tuple[int, str]] = []
        for number, texts, reason in iter_sheet_rows(rows, first_index, code_positions):
            if texts is None:
                skipped.append((number, f"{where}{reason}"))
                continue
            buffer.append(texts)
            numbers.append(number)
            if len(buffer) == chunk_rows:
                yield _excel_chunk(buffer, sheet_layout, all_headers, numbers, skipped)
                buffer, numbers, skipped = [], [], []
        if buffer or skipped:
            yield _excel_chunk(buffer, sheet_layout, all_headers, numbers, skipped)

    def chunks() -> Iterator[RawChunk]:
        assert first is not None
        yield from sheet_chunks(first[0], first[1], first[2], names[0])
        for name in names[1:]:
            opened = open_sheet(name)
            if opened is None:
                layout.ignored_sheets.append(name)
                continue
            yield from sheet_chunks(opened[0], opened[1], opened[2], name)

    return layout, national_chunks(layout, chunks())


def _sheet_header_positions(layout: FileLayout) -> dict[str, int]:
    return {h: i for i, h in enumerate(layout.headers)}


def _excel_chunk(
    rows: Sequence[Sequence[str]],
    layout: FileLayout,
    positions: dict[str, int],
    numbers: list[int],
    skipped: list[tuple[int, str]],
) -> RawChunk:
    columns = {
        canonical: pa.array([r[positions[h]] if positions[h] < len(r) else "" for r in rows], pa.string())
        for h, canonical in layout.mapping.items()
    }
    return RawChunk(columns, np.asarray(numbers, dtype=np.int64), skipped=skipped)


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
