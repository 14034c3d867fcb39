"""Fitting pieces: constraints from the registry, warning thresholds, calibration, fingerprints."""

import numpy as np
import pytest

from models.calibration import Calibrator
from models.preprocess import FeatureSpec
from tests.worlds import synthetic_panel
from training.fit import booster_params, repair_thresholds
from training.panels import data_fingerprint


def test_monotone_constraints_follow_registry_directions():
    spec = FeatureSpec.from_registry("credit")
    credit = dict(
        zip(spec.features, booster_params(spec, "credit", {}, 0)["monotone_constraints"], strict=True)
    )
    assert credit["tax_arrears_months_12m"] == 1
    assert credit["util_paid_ratio_12m"] == -1
    assert credit["reg_zone"] == 0 and credit["ss_due_sum_12m"] == 0
    activity_spec = FeatureSpec.from_registry("activity")
    activity = dict(
        zip(
            activity_spec.features,
            booster_params(activity_spec, "activity", {}, 0)["monotone_constraints"],
            strict=True,
        )
    )
    assert activity["tax_arrears_months_12m"] == -1  # the activity booster models being active


def test_zone_stands_in_its_own_interaction_group():
    spec = FeatureSpec.from_registry("credit")
    groups = booster_params(spec, "credit", {}, 0)["interaction_constraints"]
    assert groups[0] == [spec.features.index("reg_zone")]
    assert len(groups[1]) == len(spec.features) - 1


def test_repair_thresholds_meet_precision_and_recall():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20_000)
    y = (rng.random(len(p)) < p).astype(float)
    t = repair_thresholds(y, p, red_precision=0.8, amber_recall=0.8)
    assert y[p >= t["red"]].mean() >= 0.8 - 0.01
    assert y[p >= t["amber"]].sum() / y.sum() >= 0.8
    assert t["amber"] <= t["red"]


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_is_monotone_and_bounded(method):
    rng = np.random.default_rng(0)
    raw = rng.uniform(size=5000)
    y = (rng.random(5000) < raw**2).astype(float)
    calibrated = Calibrator.fit(raw, y, method)(np.linspace(0, 1, 101))
    assert np.all(np.diff(calibrated) >= 0)
    assert calibrated.min() > 0 and calibrated.max() < 1


def test_data_fingerprint_changes_with_the_data():
    panel = synthetic_panel("credit", n=50)
    assert data_fingerprint(panel) == data_fingerprint(panel.copy())
    changed = panel.copy()
    changed.loc[0, "tax_arrears_months_12m"] += 1
    assert data_fingerprint(changed) != data_fingerprint(panel)


def test_a_validation_year_with_more_defaults_does_not_move_credit_pds():
    """Credit keeps the booster's own probabilities (see CALIBRATION); repair is recalibrated."""
    from features.panel import split_out_of_time
    from training.fit import fit_booster, label_column, scoring_model

    for kind, recalibrated in (("credit", False), ("repair", True)):
        train, valid, test = split_out_of_time(synthetic_panel(kind, n=600, seed=3))
        spec = FeatureSpec.from_registry(kind)
        booster = fit_booster(kind, spec, train, valid, {"num_leaves": 7}, seed=3)  # type: ignore[arg-type]
        bad_year = valid.copy()
        column = label_column(kind)
        bad_year[column] = np.where(np.arange(len(valid)) % 3 == 0, 1, bad_year[column])
        as_trained = scoring_model(kind, spec, booster, train, valid).probability(test)
        after_bad_year = scoring_model(kind, spec, booster, train, bad_year).probability(test)
        assert np.allclose(as_trained, after_bad_year) == (not recalibrated), kind
        if not recalibrated:
            raw = booster.predict(spec.matrix(test))
            assert np.allclose(as_trained, np.clip(raw, 1e-4, 1 - 1e-4))
