"""Crafted workbooks are refused in one line, within a memory bound (issue 21).

Each runs the ingestion in a child process under an address-space limit: before the fix the first
made calamine allocate 512 GiB and abort the process (exit 134), the second grew it past 1.4 GB.
The workbooks are made here from a few lines of XML, not committed as binaries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

LIMIT_BYTES = 3 << 30  # a generous bound for the child; the fixed reader stays far below it

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)
SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_CLOSE = "</sheetData></worksheet>"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _workbook(path: Path, write_sheet) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            write_sheet(sheet)
    return path


def _ingest_in_a_bounded_child(path: Path, home: Path) -> dict:
    script = (
        "import json, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_BYTES}, {LIMIT_BYTES}))\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from data.ingest import ingest_file\n"
        "s = ingest_file('tax', Path(sys.argv[1]), Path(sys.argv[2]), received_on=date(2026, 11, 28))\n"
        "print(json.dumps({'status': s.status, 'message': s.message}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_far_away_cell_is_refused_before_calamine_allocates_the_rectangle(tmp_path: Path) -> None:
    def sheet(out) -> None:
        out.write(
            (
                SHEET_OPEN
                + '<row r="1">'
                + _cell("A1", "credit_code")
                + '</row><row r="2">'
                + _cell("A2", "x")
                + '</row><row r="1048576">'
                + _cell("XFD1048576", "y")
                + "</row>"
                + SHEET_CLOSE
            ).encode()
        )

    path = _workbook(tmp_path / "far.xlsx", sheet)
    assert path.stat().st_size < 2_000
    outcome = _ingest_in_a_bounded_child(path, tmp_path / "home")
    assert outcome["status"] == "rejected"
    assert "spans 1,048,576 rows × 16,384 columns" in outcome["message"]
    assert "\n" not in outcome["message"]


@pytest.mark.slow
def test_a_zip_that_expands_to_hundreds_of_megabytes_of_xml_is_refused_unread(tmp_path: Path) -> None:
    row = '<row r="{n}">' + _cell("A{n}", "9" * 200) + "</row>"
    block_rows = 4_000

    def sheet(out) -> None:
        out.write(SHEET_OPEN.encode())
        n = 1
        while n < 1_300_000:  # ~300 MiB of XML, a few MiB zipped
            out.write("".join(row.format(n=i) for i in range(n, n + block_rows)).encode())
            n += block_rows
        out.write(SHEET_CLOSE.encode())

    path = _workbook(tmp_path / "bomb.xlsx", sheet)
    with zipfile.ZipFile(path) as archive:
        expanded = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert path.stat().st_size < 20 << 20 and expanded > 256 << 20
    outcome = _ingest_in_a_bounded_child(path, tmp_path / "home")
    assert outcome["status"] == "rejected"
    assert "MiB of XML, over the limit of 256 MiB" in outcome["message"]
