"""The main job end to end on the embedded default.

Synthetic world → warehouse (with quarantine and quality report) → features → three models tuned,
tracked and gated in MLflow → batch scores in the operational store. ``zonecredit demo`` then serves.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
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


def demo_truth(home: Path) -> Path | None:
    """Return the ground truth of the demo's synthetic world under ``home`` (real data have none)."""
    truth = Path(home) / "synthetic" / "truth"
    return truth if truth.is_dir() else None


def latest_as_of(home: Path) -> date:
    """Return the end of the latest tax period: scores as of then match how the models were trained."""
    from training.panels import tax_period_ends

    return tax_period_ends(home)[1].date()


def train_and_score(
    home: Path, trials: int, seed: int, history_months: int = 12, console: Console | None = None
) -> dict[str, Any]:
    """Train the three models (champions on the first run), then score every enterprise at each of
    the last ``history_months`` month-ends, oldest first, so that score histories and the zone
    activity index have a past to show; the latest batch is the current one."""
    from models.scoring import KINDS
    from serving.batch import score_all
    from training.train import train
    from zonecredit.monitoring import monitor_stored_scores

    console = console or Console(quiet=True)
    results = {}
    for kind in KINDS:
        with console.status(f"training the {kind} model ({trials} Optuna trials)…"):
            results[kind] = train(kind, trials=trials, home=home, seed=seed, truth_dir=demo_truth(home))
    latest = pd.Timestamp(latest_as_of(home))
    months = pd.date_range(end=latest, periods=max(1, history_months), freq="ME")
    for as_of in months:
        with console.status(f"scoring every enterprise as of {as_of:%Y-%m-%d}…"):
            summary = score_all(as_of.date(), get_settings())
            monitor_stored_scores(get_settings(), as_of.date(), summary.model_versions["credit"])
    return {"models": results, "scores": summary}
