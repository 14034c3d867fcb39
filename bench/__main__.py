"""Run every benchmark with its default sizes and write BENCHMARKS.md: ``make bench``.

Default sizes keep the whole report under 30 minutes on a 2-core machine; the large runs (a
1,000,000-enterprise world, the 100,000-enterprise pipeline, rescoring on arrival and the zone
economy on 100,000 enterprises) are each module's flags.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bench.common import machine

BENCHMARKS = [
    "bench.bench_ingest",
    "bench.bench_synth",
    "bench.bench_features",
    "bench.bench_models",
    "bench.bench_api",
    "bench.bench_dashboard",
    "bench.bench_pipeline",
    "bench.bench_rescore",
    "bench.bench_economy",
]


def main() -> None:
    sections = [f"# Benchmarks\n\nMeasured on {machine()} by `make bench`.\n"]
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        sections.append(module.main([]))
    Path("BENCHMARKS.md").write_text("\n".join(sections))
    print("wrote BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
