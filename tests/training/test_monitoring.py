"""``zonecredit validate`` on the scored test world: the report's JSON shape, and clear refusals."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.serving.fixtures import served_world, settings_env
from zonecredit.cli import app

runner = CliRunner()


def test_validate_prints_the_ecb_report_as_json_and_saves_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = served_world(tmp_path_factory).settings()
    with settings_env(settings):
        result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"jeffreys", "auc", "migration", "concentration", "psi", "backtest"}
    grades = report["jeffreys"]["grades"]
    assert grades and {"grade", "pd", "n", "defaults", "p_value"} <= set(grades[0])
    assert sum(g["n"] for g in grades) == report["jeffreys"]["portfolio"]["n"] == report["rows_with_outcome"]
    assert {"value", "std", "initial", "p_value"} <= set(report["auc"])
    assert 0.5 < report["auc"]["value"] <= 1 and report["auc"]["std"] > 0
    migration = report["migration"]
    assert len(migration["matrix"]) == 9 and 0 <= migration["mwb_upper"] <= 1
    assert report["psi"]["features"] and report["backtest"]["grades"]
    assert report["model"]["name"] == "zonecredit-credit"
    saved = settings.home / "validation" / f"credit-validation-{report['as_of']}.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["auc"] == report["auc"]


def test_validate_refuses_an_ungraded_model_with_a_clear_message() -> None:
    result = runner.invoke(app, ["validate", "--kind", "repair"])
    assert result.exit_code == 2
    assert "covers graded models: credit, not 'repair'" in result.output
