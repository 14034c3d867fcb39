"""The main job end to end on the embedded default: synthetic world → warehouse → quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from data.contracts import SOURCES
from data.ingest import ingest_files
from zonecredit.settings import get_settings


def run_demo(
    home: Path, enterprises: int, months: int, seed: int, console: Console | None = None
) -> dict[str, Any]:
    """Generate a synthetic world under ``home`` and ingest every source; return the totals."""
    from data.synth import generate_world

    console = console or Console(quiet=True)
    settings = get_settings()
    world = Path(home) / "synthetic"
    with console.status(f"generating a synthetic world of {enterprises:,} enterprises × {months} months…"):
        generate_world(world, enterprises=enterprises, months=months, seed=seed)
    totals = {"rows_loaded": 0, "rows_quarantined": 0, "files": 0}
    for source in SOURCES:
        with console.status(f"ingesting {source}…"):
            report = ingest_files(
                source,
                [world / "sources" / source],
                home,
                buckets=settings.warehouse_buckets,
                chunk_rows=settings.ingest_chunk_rows,
            )
        totals["rows_loaded"] += report.rows_loaded
        totals["rows_quarantined"] += report.rows_quarantined
        totals["files"] += len(report.batches)
    return totals
