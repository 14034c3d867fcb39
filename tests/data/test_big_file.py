"""A file larger than 1 GB streams through ingestion in bounded memory, every row accounted for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bigfiles import write_tax_file

# Measured: ~450 MiB whatever the file size (one block of rows at a time), plus the batch's
# duplicate-key index at 12 bytes a row (~210 MiB here) and allocator slack: ~1,050 MiB for this
# 1.1 GiB file. Memory grows with rows only through that index, never with the file's bytes.
PEAK_LIMIT_MIB = 1280

CHILD = """
import json, resource, sys
from datetime import date
from pathlib import Path
from data.ingest import ingest_file
summary = ingest_file("tax", Path(sys.argv[1]), Path(sys.argv[2]), received_on=date(2026, 11, 28))
print(json.dumps({"rows_in": summary.rows_in, "loaded": summary.rows_loaded,
                  "quarantined": summary.rows_quarantined,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.mark.slow
def test_a_file_over_1_gb_streams_in_bounded_memory(tmp_path: Path) -> None:
    rows = 18_500_000
    path = tmp_path / "tax_over_1gb.csv"
    size = write_tax_file(path, rows)
    assert size > 1 << 30, f"the generated file is only {size / 2**20:.0f} MiB"

    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(tmp_path / "home")],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    outcome = json.loads(result.stdout)
    assert outcome["rows_in"] == rows
    assert outcome["loaded"] + outcome["quarantined"] == rows
    assert outcome["quarantined"] == 0
    assert outcome["peak_mib"] < PEAK_LIMIT_MIB, f"peak memory {outcome['peak_mib']:.0f} MiB"
