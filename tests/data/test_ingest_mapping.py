"""Headers that match nothing: hand mappings, saved profiles, suggestions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data.ingest import ingest_file
from data.profiles import Profile, ProfileError, list_profiles, load_profile, save_profile
from data.warehouse import read_source

RECEIVED_ON = date(2026, 11, 28)
CODE = "91120116MA05T3K726"
DEPARTMENT_HEADER = (
    "统一社会信用代码,所属期,增值税销售额,增值税税额,企业所得税预缴,按期申报,零申报,欠税余额,欠税天数\n"
)
HAND_MAPPING = {"增值税销售额": "vat_sales", "增值税税额": "vat_payable", "企业所得税预缴": "cit_prepaid"}


def _department_file(tmp_path: Path) -> Path:
    path = tmp_path / "binhai_tax.csv"
    path.write_text(DEPARTMENT_HEADER + f"{CODE},2024-01,1000,130,20,1,0,0,0\n", encoding="utf-8")
    return path


def test_unmatched_headers_are_refused_with_suggestions(tmp_path: Path) -> None:
    summary = ingest_file("tax", _department_file(tmp_path), tmp_path / "home", received_on=RECEIVED_ON)
    assert summary.status == "rejected"
    assert summary.suggestions == HAND_MAPPING
    assert "did you mean --column 增值税销售额=vat_sales" in summary.message


def test_hand_mappings_load_the_file(tmp_path: Path) -> None:
    summary = ingest_file(
        "tax", _department_file(tmp_path), tmp_path / "home", received_on=RECEIVED_ON, columns=HAND_MAPPING
    )
    assert (summary.status, summary.rows_loaded) == ("loaded", 1)
    assert read_source("tax", tmp_path / "home")["vat_payable"].tolist() == [130.0]


def test_a_mapping_onto_no_column_is_refused(tmp_path: Path) -> None:
    summary = ingest_file(
        "tax",
        _department_file(tmp_path),
        tmp_path,
        received_on=RECEIVED_ON,
        columns={"增值税销售额": "sales"},
    )
    assert summary.status == "rejected" and "tax has no column 'sales'" in summary.message


def test_profiles_are_saved_listed_and_validated_strictly(tmp_path: Path) -> None:
    profile = Profile(name="binhai-tax", source="tax", columns=HAND_MAPPING, units={"vat_sales": "万元"})
    save_profile(tmp_path, profile)
    assert load_profile(tmp_path, "binhai-tax") == profile
    assert [p.name for p in list_profiles(tmp_path)] == ["binhai-tax"]
    summary = ingest_file(
        "tax", _department_file(tmp_path), tmp_path / "home", received_on=RECEIVED_ON, profile=profile
    )
    assert summary.units == {"vat_sales": "万元"}
    assert read_source("tax", tmp_path / "home")["vat_sales"].tolist() == [10_000_000.0]

    (tmp_path / "profiles" / "typo.yaml").write_text(
        "name: typo\nsource: tax\ncolumn: {a: vat_sales}\n", encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="column: Extra inputs are not permitted"):
        load_profile(tmp_path, "typo")
    (tmp_path / "profiles" / "bad.yaml").write_text(
        "name: bad\nsource: tax\ncolumns: {a: sales}\n", encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="maps to 'sales', which tax does not have"):
        load_profile(tmp_path, "bad")
    with pytest.raises(ProfileError, match="no profile 'absent'"):
        load_profile(tmp_path, "absent")


def test_cli_ingest_with_columns_and_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zonecredit.cli import app
    from zonecredit.settings import get_settings

    monkeypatch.setenv("ZONECREDIT_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    runner = CliRunner()
    path = _department_file(tmp_path)
    refused = runner.invoke(
        app, ["data", "ingest", "tax", str(path), "--received-on", "2026-11-28", "--json"]
    )
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["batches"][0]["suggestions"] == HAND_MAPPING
    args = [f"--column={h}={c}" for h, c in HAND_MAPPING.items()]
    saved = runner.invoke(app, ["data", "profiles", "save", "binhai-tax", "--source", "tax", *args])
    assert saved.exit_code == 0, saved.output
    shown = runner.invoke(app, ["data", "profiles", "show", "binhai-tax", "--json"])
    assert json.loads(shown.stdout)["columns"] == HAND_MAPPING
    loaded = runner.invoke(
        app,
        [
            "data",
            "ingest",
            "tax",
            str(path),
            "--profile",
            "binhai-tax",
            "--received-on",
            "2026-11-28",
            "--json",
        ],
    )
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["rows_loaded"] == 1
    get_settings.cache_clear()
