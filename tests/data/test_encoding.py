"""Which encoding a CSV is read in, decided from its first bytes (``data.csvfiles``).

The case that broke a 1,000,000-enterprise ingest: a GBK export whose only non-ASCII bytes below
the header are 约 ("about", D4 BC in GBK) — a valid UTF-8 pair, so the body alone looked like
UTF-8 with a few bad lines, and the GBK header then failed to decode with a traceback.
"""

from __future__ import annotations

from pathlib import Path

from data.csvfiles import detect_encoding
from data.ingest import ingest_file
from data.warehouse import read_source

HEADER = "统一社会信用代码,所属期,参保人数,缴费基数,应缴金额,实缴金额,欠费月数,报送日期"


def _rows(n: int, about_every: int) -> list[str]:
    insured = ["约300" if i % about_every == 0 else "12" for i in range(n)]
    return [f"91120116MA{i:06d}XY,2025-01,{v},1000.5,200.1,200.1,0,2025-02-24" for i, v in enumerate(insured)]


def test_a_gbk_header_decides_even_when_gbk_pairs_below_it_pass_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "2025.csv"
    path.write_bytes(("\n".join([HEADER, *_rows(5_000, 100)]) + "\n").encode("gb18030"))
    assert "约300".encode("gb18030").decode("utf-8")  # the trap: it decodes, as nonsense
    assert detect_encoding(path) == "gb18030"


def test_a_utf8_header_keeps_a_utf8_file_with_a_few_gbk_records(tmp_path: Path) -> None:
    body = "\n".join([HEADER, *_rows(500, 1_000_000)]).encode("utf-8")
    path = tmp_path / "mixed.csv"
    path.write_bytes(body + b"\n" + "91120116MA999999XY,2025-01,约3,1,1,1,0,2025-02-24\n".encode("gb18030"))
    assert detect_encoding(path) == "utf-8"


def test_an_undecodable_header_is_rejected_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    rows = "\n".join(_rows(10, 3)).encode("utf-8")
    path.write_bytes(b"\x81\x20" + HEADER.encode("utf-8") + b"\n" + rows + b"\n")
    summary = ingest_file("social_security", path, tmp_path / "home")
    assert summary.status == "rejected"
    assert "broken.csv: the header row is not utf-8" in summary.message
    assert "\n" not in summary.message


def test_the_gbk_export_loads_every_row_with_its_about_values_quarantined_or_read(tmp_path: Path) -> None:
    path = tmp_path / "2025.csv"
    path.write_bytes(("\n".join([HEADER, *_rows(300, 100)]) + "\n").encode("gb18030"))
    summary = ingest_file("social_security", path, tmp_path / "home")
    assert summary.status == "loaded", summary.message
    assert summary.rows_loaded + summary.rows_quarantined == 300
    assert len(read_source("social_security", tmp_path / "home")) == summary.rows_loaded
