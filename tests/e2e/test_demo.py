"""The `make demo` path: `zonecredit demo --no-serve` runs the main job end to end and stops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_end_to_end_without_serving(tmp_path: Path) -> None:
    env = {**os.environ, "ZONECREDIT_HOME": str(tmp_path / "home")}
    cli = [sys.executable, "-m", "zonecredit.cli"]
    done = subprocess.run(
        [*cli, "demo", "--no-serve", "--enterprises", "300", "--seed", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "rows loaded" in done.stdout

    quality = json.loads(
        subprocess.run(
            [*cli, "data", "quality", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    assert {row["source"] for row in quality} == {
        "registry",
        "tax",
        "tax_grade",
        "social_security",
        "utility",
        "ip",
        "statistics",
        "credit_events",
    }
    assert all(row["load_rate"] > 0.95 for row in quality if row["rows_in"] > 100)
    assert sum(row["rows_quarantined"] for row in quality) > 0  # the world's deliberate mess
