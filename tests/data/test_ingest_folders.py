"""A folder is read for its data files only, and says what it did not read (issue 21)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from data.ingest import ingest_files

CORPUS = Path(__file__).parent / "corpus"


def test_a_folder_is_read_for_its_data_files_only(tmp_path: Path) -> None:
    """Regression (issue 21): notes.txt was read as CSV and subfolders were skipped silently."""
    folder = tmp_path / "drop"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "more.csv").write_text("credit_code,period\n", encoding="utf-8")
    (folder / "notes.txt").write_text("sent by the tax bureau on Monday\n", encoding="utf-8")
    (folder / "tax.csv").write_text(
        (CORPUS / "tax_utf8_ok.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    report = ingest_files("tax", [folder], tmp_path / "home", received_on=date(2026, 11, 28))
    assert [Path(b.file).name for b in report.batches] == ["tax.csv"]
    assert report.rejected == []
    assert {Path(n["path"]).name: n["reason"] for n in report.not_ingested} == {
        "2024": "a subfolder; folders are not read recursively",
        "notes.txt": "not a data file (.txt)",
    }
