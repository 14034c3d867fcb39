"""Stream raw files (CSV in UTF-8/GB18030, Parquet, Excel) as chunks of text columns.

Every value is read as text so that validation, not the reader, decides what a value means:
nothing is coerced on the way in. One exception: a Parquet column the file already types as
integers or 64-bit floats, for a numeric contract column, stays numbers (spelling it out only for
validation to read it back cost a third of a Parquet ingest); validation applies the same checks.

Each chunk carries the data-row number (header excluded) of every row, and rows the parser could
not split (wrong number of fields) come out separately so they can be quarantined, not lost.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.contracts import Source
from data.csvfiles import iter_csv
from data.errors import RejectedFile
from data.layout import (
    FileLayout,
    RawChunk,
    header_lookup,
    layout_of,
    map_header,
    match_header,
    national_chunks,
    normalize_header,
)
from data.national import signature_matches


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
    lookup = header_lookup(source)
    manual = {normalize_header(h): c for h, c in (columns or {}).items()}

    def score(headers: list[str]) -> int:
        mapped = len({c for h in headers if (c := match_header(h, manual, lookup))})
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
