"""Loading the champion for analysis: the registered version behind the alias, or a clear error."""

from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from models.packaged import NoChampionError, log_pyfunc
from tests.models.conftest import fitted
from training.evaluate import load_champion
from training.train import use_experiment


def test_without_a_champion_the_error_says_what_to_do(tmp_path: Path):
    with pytest.raises(NoChampionError, match=r"zonecredit-credit has no champion yet; train one first"):
        load_champion("credit", f"sqlite:///{tmp_path / 'mlflow.db'}")


@pytest.mark.slow
def test_the_champion_is_the_version_behind_the_alias(tmp_path: Path):
    model, _ = fitted("credit")
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking_uri)
    use_experiment("pyfunc", tmp_path)  # artifacts under tmp_path, not ./mlruns of the checkout
    with mlflow.start_run():
        info = log_pyfunc(model, tmp_path)
    version = mlflow.register_model(info.model_uri, "zonecredit-credit").version
    MlflowClient().set_registered_model_alias("zonecredit-credit", "champion", version)
    loaded_version, loaded = load_champion("credit", tracking_uri)
    assert loaded_version == str(version) == "1"
    assert loaded.fingerprint == model.fingerprint


def test_reading_a_registry_leaves_mlflows_process_wide_store_alone(tmp_path: Path):
    """The URI is passed, not set: what MLflow (and child processes, through the environment) use stays."""
    import os

    from models.packaged import tracking
    from training.evaluate import evaluate

    outer = f"sqlite:///{tmp_path / 'outer.db'}"
    with tracking(outer):
        with pytest.raises(NoChampionError):
            load_champion("credit", f"sqlite:///{tmp_path / 'mlflow.db'}")
        assert evaluate(f"sqlite:///{tmp_path / 'mlflow.db'}").empty
        assert mlflow.get_tracking_uri() == outer == os.environ["MLFLOW_TRACKING_URI"]
    assert mlflow.get_tracking_uri() != outer and os.environ.get("MLFLOW_TRACKING_URI") != outer


def test_no_call_falls_back_to_mlflows_default_store_in_the_working_folder(tmp_path: Path, monkeypatch):
    """With no process-wide URI (a fresh process), MLflow's default is ./mlflow.db of the cwd."""
    import mlflow.tracking._tracking_service.utils as tracking_state
    from mlflow.exceptions import MlflowException

    from training.evaluate import evaluate
    from training.monitoring import initial_report

    monkeypatch.setattr(tracking_state, "_tracking_uri", None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    registry = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert evaluate(registry).empty
    with pytest.raises(NoChampionError):
        load_champion("credit", registry)
    with pytest.raises(MlflowException):
        initial_report("credit", "1", registry)  # no such model version in this registry
    assert list(elsewhere.iterdir()) == []
