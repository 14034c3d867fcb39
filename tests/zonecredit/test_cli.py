"""The CLI: thin wrappers that print tables, JSON with --json, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zonecredit.cli import app
from zonecredit.settings import Settings

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
runner = CliRunner()


def test_ingest_prints_json_and_quality_reports_the_batch(home: Path) -> None:
    result = runner.invoke(app, ["data", "ingest", "tax", str(CORPUS / "tax_negative_amounts.csv"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["rows_in"], payload["rows_loaded"], payload["rows_quarantined"]) == (4, 1, 3)
    assert payload["batches"][0]["reasons"] == {"negative_value": 3}

    quality = json.loads(runner.invoke(app, ["data", "quality", "--json"]).stdout)
    assert quality[0]["source"] == "tax" and quality[0]["load_rate"] == 0.25
    assert quality[0]["timeliness_median_days"] == 15

    table = runner.invoke(app, ["data", "quarantine", "tax"])
    assert "vat_sales: -1000 is negative" in table.stdout


def test_rejected_file_exits_non_zero_with_the_reason(home: Path) -> None:
    result = runner.invoke(app, ["data", "ingest", "tax", str(CORPUS / "tax_missing_column.csv")])
    assert result.exit_code == 1
    assert "rejected: tax: missing required column(s) vat_payable (增值税应纳税额" in result.output


def test_unknown_source_is_a_clear_error(home: Path) -> None:
    result = runner.invoke(app, ["data", "ingest", "wages", str(CORPUS / "tax_utf8_ok.csv")])
    assert result.exit_code == 2
    assert "unknown source 'wages'" in result.output


def test_sources_lists_every_contract_with_aliases() -> None:
    payload = json.loads(runner.invoke(app, ["data", "sources", "--json"]).stdout)
    assert len(payload) == 9
    aliases = {a for c in payload["tax"]["columns"] for a in c["aliases"]}
    assert {"统一社会信用代码", "所属期", "增值税应纳税额"} <= aliases


def test_placeholder_secret_is_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZONECREDIT_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="ZONECREDIT_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("ZONECREDIT_SECRET_KEY", "a-real-secret-of-32-random-chars")
    assert Settings().environment == "production"


def test_features_describe_lists_the_registry_as_valid_json() -> None:
    payload = json.loads(runner.invoke(app, ["features", "describe", "--json"]).stdout)
    assert len(payload["features"]) >= 120
    by_name = {f["name"]: f for f in payload["features"]}
    assert by_name["reg_zone"]["window_months"] is None
    assert {f["direction"] for f in payload["features"]} == {"increases_risk", "decreases_risk", "none"}


def test_features_build_writes_the_table_for_the_warehouse(home: Path) -> None:
    runner.invoke(app, ["data", "ingest", "registry", str(CORPUS / "registry_mixed.csv")])
    runner.invoke(app, ["data", "ingest", "tax", str(CORPUS / "tax_utf8_ok.csv")])
    result = runner.invoke(app, ["features", "build", "--as-of", "2025-06-30", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["enterprises"] == 2 and payload["columns"] >= 120
    assert Path(payload["path"]).exists()


def test_unknown_feature_engine_is_a_clear_error(home: Path) -> None:
    result = runner.invoke(app, ["features", "build", "--as-of", "2025-06-30", "--engine", "spark"])
    assert result.exit_code == 2 and "unknown engine 'spark'" in result.output


def test_output_of_worker_processes_stays_out_of_the_json(capfd):
    """A local Dask cluster's workers inherit stdout; LightGBM prints its network set-up there."""
    import subprocess
    import sys

    from zonecredit.commands.common import print_json, stray_output_to_stderr

    with stray_output_to_stderr():
        subprocess.run([sys.executable, "-c", "print('[LightGBM] [Info] Trying to bind port')"], check=True)
        print("a library's own print")
    print_json({"ok": 1})
    out, err = capfd.readouterr()
    assert out == '{\n "ok": 1\n}\n'
    assert "Trying to bind port" in err and "a library's own print" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "--as-of", "2025-12-31"], "zonecredit-credit has no champion yet; train one first"),
        (["data", "synth", "--months", "12", "--out", "world"], "need at least 1 enterprise and 13 months"),
    ],
)
def test_the_installed_command_answers_a_domain_error_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """Through ``main`` as the console script runs it: exit 2 and one line on stderr, no traceback."""
    env = {**os.environ, "ZONECREDIT_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "zonecredit.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_exit_codes_come_from_one_table_refused_data_1_other_domain_errors_2() -> None:
    from data.errors import InvalidArguments, RejectedFile
    from models.packaged import NoChampionError
    from zonecredit.cli import exit_code

    assert exit_code(RejectedFile("tax.csv: wrong encoding")) == 1
    assert exit_code(InvalidArguments("mess_rate out of range")) == 2
    assert exit_code(NoChampionError("credit")) == 2


def test_a_domain_error_in_any_command_is_one_line_through_the_app_itself(home: Path) -> None:
    """The root group maps the error, so the app answers as the installed command does."""
    result = runner.invoke(app, ["data", "profiles", "show", "binhai-tax"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: no profile 'binhai-tax'") and "Traceback" not in result.output
