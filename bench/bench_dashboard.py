"""Benchmark the dashboard's ranking pages over a 100,000-enterprise zone set, against a 300 ms aim.

    uv run python -m bench.bench_dashboard --enterprises 100000 --requests 40

Fills a fresh operational store (SQLite, migrated by Alembic) straight from synthetic rows — one
enterprise, latest score and, for some, an active warning each, over the five zones; no models are
needed to rank stored scores — then starts the app under uvicorn (one worker) on loopback, signs
in through the sign-in form like a browser, and times whole-page GETs of the ranking: the first
page, a deep page, filtered pages, other orders, and an administrator's single-zone view.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import httpx
import numpy as np

from bench.common import machine, print_table

AIM_MS = 300.0
SERVER = (sys.executable, "-m", "uvicorn", "serving.app:app_from_env", "--factory", "--workers", "1")
SERVER += ("--no-access-log", "--log-level", "warning")
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
INDUSTRIES = ("C36", "C39", "C27", "I65", "J66", "L71", "M73", "F51", "E48", "G54")
CHUNK = 5_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill_store(database_url: str, enterprises: int, seed: int = 7) -> None:
    """Write ``enterprises`` synthetic enterprises with a latest score each, and warnings for ~6%."""
    import sqlalchemy as sa

    from data.credit_code import generate_credit_codes
    from data.vocabulary import ZONES
    from serving.store import engine_for, latest_scores, upgrade_database, warnings
    from serving.store import enterprises as enterprise_table

    upgrade_database(database_url)
    rng = np.random.default_rng(seed)
    codes = generate_credit_codes(enterprises, rng)
    zones = rng.choice(list(ZONES), enterprises)
    industries = rng.choice(INDUSTRIES, enterprises)
    score = np.clip(rng.normal(620, 70, enterprises), 300, 900).astype(int)
    pd_ = 1 / (1 + 50 * 2 ** ((score - 600) / 40))
    grade = np.asarray(GRADES)[np.clip(((900 - score) / 67).astype(int), 0, 8)]
    klass = np.asarray(["A", "B", "C", "D"])[np.clip(((760 - score) / 80).astype(int), 0, 3)]
    warned = rng.random(enterprises) < 0.06
    now, as_of = datetime.now().replace(microsecond=0), date(2024, 10, 31)
    engine = engine_for(database_url)
    with engine.begin() as connection:
        for first in range(0, enterprises, CHUNK):
            part = range(first, min(first + CHUNK, enterprises))
            connection.execute(
                enterprise_table.insert(),
                [
                    {
                        "credit_code": codes[i],
                        "name": f"天津市滨海新区测试企业{i:06d}有限公司",
                        "zone": zones[i],
                        "industry": industries[i],
                        "entity_type": "1",
                        "status": "active",
                        "updated_at": now,
                    }
                    for i in part
                ],
            )
            connection.execute(
                latest_scores.insert(),
                [
                    {
                        "credit_code": codes[i],
                        "zone": zones[i],
                        "industry": industries[i],
                        "name": f"天津市滨海新区测试企业{i:06d}有限公司",
                        "as_of": as_of,
                        "model": "zonecredit-credit",
                        "model_version": "1",
                        "model_fingerprint": "bench",
                        "feature_set_version": "bench",
                        "pd": float(pd_[i]),
                        "score": int(score[i]),
                        "grade": str(grade[i]),
                        "supervision_class": str(klass[i]),
                        "reasons": "[]",
                        "trigger": "batch",
                        "scored_at": now,
                        "public_json": "{}",
                    }
                    for i in part
                ],
            )
            flagged = [i for i in part if warned[i]]
            if flagged:
                connection.execute(
                    warnings.insert(),
                    [
                        {
                            "credit_code": codes[i],
                            "zone": zones[i],
                            "industry": industries[i],
                            "name": f"天津市滨海新区测试企业{i:06d}有限公司",
                            "kind": "repair" if i % 3 else "dormancy",
                            "level": "red" if i % 2 else "amber",
                            "probability": 0.7,
                            "as_of": as_of,
                            "model": "bench",
                            "model_version": "1",
                            "active": True,
                            "created_at": now,
                        }
                        for i in flagged
                    ],
                )
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))  # let SQLite's planner know the tables' shapes


def _signed_in(base: str, key: str) -> httpx.Client:
    """Return a client that signed in through the form, as a browser does."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    if csrf is None:
        raise RuntimeError("the sign-in page carries no CSRF token")
    done = client.post("/login", data={"key": key, "csrf": csrf.group(1), "next": "/ranking"})
    if done.status_code != 303:
        raise RuntimeError(f"sign-in failed with {done.status_code}: {done.text[:200]}")
    return client


def _time(client: httpx.Client, path: str, requests: int) -> tuple[float, float, int]:
    """Return p50 and p95 in ms of ``requests`` sequential GETs of ``path`` (after two warm-ups)."""
    for _ in range(2):
        client.get(path).raise_for_status()
    spent = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return float(np.percentile(spent, 50)), float(np.percentile(spent, 95)), size


def run(enterprises: int, requests: int) -> str:
    """Fill a store, serve it, time the ranking pages and return the Markdown table."""
    from serving.keys import create_key

    root = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    process = None
    try:
        url = f"sqlite:///{root / 'store.db'}"
        started = time.perf_counter()
        fill_store(url, enterprises)
        fill_seconds = time.perf_counter() - started
        analyst = create_key(url, "analyst", name="bench analyst")
        admin = create_key(url, "admin", ["teda"], name="bench teda admin")
        port = _free_port()
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "ZONECREDIT_HOME": str(root / "home"),
            "ZONECREDIT_DATABASE_URL": url,
            "ZONECREDIT_MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
            "ZONECREDIT_ACCESS_LOG": "false",
        }
        process = subprocess.Popen([*SERVER, "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the dashboard server did not come up")
            time.sleep(0.3)
        deep = enterprises // 50 // 2
        cases = [
            ("analyst", "first page (by score)", "/ranking"),
            ("analyst", f"deep page {deep:,} (by score)", f"/ranking?page={deep}"),
            ("analyst", "last page (by score)", f"/ranking?page={enterprises // 50}"),
            ("analyst", "filtered: industry C36, grade BB", "/ranking?industry=C36&grade=BB"),
            ("analyst", "filtered: class D, repair warning", "/ranking?class=D&warning=repair"),
            ("analyst", "sorted by name, page 100", "/ranking?sort=name&page=100"),
            ("analyst", "sorted by PD ascending", "/ranking?sort=pd"),
            ("analyst", "100 per page", "/ranking?size=100"),
            ("teda admin", "one zone, first page", "/ranking"),
            ("teda admin", "one zone, deep page, grade B", f"/ranking?grade=B&page={deep // 20}"),
        ]
        clients = {"analyst": _signed_in(base, analyst), "teda admin": _signed_in(base, admin)}
        rows = []
        for who, label, path in cases:
            p50, p95, size = _time(clients[who], path, requests)
            verdict = "yes" if p95 < AIM_MS else "**no**"
            rows.append([who, label, f"`{path}`", f"{size / 1024:,.0f}", f"{p50:.1f}", f"{p95:.1f}", verdict])
        for client in clients.values():
            client.close()
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(root, ignore_errors=True)
    return print_table(
        f"Dashboard ranking pages over {enterprises:,} enterprises (SQLite store filled in "
        f"{fill_seconds:.0f} s; uvicorn, 1 worker; {requests} sequential GETs each after 2 warm-ups; "
        f"aim p95 < {AIM_MS:.0f} ms) — {machine()}",
        ["who", "page", "path", "KiB", "p50 ms", "p95 ms", f"< {AIM_MS:.0f} ms"],
        rows,
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=100_000, help="enterprises in the zone set")
    parser.add_argument("--requests", type=int, default=40, help="timed GETs per page")
    args = parser.parse_args(argv)
    return run(args.enterprises, args.requests)


if __name__ == "__main__":
    main()
