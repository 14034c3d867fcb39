"""Zone economy on a large warehouse: the first request of a warehouse state and the cached ones.

Builds a synthetic world of ``--enterprises`` (64 warehouse buckets), then times
``serving.economy.zone_economy`` cold (every source read as known on the as-of and aggregated by
zone, industry and period) and warm (a slice of the cached aggregate), against the reference of
reading the same sources' Parquet alone.

    uv run python -m bench.bench_economy [--enterprises 30000] [--months 24]

``make bench`` runs the default 30,000 enterprises (a few minutes, most of it building the world);
the figure to quote is ``--enterprises 100000``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import machine, print_table


def run(enterprises: int, months: int) -> str:
    """Build the world, time the economy cold and warm and the bare read; return the table."""
    root = Path(tempfile.mkdtemp(prefix="bench-economy-"))
    try:
        return _measure(root, enterprises, months)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: Path, enterprises: int, months: int) -> str:
    from data.contracts import SOURCES
    from data.ingest import ingest_files
    from data.synth import generate_world
    from data.vocabulary import ZONES
    from data.warehouse import read_source
    from serving.economy import zone_economy
    from serving.rescore import live_as_of
    from serving.store import upgrade_database

    started = time.perf_counter()
    generate_world(root / "world", enterprises=enterprises, months=months, seed=7)
    for source in SOURCES:
        ingest_files(source, [root / "world" / "sources" / source], root / "home", buckets=64)
    database_url = f"sqlite:///{root / 'store.db'}"
    upgrade_database(database_url)
    built = time.perf_counter() - started
    home, as_of, zones = root / "home", live_as_of(root / "home"), list(ZONES)
    start = time.perf_counter()
    for source in ("registry", "tax", "social_security", "utility", "statistics", "ip"):
        read_source(source, home)
    read_seconds = time.perf_counter() - start
    timings = []
    for label, zone, frequency in (
        ("first request of the warehouse state (cold)", zones[0], "monthly"),
        ("another zone, monthly (cached)", zones[1], "monthly"),
        ("another zone, quarterly (cached)", zones[2], "quarterly"),
    ):
        start = time.perf_counter()
        body = zone_economy(home, database_url, zone, as_of, frequency, None, zones)
        timings.append((label, time.perf_counter() - start, len(body["series"])))
    rows = [[label, f"{seconds:.2f}", periods, f"{read_seconds:.2f}"] for label, seconds, periods in timings]
    return print_table(
        f"Zone economy — {enterprises:,} enterprises × {months} months, 64 buckets "
        f"(world built in {built:.0f} s) — {machine()}",
        ["request", "seconds", "periods", "reference: reading the six sources alone, s"],
        rows,
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=30_000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args(argv)
    return run(args.enterprises, args.months)


if __name__ == "__main__":
    main()
