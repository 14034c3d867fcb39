"""Run every benchmark with its default sizes and write BENCHMARKS.md: ``make bench``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bench.common import machine

BENCHMARKS = ["bench.bench_ingest", "bench.bench_synth", "bench.bench_features"]


def main() -> None:
    sections = [f"# Benchmarks\n\nMeasured on {machine()} by `make bench`.\n"]
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        sections.append(module.main([]))
    Path("BENCHMARKS.md").write_text("\n".join(sections))
    print("wrote BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
