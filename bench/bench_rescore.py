"""Rescoring on arrival against the full month-end batch, on the same warehouse and champions.

    uv run python -m bench.bench_rescore [--enterprises 30000] [--months 24] [--touched 1000]
                                         [--keep DIR]

``make bench`` runs the default 30,000 enterprises (a few minutes); the issue's figure is
``--enterprises 100000`` (1,000 touched of 100,000: about ten minutes on the 2-core machine).

Builds a synthetic world of ``--enterprises`` (64 warehouse buckets, as a deployment has), registers
small champions plus a 300-tree credit model (``bench.bench_api``), and times the month-end batch
(feature table, scores, reasons, warnings, zone index: ``build_features`` + ``score_all``) against
a batch of serious-dishonesty listings touching ``--touched`` enterprises, ingested and then
rescored (``rescore_touched``: the same outputs for those enterprises only, at the live as-of).
The champions are those the month-end batch loaded in the same process, as a server's or a
watcher's are (``load_champions`` keeps them per version); a one-off ``zonecredit data ingest``
loads them first, about a second more.

``--keep DIR`` keeps the generated source files under ``DIR/world-{enterprises}-{months}`` and
reuses them on the next run (generating a 100,000-enterprise world is most of the set-up); the
warehouse, store and champions are rebuilt every run, so the code under test writes them.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import machine, print_table

HEADER = "记录编号,统一社会信用代码,记录类型,严重程度,决定日期,公示日期,修复日期,移出日期,决定部门,报送日期\n"


def run(enterprises: int, months: int, touched: int, keep: Path | None = None) -> str:
    """Build the world, time the month-end batch and one rescore on arrival; return the table."""
    root = Path(tempfile.mkdtemp(prefix="bench-rescore-", dir=keep))
    sources = None if keep is None else keep / f"world-{enterprises}-{months}"
    try:
        return _measure(root, enterprises, months, touched, sources)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: Path, enterprises: int, months: int, touched: int, kept: Path | None) -> str:
    import sqlalchemy as sa

    from bench.bench_api import register_bench_champion
    from data.contracts import SOURCES
    from data.ingest import ingest_files
    from data.synth import generate_world
    from features.engines import build_features
    from serving.batch import score_all
    from serving.rescore import live_as_of, rescore_touched
    from serving.store import engine_for, latest_scores, upgrade_database
    from tests.serving.fixtures import ServedWorld, fitted_model, register_champion, settings_env
    from zonecredit.demo import latest_as_of

    started = time.perf_counter()
    world_dir = kept or root / "world"
    if not world_dir.exists():  # generated aside and renamed, so a killed run keeps nothing half-written
        partial = root / "world-partial"
        generate_world(partial, enterprises=enterprises, months=months, seed=7)
        partial.rename(world_dir)
    for source in SOURCES:
        ingest_files(source, [world_dir / "sources" / source], root / "home", buckets=64)
    world = ServedWorld(root, root / "home", f"sqlite:///{root / 'mlflow.db'}")
    for kind in ("credit", "repair", "activity"):
        register_champion(world.tracking_uri, fitted_model(kind), root / f"staging-{kind}")
    register_bench_champion(world)
    settings = world.settings(warehouse_buckets=64)
    upgrade_database(settings.resolved_database_url)
    built = time.perf_counter() - started
    month_end = latest_as_of(world.home)
    with settings_env(settings):
        start = time.perf_counter()
        build_features(month_end, world.home)
        features_seconds = time.perf_counter() - start
        summary = score_all(month_end, settings)
        full = time.perf_counter() - start
        with engine_for(settings.resolved_database_url).connect() as connection:
            codes = list(connection.execute(sa.select(latest_scores.c.credit_code)).scalars())
        chosen = np.random.default_rng(0).choice(codes, size=min(touched, len(codes)), replace=False)
        day = f"{live_as_of(world.home):%Y-%m-%d}"
        drop = root / "arrival.csv"
        listings = (f"SD-{c},{c},serious_dishonesty,serious,{day},{day},,,市场监管局,{day}\n" for c in chosen)
        drop.write_text(HEADER + "".join(listings))
        start = time.perf_counter()
        report = ingest_files("credit_events", [drop], world.home, buckets=64)
        ingest_seconds = time.perf_counter() - start
        start = time.perf_counter()
        rescored = rescore_touched(report.batches, settings)
        rescore = time.perf_counter() - start
    assert rescored is not None
    rows = [
        [
            f"{summary.enterprises:,}",
            f"{features_seconds:.1f} + {full - features_seconds:.1f} = {full:.1f}",
            f"{rescored.enterprises:,}",
            f"{ingest_seconds:.2f}",
            f"{rescore:.2f}",
            f"{full / rescore:.1f}×",
            "yes" if rescore <= 30 else "no",
        ]
    ]
    return print_table(
        f"Rescoring on arrival vs the full batch — {enterprises:,} enterprises × {months} months, "
        f"64 buckets, 300-tree credit model (world built in {built:.0f} s) — {machine()}",
        [
            "enterprises scored",
            "full batch s (features + scores)",
            "touched",
            "ingest of the arrival s",
            "rescore s",
            "full / rescore",
            "within 30 s",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=30_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--touched", type=int, default=1_000)
    parser.add_argument("--keep", type=Path, help="reuse the generated world kept in this folder")
    args = parser.parse_args(argv)
    return run(args.enterprises, args.months, args.touched, args.keep)


if __name__ == "__main__":
    main()
