"""The bad-input corpus: every file's exact outcome — loaded, quarantined with which reason, or
rejected with which message — and, for every file, loaded + quarantined = input rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.ingest import ingest_file
from data.warehouse import read_quarantine, read_source

CORPUS = Path(__file__).parent / "corpus"
RECEIVED_ON = date(2026, 11, 28)


@dataclass(frozen=True)
class Outcome:
    file: str
    status: str
    rows_in: int = 0
    loaded: int = 0
    quarantined: dict[int, str] = field(default_factory=dict)  # row number -> reason code
    message: str = ""  # a phrase the summary message or a quarantine reason must contain
    ignored: tuple[str, ...] = ()


OUTCOMES = [
    Outcome("tax_utf8_ok.csv", "loaded", 3, 3),
    Outcome("tax_utf8_bom_chinese_headers.csv", "loaded", 2, 2),
    Outcome("tax_gbk_chinese_headers.csv", "loaded", 2, 2),
    Outcome("tax_utf16.csv", "rejected", message="wrong encoding (looks like UTF-16"),
    Outcome(
        "tax_missing_column.csv", "rejected", message="missing required column(s) vat_payable (增值税应纳税额"
    ),
    Outcome("tax_extra_columns.csv", "loaded", 2, 2, ignored=("remark", "经办人")),
    Outcome(
        "tax_bad_codes.csv",
        "loaded",
        5,
        1,
        {2: "bad_credit_code", 3: "bad_credit_code", 4: "bad_credit_code", 5: "missing_value"},
        message="fails its check character at position 18: found 'X', expected '6'",
    ),
    Outcome(
        "tax_negative_amounts.csv",
        "loaded",
        4,
        1,
        {2: "negative_value", 3: "negative_value", 4: "negative_value"},
        message="vat_sales: -1000 is negative",
    ),
    Outcome(
        "tax_impossible_dates.csv",
        "loaded",
        5,
        1,
        {2: "invalid_date", 3: "invalid_date", 4: "invalid_date", 5: "invalid_date"},
        message="period: '2025-13' is not a valid month",
    ),
    Outcome(
        "tax_future_period.csv",
        "loaded",
        3,
        1,
        {2: "future_period", 3: "future_period"},
        message="period ends 2030-01-31, after the batch was received on 2026-11-28",
    ),
    Outcome(
        "tax_duplicate_keys.csv",
        "loaded",
        4,
        2,
        {3: "duplicate_key", 4: "duplicate_key"},
        message="duplicate key (credit_code, period) of row 1",
    ),
    Outcome(
        "tax_thousands_separators.csv",
        "loaded",
        4,
        2,
        {3: "unparseable_number", 4: "unparseable_number"},
        message="vat_sales: '1,23,4' is not a number",
    ),
    Outcome(
        "tax_fullwidth_digits.csv",
        "loaded",
        3,
        2,
        {3: "unparseable_number"},
        message="'12三' is not a number",
    ),
    Outcome("tax_empty.csv", "rejected", message="file is empty"),
    Outcome("tax_header_only.csv", "loaded", 0, 0),
    Outcome(
        "tax_truncated_last_line.csv",
        "loaded",
        3,
        2,
        {3: "malformed_row"},
        message="expected 9 fields, found 4",
    ),
    Outcome("tax_blank_line.csv", "loaded", 3, 2, {2: "empty_row"}),
    Outcome(
        "tax_unparseable_numbers.csv",
        "loaded",
        5,
        1,
        # N/A is an empty marker: a required amount written N/A is missing, not a bad number
        {2: "unparseable_number", 3: "missing_value", 4: "unparseable_number", 5: "unknown_value"},
        message="arrears_days: 1.5 is not a whole number",
    ),
    Outcome(
        "registry_mixed.csv",
        "loaded",
        7,
        3,
        {4: "unknown_value", 5: "inconsistent", 6: "invalid_date", 7: "invalid_date"},
        message="established_on: '2025-02-30' is not a valid date",
    ),
    Outcome(
        "credit_events_mixed.csv",
        "loaded",
        6,
        3,
        {4: "invalid_date", 5: "unknown_value", 6: "duplicate_key"},
        message="kind: 'bribery' is not one of",
    ),
]


def _source_of(file: str) -> str:
    return "credit_events" if file.startswith("credit_events") else file.split("_")[0]


def test_every_corpus_file_has_an_expected_outcome() -> None:
    assert {p.name for p in CORPUS.iterdir()} == {o.file for o in OUTCOMES}


@pytest.mark.parametrize("outcome", OUTCOMES, ids=lambda o: o.file)
def test_corpus_outcome(outcome: Outcome, tmp_path: Path) -> None:
    source = _source_of(outcome.file)
    summary = ingest_file(source, CORPUS / outcome.file, tmp_path, received_on=RECEIVED_ON)

    assert summary.status == outcome.status, summary.message
    if outcome.status == "rejected":
        assert outcome.message in summary.message
        assert read_source(source, tmp_path).empty
        return
    quarantine = read_quarantine(source, tmp_path)
    assert summary.rows_in == outcome.rows_in
    assert summary.rows_loaded == outcome.loaded == len(read_source(source, tmp_path))
    assert summary.rows_loaded + summary.rows_quarantined == summary.rows_in
    assert dict(zip(quarantine["row_number"], quarantine["reason_code"], strict=True)) == outcome.quarantined
    assert summary.reasons == dict(Counter(outcome.quarantined.values()))
    assert tuple(summary.ignored_columns) == outcome.ignored
    if outcome.message:
        assert quarantine["reason"].str.contains(outcome.message, regex=False).any(), quarantine[
            "reason"
        ].tolist()
    assert (quarantine["batch_id"] == summary.batch_id).all()
    assert (quarantine["file"] == outcome.file).all()


def test_quarantine_keeps_the_raw_row(tmp_path: Path) -> None:
    ingest_file("tax", CORPUS / "tax_gbk_chinese_headers.csv", tmp_path, received_on=RECEIVED_ON)
    ingest_file("tax", CORPUS / "tax_negative_amounts.csv", tmp_path, received_on=RECEIVED_ON)
    raw = read_quarantine("tax", tmp_path).set_index("row_number")["raw"]
    assert '"vat_sales": "-1000"' in raw[2]
    assert '"period": "2024-02"' in raw[2]


def test_a_gb18030_export_whose_rows_are_mostly_ascii_is_read_as_gb18030(tmp_path: Path) -> None:
    # Thousands of ASCII rows tolerate the header's undecodable UTF-8 bytes as "a few bad lines",
    # and some GB18030 characters (一: D2 BB) are valid UTF-8: the header must decide.
    header = (CORPUS / "tax_gbk_chinese_headers.csv").read_bytes().split(b"\n", 1)[0]
    months = [f"{y}-{m:02d}" for y in range(2000, 2024) for m in range(1, 13)]
    rows = "".join(f"91120116MA05T3K726,{p},1000.50,130.07,20,1,0,0,0\n" for p in months) * 20
    odd = "".join(f"91120116MA05T3K726,{p},1000.50,130.07,20,一,0,0,0\n" for p in months[:60])
    path = tmp_path / "tax.csv"
    path.write_bytes(header + b"\n" + rows.encode() + odd.encode("gb18030"))
    summary = ingest_file("tax", path, tmp_path / "home", received_on=RECEIVED_ON)
    assert (summary.status, summary.encoding) == ("loaded", "gb18030"), summary.message


def test_spellings_are_read_as_what_they_say(tmp_path: Path) -> None:
    ingest_file("tax", CORPUS / "tax_thousands_separators.csv", tmp_path, received_on=RECEIVED_ON)
    ingest_file("tax", CORPUS / "tax_fullwidth_digits.csv", tmp_path, received_on=RECEIVED_ON)
    loaded = read_source("tax", tmp_path).sort_values(["batch_id", "row_number"])
    assert sorted(loaded["vat_sales"]) == [123.0, 1000.5, 12345.0, 1234567.89]
    assert set(loaded["credit_code"]) == {"91120116MA05T3K726"}  # full-width code folded to ASCII


def test_reported_on_is_derived_from_the_reporting_lag_when_absent(tmp_path: Path) -> None:
    ingest_file("tax", CORPUS / "tax_utf8_ok.csv", tmp_path, received_on=RECEIVED_ON)
    loaded = read_source("tax", tmp_path)
    january = loaded[loaded["period"] == pd.Timestamp("2024-01-01")]
    assert set(january["reported_on"]) == {pd.Timestamp("2024-02-15")}  # the 15th of the next month


def _tax_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "统一社会信用代码": ["91120116MA05T3K726", "91120116MA05T3K726", "91120116MA05T3K72X"],
            "所属期": ["2024-01", "2024-02", "2024-03"],
            "增值税应税销售额": [1000.5, 2000.0, 10.0],
            "增值税应纳税额": [130.0, 260.0, 1.0],
            "企业所得税预缴额": [20.0, 40.0, 0.0],
            "按期申报": [True, False, True],
            "零申报": [False, False, False],
            "欠税余额": [0.0, 12.5, 0.0],
            "欠税天数": [0, 30, 0],
        }
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_exports(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"tax{suffix}"
    frame = _tax_frame()
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    summary = ingest_file("tax", path, tmp_path / "home", received_on=RECEIVED_ON)
    assert (summary.rows_in, summary.rows_loaded, summary.rows_quarantined) == (3, 2, 1)
    assert summary.reasons == {"bad_credit_code": 1}
    loaded = read_source("tax", tmp_path / "home").sort_values("period")
    assert loaded["filed_on_time"].tolist() == [True, False]
    assert loaded["arrears_days"].tolist() == [0, 30]
    # a sheet's rows keep the numbers the sheet shows (the header is row 1); a file's count records
    assert read_quarantine("tax", tmp_path / "home")["row_number"].tolist() == [4 if suffix == ".xlsx" else 3]


def test_min_completeness_ignores_columns_that_may_be_empty(tmp_path: Path) -> None:
    from data.quality import quality_rows

    ingest_file("credit_events", CORPUS / "credit_events_mixed.csv", tmp_path, received_on=RECEIVED_ON)
    [row] = quality_rows(tmp_path, "credit_events")
    # repaired_on and removed_on are mostly empty by nature; every mandatory column is filled
    assert row["min_completeness"] == 1.0


def test_typed_parquet_numbers_meet_the_checks_their_text_would(tmp_path: Path) -> None:
    """A Parquet file's float64/int64 columns skip the text round trip, not a single check."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from data.contracts import get_source
    from data.readers import as_text, iter_parquet

    n = 12
    code = "91120116MA05T3K726"
    typed = pa.table(
        {
            "统一社会信用代码": [code] * n,
            "所属期": [f"2023-{m:02d}" for m in range(1, n + 1)],
            "增值税应税销售额": [1000.5, np.nan, np.inf, -np.inf, -3.0, None, 0.1, 1e300, 2.5, 7.0, 0.0, 5.0],
            "增值税应纳税额": [130.0] * n,
            "企业所得税预缴额": [20.0] * n,
            "按期申报": [True] * n,
            "零申报": [False] * n,
            "欠税余额": [0.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
            "欠税天数": pa.array([0, 30, 2**53 + 1, 5, 6, 7, 8, 9, None, 10, 11, 12], pa.int64()),
        }
    )
    fractional_days = typed.set_column(
        8, "欠税天数", pa.array([0.0, 30.0, 1.5, 5, 6, 7, 8, 9, None, 10, 11, 12], pa.float64())
    )
    outcomes = []
    for name, table in {"typed": typed, "fractional": fractional_days}.items():
        spelled = pa.table({c: as_text(table.column(c)) for c in table.column_names})  # as a CSV would
        for form, written in {"numbers": table, "text": spelled}.items():
            path = tmp_path / f"{name}-{form}.parquet"
            pq.write_table(written, path)
            home = tmp_path / f"home-{name}-{form}"
            summary = ingest_file("tax", path, home, received_on=RECEIVED_ON)
            quarantine = read_quarantine("tax", home)[["row_number", "reason_code", "reason", "raw"]]
            loaded = read_source("tax", home).drop(columns=["batch_id", "loaded_at"])  # differ by batch
            outcomes.append((name, form, summary.reasons, quarantine, loaded))
    for (name, _, reasons, quarantine, loaded), (_, _, text_reasons, text_quarantine, text_loaded) in zip(
        outcomes[::2], outcomes[1::2], strict=True
    ):
        assert reasons == text_reasons, name
        pd.testing.assert_frame_equal(quarantine, text_quarantine)
        pd.testing.assert_frame_equal(loaded, text_loaded)
    assert outcomes[0][2] == {"unparseable_number": 3, "negative_value": 1, "missing_value": 2}
    _, chunks = iter_parquet(tmp_path / "typed-numbers.parquet", get_source("tax"), 100)
    columns = next(chunks).columns  # the numbers file really took the typed path
    assert pa.types.is_int64(columns["arrears_days"].type) and pa.types.is_string(columns["period"].type)
    assert outcomes[2][3]["reason"].str.contains("arrears_days: 1.5 is not a whole number").any()
