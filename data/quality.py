"""The data-quality indicators of SPEC §2, one row per committed batch, for CLI and dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.contracts import get_source
from data.warehouse import batch_summaries


def quality_rows(home: Path, source: str | None = None) -> list[dict[str, Any]]:
    """Return one flat data-quality row per committed batch, newest first."""
    rows = []
    for b in batch_summaries(home, source):
        q = b["quality"]
        # Columns that may be empty (a repair date before any repair) would read as incomplete.
        required = {c.name for c in get_source(b["source"]).columns if c.required and not c.nullable}
        completeness = [v for k, v in q["completeness"].items() if k in required and v is not None]
        rows.append(
            {
                "source": b["source"],
                "batch_id": b["batch_id"],
                "file": Path(b["file"]).name,
                "loaded_at": b["loaded_at"],
                "rows_in": q["rows_in"],
                "rows_loaded": q["rows_loaded"],
                "rows_quarantined": q["rows_quarantined"],
                "load_rate": q["load_rate"],
                "min_completeness": round(min(completeness), 4) if completeness else None,
                "duplicates": q["duplicates"],
                "timeliness_median_days": q["timeliness_days"]["median"],
                "timeliness_p90_days": q["timeliness_days"]["p90"],
                "reasons": q["reasons"],
            }
        )
    return sorted(rows, key=lambda r: r["loaded_at"], reverse=True)
