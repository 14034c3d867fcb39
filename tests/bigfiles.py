"""Large, valid monthly-source files generated quickly, for the streaming test and the benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.credit_code import generate_credit_codes


def tax_table(
    codes: np.ndarray, first_row: int, rows: int, rng: np.random.Generator, months: int = 48
) -> pa.Table:
    """Return rows ``first_row``… of the enterprises × months grid (from 2022-01) as valid tax records."""
    index = np.arange(first_row, first_row + rows)
    month = index % months
    periods = np.array([f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(months)], dtype=object)
    sales = np.round(rng.lognormal(10, 1.5, rows), 2)
    return pa.table(
        {
            "credit_code": pa.array(codes[index // months], pa.string()),
            "period": pa.array(periods[month], pa.string()),
            "vat_sales": pa.array(sales),
            "vat_payable": pa.array(np.round(sales * 0.13, 2)),
            "cit_prepaid": pa.array(np.round(sales * 0.02, 2)),
            "filed_on_time": pa.array(np.where(rng.random(rows) < 0.95, "1", "0")),
            "zero_return": pa.array(np.where(sales < 500, "1", "0")),
            "arrears_balance": pa.array(np.zeros(rows)),
            "arrears_days": pa.array(np.zeros(rows, dtype=np.int64)),
        }
    )


def write_tax_file(path: Path, rows: int, seed: int = 0, months: int = 48, block: int = 1_000_000) -> int:
    """Write ``rows`` tax records (distinct keys) to CSV or Parquet by suffix; return bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    codes = np.array(generate_credit_codes(-(-rows // months), rng), dtype=object)
    writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
    for start in range(0, rows, block):
        table = tax_table(codes, start, min(block, rows - start), rng, months)
        if writer is None:
            writer = (
                pacsv.CSVWriter(path, table.schema, write_options=pacsv.WriteOptions(quoting_style="none"))
                if path.suffix == ".csv"
                else pq.ParquetWriter(path, table.schema)
            )
        writer.write_table(table)
    if writer is not None:
        writer.close()
    return path.stat().st_size
