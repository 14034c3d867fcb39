"""CSV files in UTF-8 or GB18030, cut into record-aligned blocks and parsed block by block.

Every value is read as text; rows the parser cannot split, or whose bytes do not decode, come
out as malformed rows with their data-row number so they are quarantined, not lost.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from data.contracts import Source
from data.errors import RejectedFile
from data.layout import BAD_ENCODING, MALFORMED, FileLayout, RawChunk, layout_of, national_chunks

SAMPLE_BYTES = 4 << 20


def detect_encoding(path: Path) -> str:
    """Return 'utf-8' (BOM or not) or 'gb18030' from the file's first bytes, or reject it.

    A header (or title) row with non-ASCII bytes decides: Chinese column names are in the file's
    encoding, and GBK byte pairs can pass as UTF-8 further down (约 is a valid UTF-8 pair). Else a
    few undecodable records do not decide the encoding (they are quarantined as ``bad_encoding``):
    a sample that is UTF-8 but for at most 1% of its lines stays UTF-8.
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
    first_line = sample.lstrip(codecs.BOM_UTF8).split(b"\n", 1)[0]
    if any(byte > 0x7F for byte in first_line):  # the header (or title) row decides, when it can
        for encoding in ("utf-8", "gb18030"):
            try:
                first_line.decode(encoding)
            except UnicodeDecodeError:
                continue
            return encoding
    bad = {encoding: text.count("\ufffd") for encoding, text in decoded.items()}
    tolerated = max(3, sample.count(b"\n") // 100)
    if bad["utf-8"] == 0:
        return "utf-8"
    non_ascii = sum(1 for ch in decoded["utf-8"] if ord(ch) > 0x7F) - bad["utf-8"]
    if bad["utf-8"] <= tolerated and non_ascii >= bad["utf-8"]:
        return "utf-8"
    if bad["gb18030"] <= tolerated:
        return "gb18030"
    if bad["utf-8"] <= tolerated:
        return "utf-8"
    raise RejectedFile(f"{path.name}: wrong encoding; it is neither UTF-8 nor GB18030/GBK")


def _csv_header(path: Path, encoding: str) -> tuple[list[str], int]:
    """Return the header's fields and its length in bytes (where the data rows begin)."""
    import csv

    with path.open("rb") as handle:
        raw = handle.readline()
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        raise RejectedFile(
            f"{path.name}: the header row is not {encoding} (byte {error.start} of it); "
            "save the file as UTF-8 or GB18030 throughout"
        ) from None
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
