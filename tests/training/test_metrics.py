"""Metrics of SPEC §6 on cases with known answers."""

import numpy as np
import pytest

from training.metrics import (
    expected_calibration_error,
    metrics_by_zone,
    population_stability_index,
    score_metrics,
)


def test_perfect_ranking():
    m = score_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    assert m["auc"] == 1.0 and m["ks"] == 1.0 and m["gini"] == 1.0
    assert m["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)


def test_calibrated_probabilities_have_small_ece():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.3, 200_000)
    y = (rng.random(len(p)) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.005
    assert expected_calibration_error(y, p * 2) > 0.1


def test_psi_is_zero_for_the_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(size=50_000)
    assert population_stability_index(a, rng.normal(size=50_000)) < 0.01
    assert population_stability_index(a, rng.normal(1, 1, 50_000)) > 0.25


def test_by_zone_names_and_one_class_zones():
    y = np.array([0, 1, 0, 0])
    out = metrics_by_zone(
        y, np.array([0.1, 0.9, 0.2, 0.3]), np.array(["teda", "teda", "hitech", "hitech"]), "test"
    )
    assert out["test_auc_zone_teda"] == 1.0
    assert np.isnan(out["test_auc_zone_hitech"])  # only one class: AUC undefined
    assert "test_ece_zone_hitech" in out
