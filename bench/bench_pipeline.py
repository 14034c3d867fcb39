"""The whole pipeline, stage by stage, through the CLI: wall time and peak memory of each stage.

    uv run python -m bench.bench_pipeline [--enterprises 10000] [--months 48]
        [--engine inprocess|chunked|dask] [--trials 6] [--every 3] [--sample 1.0] [--keep DIR]

Each stage is the command an operator runs, in its own process, so its peak memory is its own
(its VmHWM; with ``--engine dask`` the workers' memory is not counted). ``--engine dask`` builds
the feature table and fits the final models on a Dask ``LocalCluster`` (or
``ZONECREDIT_DASK_SCHEDULER``), tuning on ``--sample`` of the enterprises; the model stages print
the out-of-time test figures of each model next to the scorecard and oracle baselines of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import machine, print_table
from data.contracts import SOURCES
from zonecredit.demo import latest_as_of

KINDS = ("credit", "repair", "activity")


def _high_water_mib(pid: int) -> float:
    """Return a process's peak resident set so far (VmHWM), or 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_stage(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``zonecredit ARGS``; return (seconds, peak MiB, stdout); fail loudly on a non-zero exit.

    The peak is the child's VmHWM, polled until it exits: ``ru_maxrss`` from ``wait4`` would report
    at least this benchmark process's own peak, which a forked child inherits on Linux.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "zonecredit.cli", *args], env=env, stdout=out, stderr=err
        )
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, _high_water_mib(child.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise RuntimeError(
                f"zonecredit {' '.join(args)} failed ({child.returncode}):\n{err.read()[-3000:]}"
            )
        return seconds, peak, out.read()


def serve_and_score(env: dict[str, str], port: int, codes: list[str]) -> tuple[float, float, float]:
    """Start ``zonecredit serve``; return seconds until /readyz answers 200, then p50 and max ms
    of 50 stored-score requests for 100 enterprises each."""
    key = json.loads(run_stage(["keys", "create", "--role", "scorer", "--json"], env)[2])["key"]
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "zonecredit.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            while True:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() - start > 600:
                    raise RuntimeError("the server did not become ready")
                time.sleep(0.2)
            ready = time.perf_counter() - start
            latencies = []
            for _ in range(50):
                began = time.perf_counter()
                response = http.post(
                    "/v1/scores", json={"credit_codes": codes}, headers={"Authorization": f"Bearer {key}"}
                )
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    return ready, latencies[len(latencies) // 2], latencies[-1]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--engine", choices=("inprocess", "chunked", "dask"), default="inprocess")
    parser.add_argument("--trials", type=int, default=6, help="Optuna trials per model")
    parser.add_argument("--every", type=int, default=3, help="months between the panel's as-of dates")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds of tuning per model at most")
    parser.add_argument("--sample", type=float, default=1.0, help="share of enterprises to train on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (default: a temporary one)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        stages, quality = run_pipeline(args, root)
    label = f"{args.enterprises:,} enterprises × {args.months} months, {args.engine}"
    text = print_table(
        f"Pipeline stages — {label} — {machine()}",
        ["stage", "seconds", "peak MiB", "result"],
        [[name, f"{s:,.1f}", "—" if m != m else f"{m:,.0f}", note] for name, s, m, note in stages],
    )
    text += "\n" + print_table(
        f"Models on the out-of-time test period — {label} (trials {args.trials}, as-of every "
        f"{args.every} months, sample {args.sample:g})",
        ["model", "AUC", "scorecard AUC", "oracle AUC", "analytic oracle AUC", "gap to oracle", "ECE", "KS"],
        quality,
    )
    return text


def run_pipeline(
    args: argparse.Namespace, root: Path
) -> tuple[list[tuple[str, float, float, str]], list[list[Any]]]:
    """Run every stage under ``root``; return the stage rows and the model-quality rows."""
    home, world = root / "home", root / "world"
    env = {**os.environ, "ZONECREDIT_HOME": str(home)}
    stages: list[tuple[str, float, float, str]] = []

    def record(name: str, seconds: float, peak: float, note: str) -> None:
        """Keep a stage's row and show it at once: a long run reports what it has done so far."""
        stages.append((name, seconds, peak, note))
        print(
            f"[{time.strftime('%H:%M:%S')}] {name}: {seconds:,.1f} s, {peak:,.0f} MiB, {note}",
            file=sys.stderr,
            flush=True,
        )

    seconds, peak, _ = run_stage(
        [
            "data",
            "synth",
            "--enterprises",
            str(args.enterprises),
            "--months",
            str(args.months),
            "--seed",
            str(args.seed),
            "--out",
            str(world),
        ],
        env,
    )
    record("synthetic world", seconds, peak, f"{args.enterprises:,} enterprises")
    total, top, rows = 0.0, 0.0, 0
    for source in SOURCES:
        seconds, peak, out = run_stage(
            ["data", "ingest", source, str(world / "sources" / source), "--json"], env
        )
        total, top = total + seconds, max(top, peak)
        rows += json.loads(out)["rows_loaded"]
    record(f"ingest ({len(SOURCES)} sources)", total, top, f"{rows:,} rows loaded")
    as_of = f"{latest_as_of(home):%Y-%m-%d}"
    seconds, peak, out = run_stage(
        ["features", "build", "--as-of", as_of, "--engine", args.engine, "--json"], env
    )
    table = json.loads(out)
    record(f"features as of {as_of} ({args.engine})", seconds, peak, f"{table['columns']} columns")
    quality: list[list[Any]] = []
    for kind in KINDS:
        seconds, peak, out = run_stage(
            [
                "train",
                kind,
                "--engine",
                "dask" if args.engine == "dask" else "inprocess",
                "--trials",
                str(args.trials),
                "--every",
                str(args.every),
                "--sample",
                str(args.sample),
                "--seed",
                str(args.seed),
                "--timeout",
                str(args.timeout),
                "--truth",
                str(world / "truth"),
                "--json",
            ],
            env,
        )
        result = json.loads(out)
        record(f"train {kind}", seconds, peak, f"v{result['version']}, {result['reason']}")
    runs = json.loads(run_stage(["evaluate", "--json"], env)[2])
    for kind in KINDS:
        latest = {}
        for run in runs:  # newest first
            if run["kind"] == kind and run["status"] == "FINISHED":
                latest.setdefault(run["role"], run)
        model, card, oracle, analytic = (
            latest.get(r, {}) for r in ("model", "scorecard", "oracle", "oracle_analytic")
        )
        gap = oracle.get("test_auc", float("nan")) - model.get("test_auc", float("nan"))
        quality.append(
            [
                kind,
                *(f"{r.get('test_auc', float('nan')):.4f}" for r in (model, card, oracle, analytic)),
                f"{gap:.4f}",
                f"{model.get('test_ece', float('nan')):.4f}",
                f"{model.get('test_ks', float('nan')):.4f}",
            ]
        )
    seconds, peak, out = run_stage(["score", "--as-of", as_of, "--json"], env)
    scored = json.loads(out)
    record("batch scores", seconds, peak, f"{scored['enterprises']:,} enterprises")
    import pandas as pd

    codes = pd.read_parquet(table["path"], columns=["credit_code"])["credit_code"].head(100).tolist()
    ready, p50, worst = serve_and_score(env, args.port, codes)
    record(
        "serve: start to ready",
        ready,
        float("nan"),
        f"stored scores ×100: p50 {p50:.1f} ms, max {worst:.1f} ms",
    )
    return stages, quality


if __name__ == "__main__":
    main()
