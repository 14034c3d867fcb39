"""Benchmark world generation: seconds and peak memory per size, each run in a fresh process.

    uv run python -m bench.bench_synth [--sizes 10000,100000] [--months 48]

Seconds cover generation only (timed inside the child). Peak RSS is ``RUSAGE_CHILDREN``'s maximum
over children so far, so list sizes in increasing order. The 1,000,000-enterprise run is opt-in:
pass ``--sizes 1000000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile


def run_one(enterprises: int, months: int) -> tuple[float, float, dict]:
    """Return (seconds, peak RSS MiB, oracle AUCs) for one generation in a child process."""
    code = (
        "import json, sys, time; from pathlib import Path;"
        "import pandas as pd; from sklearn.metrics import roc_auc_score;"
        "from data.synth import generate_world;"
        "t = time.perf_counter();"
        f"s = generate_world(Path(sys.argv[1]), {enterprises}, months={months});"
        "aucs = {'seconds': time.perf_counter() - t};"
        "labels = pd.read_parquet(s.truth['labels']);"
        "aucs.update({p: roc_auc_score(*(lambda d: (d[y], d[p]))(labels.dropna(subset=[y])))"
        " for p, y in (('p_default_12m', 'default_12m'), ('p_unrepaired_12m', 'unrepaired_12m'),"
        " ('p_active_next_q', 'active_next_q'))});"
        "print(json.dumps(aucs))"
    )
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", code, out], check=True, capture_output=True, text=True)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result.pop("seconds"), peak_mib, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated enterprise counts")
    parser.add_argument("--months", type=int, default=48)
    args = parser.parse_args(argv)
    print(f"{'enterprises':>12} {'months':>6} {'seconds':>9} {'peak MiB':>9}  oracle AUC")
    for size in (int(s) for s in args.sizes.split(",")):
        seconds, peak, aucs = run_one(size, args.months)
        auc_text = " ".join(f"{k}={v:.3f}" for k, v in aucs.items())
        print(f"{size:>12,} {args.months:>6} {seconds:>9.1f} {peak:>9.0f}  {auc_text}", flush=True)


if __name__ == "__main__":
    main()
