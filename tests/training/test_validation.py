"""Rating-system validation statistics (ECB §2.5) against hand-computed cases and scipy references."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.metrics import roc_auc_score

from training.validation import (
    auc_delong,
    auc_test,
    concentration,
    concentration_test,
    jeffreys,
    jeffreys_p_value,
    light,
    migration,
    validation_report,
)


def test_jeffreys_p_value_is_the_beta_posterior_mass_below_the_pd():
    # Reference by numeric integration of the Beta(D + ½, N − D + ½) density, not by beta.cdf.
    density = stats.beta(5.5, 95.5).pdf
    reference, _ = integrate.quad(density, 0, 0.02)
    assert jeffreys_p_value(0.02, defaults=5, n=100) == pytest.approx(reference, rel=1e-6)
    assert jeffreys_p_value(0.05, defaults=5, n=100) == pytest.approx(
        integrate.quad(density, 0, 0.05)[0], rel=1e-6
    )
    # No default at all: the posterior is Beta(½, N + ½); a PD of 1% on 500 obligors is plausible.
    assert jeffreys_p_value(0.01, 0, 500) > 0.9


def test_a_deliberately_miscalibrated_model_fails_jeffreys_and_a_calibrated_one_passes():
    rng = np.random.default_rng(11)
    true_pd = np.where(rng.random(4000) < 0.5, 0.02, 0.10)
    outcome = rng.random(4000) < true_pd
    grades = np.where(true_pd < 0.05, "BBB", "B")
    calibrated = jeffreys(grades, true_pd, outcome, ["BBB", "B"])
    assert all(row["p_value"] > 0.05 for row in calibrated["grades"])
    assert calibrated["portfolio"]["p_value"] > 0.05
    optimistic = jeffreys(grades, true_pd / 2, outcome, ["BBB", "B"])  # PDs half the truth
    assert all(row["p_value"] < 0.01 and row["light"] == "red" for row in optimistic["grades"])
    assert optimistic["portfolio"]["p_value"] < 1e-6
    assert [r["n"] for r in optimistic["grades"]] == [int((grades == g).sum()) for g in ("BBB", "B")]


def test_auc_and_delong_std_on_a_hand_computed_case():
    outcome = np.array([1, 1, 0, 0, 0])
    score = np.array([0.9, 0.6, 0.7, 0.3, 0.6])
    auc, std = auc_delong(outcome, score)
    # Pairs: 0.9 outranks all three (3); 0.6 outranks 0.3, ties 0.6 (1.5): 4.5 / 6.
    assert auc == pytest.approx(0.75)
    # V10 = (1, ½): var 0.125 / 2; V01 = (½, 1, ¾): var 0.0625 / 3.
    assert std == pytest.approx(np.sqrt(0.125 / 2 + 0.0625 / 3))


def test_delong_matches_sklearn_and_brute_force_placements():
    rng = np.random.default_rng(3)
    outcome = rng.random(400) < 0.2
    score = np.round(rng.normal(outcome * 0.8, 1.0), 1)  # rounded: many ties
    auc, std = auc_delong(outcome, score)
    assert auc == pytest.approx(roc_auc_score(outcome, score))
    pos, neg = score[outcome], score[~outcome]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    brute = psi.mean(axis=1).var(ddof=1) / len(pos) + psi.mean(axis=0).var(ddof=1) / len(neg)
    assert std == pytest.approx(np.sqrt(brute))


def test_auc_against_initial_validation():
    assert auc_test(0.80, 0.78, 0.01) == pytest.approx(1 - stats.norm.cdf(2.0))  # 0.02275
    assert auc_test(0.80, 0.82, 0.01) == pytest.approx(1 - stats.norm.cdf(-2.0))  # a rise is no alarm
    assert light(auc_test(0.80, 0.75, 0.01)) == "red"


def _migrations() -> tuple[list[str], list[str]]:
    counts = [[8, 2, 0], [1, 6, 3], [0, 1, 9]]
    order = ["A", "B", "C"]
    before, after = [], []
    for i, row in enumerate(counts):
        for j, c in enumerate(row):
            before += [order[i]] * c
            after += [order[j]] * c
    return before, after


def test_migration_matrix_and_matrix_weighted_bandwidths_by_hand():
    before, after = _migrations()
    result = migration(np.array(before), np.array(after), ["A", "B", "C"])
    assert result["matrix"] == [[8, 2, 0], [1, 6, 3], [0, 1, 9]]
    # Upper: (1·10·0.2 + 1·10·0.3) / (2·10·0.2 + 1·10·0.3 + 2·10·0) = 5/7.
    assert result["mwb_upper"] == pytest.approx(5 / 7)
    # Lower: (1·10·0.1 + 1·10·0.1) / (1·10·0.1 + 2·10·0.1) = 2/3.
    assert result["mwb_lower"] == pytest.approx(2 / 3)


def test_migration_stability_z_tests_by_hand():
    before, after = _migrations()
    tests = {
        (t["from"], t["to"]): t
        for t in migration(np.array(before), np.array(after), ["A", "B", "C"])["stability_tests"]
    }
    # B→A against B→B: z = (0.6 − 0.1) / √((0.09 + 0.24 + 2·0.06)/10).
    z = 0.5 / np.sqrt(0.045)
    assert tests[("B", "A")]["z"] == pytest.approx(z)
    assert tests[("B", "A")]["p_value"] == pytest.approx(stats.norm.cdf(z))
    # C→A against C→B: z = (0.1 − 0) / √(0.09/10).
    assert tests[("C", "A")]["z"] == pytest.approx(0.1 / np.sqrt(0.009))
    # A→B (above the diagonal) against A→A: z = (0.8 − 0.2) / √((0.16 + 0.16 + 0.32)/10).
    assert tests[("A", "B")]["z"] == pytest.approx(0.6 / np.sqrt(0.064))
    # A→C against A→B is mirrored: (0.2 − 0) / √(0.16/10).
    assert tests[("A", "C")]["z"] == pytest.approx(0.2 / np.sqrt(0.016))


def test_concentration_cv_herfindahl_and_test_by_hand():
    order = ["A", "B", "C"]
    result = concentration(np.array(["A", "A", "A", "B"]), order)
    assert result["cv"] == pytest.approx(np.sqrt(0.875))
    assert result["herfindahl"] == pytest.approx(1 + np.log(1.875 / 3) / np.log(3))
    assert concentration(np.array(["A", "B", "C"]), order)["herfindahl"] == pytest.approx(0.0)
    assert concentration(np.array(["B", "B"]), order)["herfindahl"] == pytest.approx(1.0)
    cv = np.sqrt(0.875)
    expected = 1 - stats.norm.cdf(np.sqrt(2) * (cv - 0.8) / np.sqrt(cv**2 * (0.5 + cv**2)))
    assert concentration_test(cv, 0.8, 3) == pytest.approx(expected)  # ≈ 0.4307
    assert concentration(np.array(["A", "A", "A", "B"]), order, 0.8)["p_value"] == pytest.approx(expected)


def test_validation_report_has_the_cli_shape():
    rng = np.random.default_rng(5)
    n = 3000
    pd_ = np.clip(rng.lognormal(np.log(0.03), 1.0, n), 0, 0.9)
    grades = np.where(pd_ < 0.01, "A", np.where(pd_ < 0.05, "B", "C"))
    frame = pd.DataFrame(
        {
            "credit_code": [f"c{i}" for i in range(n)],
            "as_of": pd.Timestamp("2025-06-30"),
            "pd": pd_,
            "score": np.round(600 - 50 * np.log(pd_ / 0.02)),
            "grade": grades,
            "feature_x": rng.normal(size=n),
            "outcome": (rng.random(n) < pd_).astype(float),
        }
    )
    development = frame.assign(feature_x=rng.normal(1.0, 1.0, n))  # a shifted feature
    previous = frame.assign(grade=np.roll(grades, 7))
    initial = validation_report(frame, frame, ["A", "B", "C"], ["feature_x"])
    report = validation_report(
        frame, development, ["A", "B", "C"], ["feature_x"], initial=initial, previous=previous, matured=frame
    )
    assert set(report) >= {"jeffreys", "auc", "migration", "concentration", "psi", "backtest"}
    assert {"grade", "pd", "n", "defaults", "p_value"} <= set(report["jeffreys"]["grades"][0])
    assert set(report["auc"]) >= {"value", "std", "initial", "p_value"}
    assert report["auc"]["initial"] == pytest.approx(report["auc"]["value"])
    assert report["auc"]["p_value"] == pytest.approx(0.5)
    assert {"matrix", "mwb_upper", "mwb_lower"} <= set(report["migration"])
    assert report["psi"]["features"][0]["band"] == "shift" and report["psi"]["score"] == pytest.approx(0.0)
    assert report["backtest"]["portfolio"]["n"] == n
