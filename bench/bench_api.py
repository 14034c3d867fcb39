"""Benchmark the scoring API against ``mlflow models serve`` on the same champion, side by side.

    uv run python -m bench.bench_api --duration 10

Builds a small scored world (synthetic warehouse, tiny registered champions, one scoring batch),
starts ``zonecredit``'s API (uvicorn, 2 workers) and ``mlflow models serve`` (2 workers) on
loopback, both with ``OMP_NUM_THREADS=1``, and drives each with ``wrk`` (8 connections, bounded
duration): one enterprise's score (by credit code for the API, one posted feature row for MLflow,
which cannot look codes up), and 1,000 posted feature rows. Aims: single score ≥ 3,000 req/s with
p99 ≤ 10 ms; 1,000 rows ≥ 8× MLflow's throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

from bench.common import machine, print_table

CONNECTIONS = 8
THREADS = 2
API_COMMAND = (sys.executable, "-m", "uvicorn", "serving.app:app_from_env", "--factory", "--workers", "2")
API_COMMAND += ("--no-access-log", "--log-level", "warning")
MLFLOW_COMMAND = (
    sys.executable,
    "-m",
    "mlflow",
    "models",
    "serve",
    "-m",
    "models:/zonecredit-credit@champion",
)
MLFLOW_COMMAND += ("--env-manager", "local", "-w", "2", "-h", "127.0.0.1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {seconds:.0f} s")


def _unit_ms(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if found is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(found.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[found.group(2)]


def _wrk(url: str, duration: int, script: Path) -> dict[str, float]:
    """Run wrk with a Lua script (method, headers, body); return req/s, p50 and p99 in ms."""
    done = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    if "Requests/sec" not in out or "99%" not in out:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{out}\n{done.stderr}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _unit_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _unit_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _script(folder: Path, name: str, method: str, headers: dict[str, str], body: bytes | None) -> Path:
    lua = [f'wrk.method = "{method}"']
    lua += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if body is not None:
        (folder / f"{name}.json").write_bytes(body)
        lua += [
            f'local f = io.open("{folder / name}.json", "rb")',
            "wrk.body = f:read('*a')",
            "f:close()",
        ]
    path = folder / f"{name}.lua"
    path.write_text("\n".join(lua) + "\n")
    return path


def _feature_rows(home: Path, as_of: str, n: int) -> pd.DataFrame:
    from features.engines import feature_path

    rows = pd.read_parquet(feature_path(home, pd.Timestamp(as_of).date()) / "features.parquet")
    rows = pd.concat([rows] * (n // len(rows) + 1), ignore_index=True).head(n)
    rows["as_of"] = rows["as_of"].dt.strftime("%Y-%m-%d")
    return rows.astype({c: "object" for c in rows.columns if isinstance(rows[c].dtype, pd.CategoricalDtype)})


def _records(rows: pd.DataFrame) -> list[dict]:
    return json.loads(rows.to_json(orient="records"))  # NaN → null


def run(duration: int, batch_rows: int, world_dir: Path | None = None) -> str:
    """Build the world, start both servers, measure, stop them, and return the Markdown table."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    from serving.keys import create_key
    from tests.serving.fixtures import AS_OF_DATES, ServedWorld, build_served_world, some_codes

    root = world_dir or Path(tempfile.mkdtemp(prefix="bench-api-"))
    processes: list[subprocess.Popen] = []
    try:
        if (root / "READY").exists():
            world = ServedWorld(root, root / "home", f"sqlite:///{root / 'mlflow.db'}")
        else:
            root.mkdir(parents=True, exist_ok=True)
            world = build_served_world(root)
        settings = world.settings()
        key = create_key(settings.resolved_database_url, "scorer", name="bench")
        code = some_codes(settings, None, 1)[0]
        rows = _feature_rows(world.home, f"{AS_OF_DATES[-1]}", batch_rows)
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "ZONECREDIT_HOME": str(world.home),
            "ZONECREDIT_DATABASE_URL": settings.resolved_database_url,
            "ZONECREDIT_MLFLOW_TRACKING_URI": world.tracking_uri,
            "MLFLOW_TRACKING_URI": world.tracking_uri,
        }
        api_port, mlflow_port = _free_port(), _free_port()
        processes.append(
            subprocess.Popen(
                [*API_COMMAND, "--port", str(api_port)],
                env={**env, "ZONECREDIT_ACCESS_LOG": "false"},
                stderr=subprocess.DEVNULL,
            )
        )
        processes.append(
            subprocess.Popen(
                [*MLFLOW_COMMAND, "-p", str(mlflow_port)],
                env=env,
                stderr=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        )
        api, served = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{mlflow_port}"
        _wait(f"{api}/readyz")
        _wait(f"{served}/ping")
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        one = rows.head(1)
        split = json.loads(one.to_json(orient="split", index=False))
        batch_split = json.loads(rows.to_json(orient="split", index=False))
        cases = {
            ("single score", "zonecredit API (GET by code)"): (
                f"{api}/v1/enterprises/{code}/score",
                _script(root, "api_one", "GET", auth, None),
                1,
            ),
            ("single score", "mlflow models serve (1 row)"): (
                f"{served}/invocations",
                _script(
                    root,
                    "mlflow_one",
                    "POST",
                    {"Content-Type": "application/json"},
                    json.dumps({"dataframe_split": split}).encode(),
                ),
                1,
            ),
        }
        # PD, score, grade and class (the aim's workload), then with three fresh reasons a row.
        for top, label in ((0, f"{batch_rows:,} rows"), (3, f"{batch_rows:,} rows + 3 reasons")):
            cases[(label, "zonecredit API (POST /v1/scores)")] = (
                f"{api}/v1/scores",
                _script(
                    root,
                    f"api_rows_{top}",
                    "POST",
                    auth,
                    json.dumps({"rows": _records(rows), "top_reasons": top}).encode(),
                ),
                batch_rows,
            )
            cases[(label, "mlflow models serve")] = (
                f"{served}/invocations",
                _script(
                    root,
                    f"mlflow_rows_{top}",
                    "POST",
                    {"Content-Type": "application/json"},
                    json.dumps({"dataframe_split": batch_split, "params": {"top_reasons": top}}).encode(),
                ),
                batch_rows,
            )
        results = {}
        for (workload, server), (url, script, per_request) in cases.items():
            _wrk(url, 2, script)  # warm-up: first requests load lazily imported code
            results[(workload, server)] = (_wrk(url, duration, script), per_request)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if world_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    table = []
    for (workload, server), (figures, per_request) in results.items():
        table.append(
            [
                workload,
                server,
                f"{figures['rps']:,.0f}",
                f"{figures['rps'] * per_request:,.0f}",
                f"{figures['p50']:.2f}",
                f"{figures['p99']:.2f}",
                int(figures["errors"]),
            ]
        )
    for workload in dict.fromkeys(w for w, _ in results if w != "single score"):
        ours = results[(workload, "zonecredit API (POST /v1/scores)")][0]["rps"]
        theirs = results[(workload, "mlflow models serve")][0]["rps"]
        ratio = ours / theirs if theirs else float("inf")
        table.append([workload, "API ÷ mlflow throughput", f"{ratio:.1f}×", "", "", "", ""])
    return print_table(
        f"Scoring API vs mlflow models serve — wrk {CONNECTIONS} connections, {duration} s, "
        f"2 workers each, OMP_NUM_THREADS=1 — {machine()}",
        ["workload", "server", "requests/s", "scores/s", "p50 ms", "p99 ms", "non-2xx"],
        table,
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rows", type=int, default=1000, help="feature rows per batch request")
    parser.add_argument("--world", type=Path, help="keep (or reuse) the scored world in this folder")
    args = parser.parse_args(argv)
    return run(args.duration, args.rows, args.world)


if __name__ == "__main__":
    main()
