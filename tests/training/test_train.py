"""What a training run hands back to an analyst: the gate's comparison on the shared holdout."""

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
