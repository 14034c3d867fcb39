"""Benchmark world generation: seconds and peak memory per size, each run in a fresh process.

    uv run python -m bench.bench_synth [--sizes 10000,100000] [--months 48]

Seconds and peak memory cover generation alone; the oracle AUC of each label is computed afterwards
in the same child (its memory is not counted). The 1,000,000-enterprise run is opt-in:
``--sizes 1000000`` (it must stay within 8 GiB).
"""

from __future__ import annotations

import argparse
import tempfile

from bench.common import machine, measure, print_table

GENERATE = """
import resource, sys, time
from pathlib import Path
from data.synth import generate_world
start = time.perf_counter()
world = generate_world(Path(sys.argv[1]), int(sys.argv[2]), months=int(sys.argv[3]))
seconds = time.perf_counter() - start
generation_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score
aucs = {}
for p, y in (("p_default_12m", "default_12m"), ("p_unrepaired_12m", "unrepaired_12m"),
             ("p_active_next_q", "active_next_q")):
    labels = pq.read_table(world.truth["labels"], columns=[p, y]).to_pandas().dropna()
    aucs[y] = roc_auc_score(labels[y], labels[p])
_result = {"seconds": seconds, "generation_peak_mib": generation_peak, "rows": sum(world.rows.values())}
_result.update(aucs)
"""


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated enterprise counts")
    parser.add_argument("--months", type=int, default=48)
    args = parser.parse_args(argv)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as out:
            r = measure(GENERATE, out, str(size), str(args.months))
        rows.append(
            [
                f"{size:,}",
                args.months,
                f"{r['rows']:,}",
                f"{r['seconds']:.1f}",
                f"{r['generation_peak_mib']:,.0f}",
                f"{r['default_12m']:.3f}",
                f"{r['unrepaired_12m']:.3f}",
                f"{r['active_next_q']:.3f}",
            ]
        )
    return print_table(
        f"Synthetic world generation — {machine()}",
        [
            "enterprises",
            "months",
            "source rows",
            "seconds",
            "peak MiB",
            "oracle AUC default_12m",
            "oracle AUC unrepaired_12m",
            "oracle AUC active_next_q",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
