"""CSV exports: every one goes through ``csv_response``, so none can carry a live spreadsheet formula.

Names and texts in exports come from ingested files. A cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is read as a formula by Excel, WPS and LibreOffice
(``=HYPERLINK("http://…","y")`` becomes a live link), so such text cells get a leading apostrophe,
as the OWASP CSV-injection guidance advises. Numbers stay numbers: a negative contribution is not
a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from starlette.responses import StreamingResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` as a spreadsheet will read it as plain text: a formula-like text is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield the CSV text of ``header`` and ``rows`` line by line (UTF-8 BOM first, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """Return the whole CSV as bytes, for exports that are hashed and recorded before they are sent."""
    return "".join(csv_lines(header, rows)).encode("utf-8")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> StreamingResponse:
    """Return a streamed CSV download of ``rows`` under ``filename`` (never cached)."""
    return StreamingResponse(
        csv_lines(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
