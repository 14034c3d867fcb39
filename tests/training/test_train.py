"""What a training run hands back to an analyst, and where its MLflow artifacts are kept."""

import pytest

from training.gate import GateDecision
from training.metrics import METRICS
from training.train import TrainResult

CHALLENGER = {"auc": 0.81, "ks": 0.5, "gini": 0.62, "brier": 0.1, "ece": 0.02}
CHAMPION = {"auc": 0.79, "ks": 0.48, "gini": 0.58, "brier": 0.11, "ece": 0.02}


def _result(decision: GateDecision | None) -> TrainResult:
    return TrainResult("credit", "run", "zonecredit-credit", "2", True, "why", gate=decision)


def test_holdout_comparison_puts_challenger_and_champion_side_by_side():
    table = _result(GateDecision(True, "better", CHALLENGER, CHAMPION, "1")).holdout_comparison()
    assert list(table.columns) == ["model", "version", *METRICS]
    assert table["model"].tolist() == ["challenger", "champion"]
    assert table["version"].tolist() == ["2", "1"]
    assert table["auc"].tolist() == [0.81, 0.79]


def test_without_a_champion_the_comparison_has_the_challenger_alone():
    assert _result(GateDecision(True, "no champion yet", CHALLENGER)).holdout_comparison()[
        "model"
    ].tolist() == ["challenger"]
    assert _result(None).holdout_comparison().empty


@pytest.mark.slow
def test_a_local_experiment_keeps_its_artifacts_in_the_data_directory(tmp_path, monkeypatch):
    import mlflow

    from training.train import use_experiment

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # MLflow's default would write ./mlruns here
    home = tmp_path / "home"
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    use_experiment("zonecredit-credit", home)
    use_experiment("zonecredit-credit", home)  # found, not created twice
    with mlflow.start_run():
        mlflow.log_text("card", "model_card.md")
    assert list((home / "mlartifacts").rglob("model_card.md"))
    assert not (elsewhere / "mlruns").exists()
