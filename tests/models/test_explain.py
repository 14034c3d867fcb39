"""SHAP contributions as DataFrames: they add up to the booster's output and agree with the reasons."""

import numpy as np
import pytest

from models.explain import EXPECTED_VALUE, explain_enterprise, shap_values


def test_shap_values_sum_to_the_boosters_log_odds(credit):
    model, test = credit
    rows = test.head(300)
    values = shap_values(model, rows)
    assert list(values.columns) == [*model.spec.features, EXPECTED_VALUE]
    assert values.index.equals(rows.index)
    probability = model.raw(model.spec.matrix(rows))
    np.testing.assert_allclose(values.sum(axis=1), np.log(probability / (1 - probability)), atol=1e-6)


def test_an_enterprise_is_explained_by_its_strongest_features_and_the_top_reason_leads(credit):
    model, test = credit
    code = test["credit_code"].iloc[7]
    explanation = explain_enterprise(model, test, code, top=5)
    assert len(explanation) == 5
    assert explanation["contribution"].abs().is_monotonic_decreasing
    assert set(explanation["effect"]) <= {"raises pd", "lowers pd"}
    latest = test[test["credit_code"] == code].sort_values("as_of").tail(1)
    reason = model.predict(latest, top_reasons=1)["reason_1_feature"].iloc[0]
    every = explain_enterprise(model, test, code, top=len(model.spec.features))
    assert len(every) == len(model.spec.features)
    assert reason == every.loc[every["contribution"].idxmax(), "feature"]
    assert explanation["description_en"].str.len().gt(0).all()


def test_explaining_needs_one_enterprise(credit):
    model, test = credit
    with pytest.raises(ValueError, match="name one with credit_code"):
        explain_enterprise(model, test)
    with pytest.raises(ValueError, match="no feature row"):
        explain_enterprise(model, test, "91120116MA05T3K726")
