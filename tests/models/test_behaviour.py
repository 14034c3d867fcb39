"""Model behaviour: direction, invariance, policy, reproducibility (Made With ML's third tier)."""

import numpy as np
import pandas as pd

from models.scale import GRADES
from tests.models.conftest import fitted
from tests.worlds import ZONES
from training.fit import outcome
from training.metrics import score_metrics

ARREARS = ["tax_arrears_months_12m", "ss_arrears_months_last"]


def test_more_arrears_never_raises_the_score(credit):
    model, test = credit
    rows = test.head(300)
    base = model.predict(rows, top_reasons=0)["score"].to_numpy()
    for column in ARREARS:
        for extra in (1, 3, 12):
            worse = rows.copy()
            worse[column] = worse[column] + extra
            assert np.all(model.predict(worse, top_reasons=0)["score"].to_numpy() <= base)


def test_changing_only_the_zone_moves_a_grade_by_at_most_one_notch(credit):
    model, test = credit
    rows = test.head(500)
    notches = []
    for zone in ZONES:
        moved = rows.copy()
        moved["reg_zone"] = pd.Categorical([zone] * len(rows), categories=rows["reg_zone"].cat.categories)
        grade = model.predict(moved, top_reasons=0)["grade"]
        notches.append(grade.map(GRADES.index).to_numpy())
    spread = np.max(notches, axis=0) - np.min(notches, axis=0)
    assert spread.max() <= 1


def test_an_active_serious_dishonesty_record_always_gives_class_d(credit):
    model, test = credit
    rows = test.head(300).copy()
    rows["ce_active_serious_dishonesty"] = 1.0
    out = model.predict(rows, top_reasons=0)
    assert (out["supervision_class"] == "D").all()
    assert out["override_reason_en"].str.contains("serious-dishonesty").all()


def test_the_same_seed_gives_the_same_model(credit):
    model, test = credit
    again, _ = fitted("credit", seed=0)
    np.testing.assert_array_equal(model.probability(test), again.probability(test))
    assert model.fingerprint == again.fingerprint


def test_the_model_ranks_better_than_chance(credit, repair, activity):
    for model, test in (credit, repair, activity):
        assert score_metrics(outcome(model.kind, test), model.probability(test))["auc"] > 0.6
