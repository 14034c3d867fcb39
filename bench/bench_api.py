"""Benchmark the scoring API against ``mlflow models serve`` on the same champion, side by side.

    uv run python -m bench.bench_api --duration 10

Builds a small scored world (synthetic warehouse, tiny registered champions, one scoring batch),
registers a 300-tree credit model as champion (the size the aims were set for), starts
``zonecredit``'s API (uvicorn, 2 workers) and ``mlflow models serve`` (2 workers) on loopback,
both with ``OMP_NUM_THREADS=1``, and drives each with ``wrk`` (8 connections, bounded duration):
one enterprise's score (by credit code for the API, one posted feature row for MLflow, which
cannot look codes up), and 1,000 posted feature rows — to the API as JSON objects, JSON columns
and an Arrow stream, to MLflow as its JSON split format (and Parquet where its default parameters
fit). Aims: single score ≥ 3,000 req/s with p99 ≤ 10 ms; 1,000 rows ≥ 8× MLflow's throughput
(ratios against MLflow's best format in the same run).
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

JSON, ARROW, PARQUET = (
    "application/json",
    "application/vnd.apache.arrow.stream",
    "application/vnd.apache.parquet",
)
CONNECTIONS = 8
THREADS = 2
TIMEOUT = 60  # seconds before wrk counts a request as failed
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
    """Run wrk with a Lua script (method, headers, body); return req/s, p50 and p99 in ms, failures.

    A request wrk gives up on is a failure, not a missing latency: the timeout is set well above
    the slowest workload's (1,000 rows with fresh TreeSHAP reasons take seconds).
    """
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", f"--timeout={TIMEOUT}s"]
    done = subprocess.run(
        [*command, "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    if "Requests/sec" not in out or "99%" not in out:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{out}\n{done.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _unit_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _unit_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "failed": int(non_2xx.group(1) if non_2xx else 0) + sum(map(int, socket.groups() if socket else ())),
    }


def _script(folder: Path, name: str, method: str, headers: dict[str, str], body: bytes | None) -> Path:
    lua = [f'wrk.method = "{method}"']
    lua += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if body is not None:
        (folder / f"{name}.body").write_bytes(body)
        lua += [
            f'local f = io.open("{folder / name}.body", "rb")',
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


def _bytes(body: dict | bytes) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def _arrow_stream(rows: pd.DataFrame) -> bytes:
    """Return the rows as an Arrow IPC stream, dates as date32 (what a client would send)."""
    import pyarrow as pa

    frame = rows.assign(as_of=pd.to_datetime(rows["as_of"]).dt.date)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _parquet(rows: pd.DataFrame) -> bytes:
    """Return the rows as Parquet with the column types of the model's MLflow signature."""
    frame = rows.assign(as_of=pd.to_datetime(rows["as_of"]).astype("datetime64[ns]"))
    return frame.to_parquet(index=False)


def _columns(split: dict) -> dict[str, list]:
    """Return a split-oriented frame as name → values (the API's column-wise body)."""
    return {name: [row[i] for row in split["data"]] for i, name in enumerate(split["columns"])}


TREES = 300  # the model size the reference figures were measured for


def register_bench_champion(world) -> int:  # world: tests.serving.fixtures.ServedWorld
    """Register a credit model of ``TREES`` trees as champion; return its tree count.

    The served world's own champion stops early at a few dozen trees, which would flatter every
    server alike; the booster's share of a 1,000-row request is what a real model costs.
    """
    import lightgbm as lgb

    from features.panel import split_out_of_time
    from models.preprocess import FeatureSpec
    from tests.serving.fixtures import register_champion
    from tests.worlds import synthetic_panel
    from training.fit import booster_params, outcome, scoring_model

    train, valid, _ = split_out_of_time(synthetic_panel("credit", n=4000, seed=0))
    spec = FeatureSpec.from_registry("credit")
    params = booster_params(spec, "credit", {"learning_rate": 0.05, "num_leaves": 31}, seed=0)
    data = lgb.Dataset(
        spec.matrix(train), outcome("credit", train), categorical_feature=spec.categorical_indices
    )
    booster = lgb.train(params, data, num_boost_round=TREES)
    register_champion(
        world.tracking_uri,
        scoring_model("credit", spec, booster, train, valid),
        world.root / f"staging-credit-{TREES}",
    )
    return booster.num_trees()


def run(duration: int, batch_rows: int, world_dir: Path | None = None, repeats: int = 3) -> str:
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
        trees = register_bench_champion(world)
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
        # PD, score, grade and class (the aim's workload), then with three fresh reasons a row. The
        # API gets the rows as JSON objects, JSON columns and an Arrow stream; MLflow gets its JSON
        # split format and, where its default parameters fit (three reasons), Parquet.
        arrow, parquet = _arrow_stream(rows), _parquet(rows)
        for top, label in ((0, f"{batch_rows:,} rows"), (3, f"{batch_rows:,} rows + 3 reasons")):
            bodies = {
                "JSON objects": (auth, f"{api}/v1/scores", {"rows": _records(rows), "top_reasons": top}),
                "JSON columns": (
                    auth,
                    f"{api}/v1/scores",
                    {"columns": _columns(batch_split), "top_reasons": top},
                ),
                "Arrow": ({**auth, "Content-Type": ARROW}, f"{api}/v1/scores?top_reasons={top}", arrow),
            }
            for form, (headers, url, body) in bodies.items():
                cases[(label, f"zonecredit API ({form})")] = (
                    url,
                    _script(root, f"api_{form.replace(' ', '_')}_{top}", "POST", headers, _bytes(body)),
                    batch_rows,
                )
            mlflow_body = {"dataframe_split": batch_split, "params": {"top_reasons": top}}
            cases[(label, "mlflow models serve (JSON split)")] = (
                f"{served}/invocations",
                _script(root, f"mlflow_rows_{top}", "POST", {"Content-Type": JSON}, _bytes(mlflow_body)),
                batch_rows,
            )
            if top == 3:
                cases[(label, "mlflow models serve (Parquet)")] = (
                    f"{served}/invocations",
                    _script(root, "mlflow_parquet", "POST", {"Content-Type": PARQUET}, parquet),
                    batch_rows,
                )
        # Rounds interleave the servers, so a slow spell of the machine hits both alike.
        runs: dict[tuple[str, str], list[dict[str, float]]] = {case: [] for case in cases}
        for _ in range(repeats):
            for case, (url, script, _) in cases.items():
                _wrk(url, 2, script)  # warm-up: first requests load lazily imported code
                runs[case].append(_wrk(url, duration, script))
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
    # Each case's median round (by requests/s) gives its row; the range shows how much it moved.
    results = {case: sorted(found, key=lambda r: r["rps"])[len(found) // 2] for case, found in runs.items()}
    table = []
    for (workload, server), figures in results.items():
        spread = [r["rps"] for r in runs[(workload, server)]]
        table.append(
            [
                workload,
                server,
                f"{figures['rps']:,.0f}",
                f"{min(spread):,.0f}–{max(spread):,.0f}",
                f"{figures['rps'] * cases[(workload, server)][2]:,.0f}",
                f"{figures['p50']:.2f}",
                f"{figures['p99']:.2f}",
                sum(int(r["failed"]) for r in runs[(workload, server)]),
            ]
        )
    for workload in dict.fromkeys(w for w, _ in results if w != "single score"):
        theirs = max(r["rps"] for (w, server), r in results.items() if w == workload and "mlflow" in server)
        for (w, server), figures in results.items():
            if w == workload and "zonecredit" in server:
                ratio = figures["rps"] / theirs if theirs else float("inf")
                form = server.removeprefix("zonecredit API (").removesuffix(")")
                table.append([workload, f"API ({form}) ÷ mlflow's best", f"{ratio:.1f}×", "", "", "", "", ""])
    return print_table(
        f"Scoring API vs mlflow models serve — credit model of {trees} trees, wrk {CONNECTIONS} "
        f"connections, {duration} s × {repeats} interleaved rounds (median shown), 2 workers each, "
        f"OMP_NUM_THREADS=1 — {machine()}",
        ["workload", "server", "requests/s", "range", "scores/s", "p50 ms", "p99 ms", "failed"],
        table,
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rows", type=int, default=1000, help="feature rows per batch request")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds of every case")
    parser.add_argument("--world", type=Path, help="keep (or reuse) the scored world in this folder")
    args = parser.parse_args(argv)
    return run(args.duration, args.rows, args.world, args.repeats)


if __name__ == "__main__":
    main()
