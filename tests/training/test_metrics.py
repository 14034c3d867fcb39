"""Metrics of SPEC §6 on cases with known answers."""

import numpy as np
import pandas as pd
import pytest

from training.metrics import (
    expected_calibration_error,
    metrics_by_zone,
    population_stability_index,
    psi_by_feature,
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


def test_psi_by_feature_ranks_the_shifted_feature_first_and_counts_missing_as_drift():
    rng = np.random.default_rng(2)
    n = 20_000
    levels = ["teda", "bonded", "hitech"]
    before = pd.DataFrame(
        {
            "tax_vat_sales_mean_12m": rng.lognormal(12, 1, n),
            "ss_headcount_last": rng.poisson(30, n).astype(float),
            "util_electricity_mean_3m": rng.lognormal(9, 1, n),
            "reg_zone": pd.Categorical(rng.choice(levels, n), categories=levels),
        }
    )
    after = before.sample(frac=1, random_state=0).reset_index(drop=True)
    after["tax_vat_sales_mean_12m"] *= 3  # a shift
    after.loc[: n // 2, "util_electricity_mean_3m"] = np.nan  # half the utility feed stops
    after["reg_zone"] = pd.Categorical(np.where(rng.random(n) < 0.8, "teda", "hitech"), categories=levels)
    table = psi_by_feature(before, after).set_index("feature")
    assert set(table.index) == set(before.columns)
    assert table.loc["ss_headcount_last", "psi"] < 0.01 and table.loc["ss_headcount_last", "band"] == "stable"
    for shifted in ("tax_vat_sales_mean_12m", "util_electricity_mean_3m", "reg_zone"):
        assert table.loc[shifted, "psi"] > 0.25 and table.loc[shifted, "band"] == "shift"
    assert table.loc["util_electricity_mean_3m", "missing_actual"] == pytest.approx(0.5, abs=0.01)
    assert np.isfinite(table["psi"]).all() and table["psi"].is_monotonic_decreasing
    assert table.loc["ss_headcount_last", "description_en"] == "latest reported insured headcount"


def test_psi_by_feature_refuses_an_empty_period():
    frame = pd.DataFrame({"ss_headcount_last": [1.0, 2.0]})
    with pytest.raises(ValueError, match="both periods"):
        psi_by_feature(frame, frame.iloc[:0])
