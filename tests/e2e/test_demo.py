"""The `make demo` path: `zonecredit demo --no-serve` runs the main job end to end and stops.

Then the analyst's loop on the same home: retrain one model, compare runs, and a clear error for a
model that does not exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.contracts import SOURCES


@pytest.mark.slow
def test_demo_runs_end_to_end_without_serving(tmp_path: Path) -> None:
    env = {**os.environ, "ZONECREDIT_HOME": str(tmp_path / "home")}
    cli = [sys.executable, "-m", "zonecredit.cli"]
    done = subprocess.run(
        [*cli, "demo", "--no-serve", "--enterprises", "1200", "--seed", "3", "--trials", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "rows loaded" in done.stdout
    assert "scores as of" in done.stdout

    quality = json.loads(
        subprocess.run(
            [*cli, "data", "quality", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    assert {row["source"] for row in quality} == set(SOURCES)
    assert all(row["load_rate"] > 0.95 for row in quality if row["rows_in"] > 100)
    assert sum(row["rows_quarantined"] for row in quality) > 0  # the world's deliberate mess

    runs = json.loads(
        subprocess.run(
            [*cli, "evaluate", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    champions = {run["kind"]: run for run in runs if run["champion"]}
    assert set(champions) == {"credit", "repair", "activity"}
    aucs = {kind: run["test_auc"] for kind, run in champions.items()}
    assert all(auc > 0.6 for auc in aucs.values()), aucs
    assert {run["role"] for run in runs} == {"model", "scorecard", "oracle", "oracle_analytic"}
    assert {run["kind"] for run in runs if run["role"] == "oracle_analytic"} == {"repair"}
    reports = sorted((tmp_path / "home" / "validation").glob("credit-monitoring-*.json"))
    assert reports, "every scoring batch leaves its monitoring report for /models"

    retrained = json.loads(
        subprocess.run(
            [*cli, "train", "credit", "--trials", "2", "--seed", "5", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert retrained["version"] == "2" and retrained["reason"]
    assert "test_auc" in retrained

    unknown = subprocess.run([*cli, "train", "solvency"], env=env, capture_output=True, text=True)
    assert unknown.returncode == 2
    assert "unknown model 'solvency'" in unknown.stderr and "Traceback" not in unknown.stderr
