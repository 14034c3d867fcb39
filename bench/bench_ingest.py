"""Ingestion throughput and peak memory against a bare pyarrow read of the same file.

    uv run python -m bench.bench_ingest [--rows 10000000]

Each measurement runs in its own process so peak memory is its own. The reference reads the same
file with pyarrow (CSV: ``pyarrow.csv.read_csv``; Parquet: ``pyarrow.parquet.read_table``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from bench.common import machine, measure, print_table
from tests.bigfiles import write_tax_file

BARE = """
import sys, time
from pathlib import Path
path = Path(sys.argv[1])
start = time.perf_counter()
if path.suffix == ".csv":
    import pyarrow.csv as pacsv
    rows = pacsv.read_csv(path).num_rows
else:
    import pyarrow.parquet as pq
    rows = pq.read_table(path).num_rows
_result = {"rows": rows, "seconds": time.perf_counter() - start}
"""

INGEST = """
import sys, time
from datetime import date
from pathlib import Path
from data.ingest import ingest_file
start = time.perf_counter()
summary = ingest_file("tax", Path(sys.argv[1]), Path(sys.argv[2]), received_on=date(2026, 11, 28))
_result = {"rows": summary.rows_loaded + summary.rows_quarantined, "seconds": time.perf_counter() - start}
"""


def run(rows: int) -> str:
    """Measure ingestion of a ``rows``-row tax file as CSV and as Parquet; return the table."""
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv", ".parquet"):
            path = Path(tmp) / f"tax{suffix}"
            size = write_tax_file(path, rows)
            os.sync()  # each measurement starts with no earlier writes still being flushed
            bare = measure(BARE, str(path))
            os.sync()
            home = Path(tmp) / f"home{suffix}"
            ingest = measure(INGEST, str(path), str(home))
            shutil.rmtree(home)  # the next format's ingest writes into a machine as clean as this one
            assert bare["rows"] == ingest["rows"] == rows
            ratio = ingest["seconds"] / bare["seconds"]
            table.append(
                [
                    suffix[1:],
                    f"{rows:,}",
                    f"{size / 2**20:,.0f}",
                    f"{bare['seconds']:.2f}",
                    f"{ingest['seconds']:.2f}",
                    f"{rows / ingest['seconds']:,.0f}",
                    f"{bare['peak_mib']:,.0f}",
                    f"{ingest['peak_mib']:,.0f}",
                    f"{ratio:.1f}×",
                ]
            )
    return print_table(
        f"Ingestion (validate + quarantine + load) vs bare pyarrow read — {machine()}",
        [
            "format",
            "rows",
            "MiB",
            "pyarrow read s",
            "ingest s",
            "ingest rows/s",
            "read peak MiB",
            "ingest peak MiB",
            "ingest / read",
        ],
        table,
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    return run(parser.parse_args(argv).rows)


if __name__ == "__main__":
    main()
