"""Excel workbooks as offices make them: checked before they are opened, read below their titles.

A workbook is checked first (issue 21): an .xlsx is a zip of XML, and calamine allocates the whole
rectangle a sheet spans, so a 1.5 KB file with cells A1 and XFD1048576 asks for 512 GiB and a 4 MB
zip can expand to 1 GB of XML. The declared dimension, every cell reference and the uncompressed
size of each part are checked against fixed bounds, by streaming the XML, before calamine sees it.

Then each sheet's header row is found below title rows, unit lines (``单位：万元``) and blank rows;
a two-row header (``增值税`` merged over ``销售额 | 应纳税额``) is flattened; rows below it that are
no records — 合计/小计/总计, footnotes (制表人, 审核人, 制表日期, 注：, 说明：) and blank rows — are
skipped with their row number and reason. Row numbers are the sheet's own (row 1 is the top row).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from data.errors import RejectedFile
from data.units import unit_line

MAX_SHEET_CELLS = 20_000_000  # calamine holds ~32 bytes a cell: a sheet stays under ~640 MiB
MAX_PART_BYTES = 256 << 20  # uncompressed XML of one sheet or of the shared strings
HEADER_SCAN_ROWS = 30
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Z]{1,3})?([0-9]{1,7})?:?([A-Z]{1,3})?([0-9]{1,7})?\""
)
TOTAL_WORDS = ("合计", "小计", "总计", "累计")
FOOTNOTE_PREFIXES = (
    "制表人",
    "制表日期",
    "制表单位",
    "填表人",
    "填报人",
    "审核人",
    "复核人",
    "负责人",
    "单位负责人",
    "经办人",
    "注:",
    "注1",
    "备注:",
    "说明:",
    "数据来源:",
)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_xlsx(path: Path) -> None:
    """Reject an .xlsx whose sheets would not fit the memory bound, before calamine reads it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise RejectedFile(f"{path.name}: not a readable Excel workbook ({exc})") from exc
    with archive:
        for info in archive.infolist():
            name = info.filename
            is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if not (is_sheet or name == "xl/sharedStrings.xml"):
                continue
            if info.file_size > MAX_PART_BYTES:
                raise RejectedFile(
                    f"{path.name}: {name} expands to {info.file_size / 2**20:,.0f} MiB of XML, over the "
                    f"limit of {MAX_PART_BYTES >> 20} MiB; split the workbook or export CSV"
                )
            if is_sheet:
                _check_sheet_extent(path, archive, info)


def _check_sheet_extent(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Stream one sheet's XML and bound the rectangle its dimension and cells span."""
    max_row = max_col = 0
    read = 0
    with archive.open(info) as part:
        tail = b""
        while block := part.read(1 << 20):
            read += len(block)
            if read > MAX_PART_BYTES:  # the declared size lied
                raise RejectedFile(f"{path.name}: {info.filename} expands past {MAX_PART_BYTES >> 20} MiB")
            text = tail + block
            if max_row == 0 and (dimension := _DIMENSION.search(text)):
                for letters, digits in ((dimension[1], dimension[2]), (dimension[3], dimension[4])):
                    if letters:
                        max_col = max(max_col, _column_number(letters))
                    if digits:
                        max_row = max(max_row, int(digits))
            for match in _CELL_REF.finditer(text):
                max_col = max(max_col, _column_number(match[1]))
                max_row = max(max_row, int(match[2]))
            cut = text.rfind(b"<")
            tail = text[cut:] if cut >= 0 and len(text) - cut < 512 else b""
    if max_row * max_col > MAX_SHEET_CELLS:
        raise RejectedFile(
            f"{path.name}: {info.filename} spans {max_row:,} rows × {max_col:,} columns "
            f"({max_row * max_col:,} cells), over the limit of {MAX_SHEET_CELLS:,}; "
            "delete the stray far-away cells or export CSV"
        )


def cell_text(value: object, code_column: bool = False) -> str:
    """Spell a typed cell as a CSV would: dates ISO, whole floats without '.0', booleans 1/0.

    A number in a credit-code column is a code the spreadsheet turned into a number: it is written
    the way Excel shows it (``9.11201E+17``) so validation can say what happened to it.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | int):
        if code_column and abs(value) >= 1e15:
            return f"{value:.5E}".replace("E+0", "E+")
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return str(value)
    return str(value)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def skip_reason(texts: Sequence[str]) -> str | None:
    """Why a row below the header is no record (blank, a total, a footnote), or None if it is one."""
    filled = [_squeezed(t) for t in texts if t.strip()]
    if not filled:
        return "blank row"
    if any(cell in TOTAL_WORDS or cell.rstrip(":") in TOTAL_WORDS for cell in filled[:3]):
        word = next(c for c in filled[:3] if c.rstrip(":") in TOTAL_WORDS)
        return f"a {word.rstrip(':')} row (totals are not records)"
    first = filled[0]
    for prefix in FOOTNOTE_PREFIXES:
        if first.startswith(prefix):
            return f"a footnote ({first[:20]})"
    return None


@dataclass
class SheetHeader:
    """Where a sheet's records begin and what its header says."""

    headers: list[str]
    first_data_index: int  # 0-based index of the first row below the header
    unit_line: str | None


def find_header(
    rows: Sequence[Sequence[object]],
    score: Callable[[list[str]], int],
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
) -> SheetHeader | None:
    """Return the header among the first rows: the row (or two-row header) most columns match.

    ``score`` counts the headers of a candidate that map to contract columns. Rows above it may
    be titles, unit lines or blank; a unit line's unit is returned with the header.
    """
    texts = [[cell_text(c).strip() for c in row] for row in rows[:HEADER_SCAN_ROWS]]
    best: tuple[int, int, list[str], int] | None = None  # (score, -index, headers, rows used)
    for index, row in enumerate(texts):
        if not any(row):
            continue
        candidates = [(row, 1)]
        if index + 1 < len(texts) and _is_subheader(texts[index + 1], row):
            candidates.append((_flatten(row, texts[index + 1], index, merged), 2))
        for headers, used in candidates:
            value = score(headers)
            if value and (best is None or (value, -index) > (best[0], best[1])):
                best = (value, -index, headers, used)
    if best is None:
        first = next((i for i, r in enumerate(texts) if any(r)), None)
        if first is None:
            return None
        return SheetHeader(texts[first], first + 1, None)  # mapping will say what is missing
    index = -best[1]
    unit = next((u for row in texts[:index] for cell in row if cell and (u := unit_line(cell))), None)
    return SheetHeader(best[2], index + best[3], unit)


def _is_subheader(below: list[str], header: list[str]) -> bool:
    """A row of text under a header, filling cells the header leaves empty (merged over it)."""
    filled = [i for i, t in enumerate(below) if t]
    if not filled or skip_reason(below) is not None:
        return False
    if any(_looks_like_value(below[i]) for i in filled):
        return False
    return any(i >= len(header) or not header[i] for i in filled) or len(filled) < len(
        [t for t in header if t]
    )


def _looks_like_value(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.\s]+%?|\d{4}[-/.年]\d{1,2}.*|[0-9A-Za-z]{15,18}", text))


def _flatten(
    top: list[str],
    below: list[str],
    top_index: int,
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]],
) -> list[str]:
    """Join a two-row header: ``增值税`` over ``销售额`` reads ``增值税/销售额``."""
    width = max(len(top), len(below))
    parents = [top[i] if i < len(top) else "" for i in range(width)]
    spans = {
        col: start_col
        for (row0, start_col), (row1, end_col) in merged
        if row0 <= top_index <= row1
        for col in range(start_col, end_col + 1)
    }
    last = ""
    for i in range(width):
        if parents[i]:
            last = parents[i]
        elif i in spans and spans[i] < len(top) and top[spans[i]]:
            parents[i] = top[spans[i]]
        elif i < len(below) and below[i] and last and not merged:
            parents[i] = last  # no merge information (.xls, CSV-like sheets): the parent spans right
    flattened = []
    for i in range(width):
        child = below[i] if i < len(below) else ""
        flattened.append(f"{parents[i]}/{child}" if parents[i] and child else parents[i] or child)
    return flattened


def iter_sheet_rows(
    rows: Iterator[Sequence[object]], first_index: int, code_positions: set[int]
) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Yield (sheet row number, texts or None, skip reason or None) for each row below the header."""
    for index, row in enumerate(rows, start=first_index):
        texts = [cell_text(v, i in code_positions) for i, v in enumerate(row)]
        reason = skip_reason(texts)
        yield index + 1, (None if reason else texts), reason
