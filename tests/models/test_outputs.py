"""Full outputs: reasons, improvements, repair warnings, activity, persistence, pyfunc."""

import numpy as np
import pandas as pd
import pytest

from models.activity import zone_activity_index
from models.preprocess import FeatureRowsError
from models.scoring import ScoringModel


def test_credit_output_has_every_field(credit):
    model, test = credit
    out = model.predict(test.head(50))
    for column in (
        "credit_code",
        "as_of",
        "model",
        "feature_set_version",
        "pd",
        "score",
        "grade",
        "supervision_class",
        "override_reason_zh",
        "reason_1_zh",
        "reason_1_en",
    ):
        assert column in out
    assert out["feature_set_version"].iloc[0].startswith("credit-")
    assert out["score"].between(300, 900).all()


def test_reasons_push_toward_default_and_read_as_text(credit):
    model, test = credit
    out = model.predict(test.head(200), top_reasons=3)
    named = out["reason_1_feature"].notna()
    assert named.mean() > 0.9
    assert (out.loc[named, "reason_1_contribution"] > 0).all()
    assert (out.loc[named, "reason_1_contribution"] >= out.loc[named, "reason_2_contribution"]).all()
    arrears = out[out["reason_1_feature"] == "tax_arrears_months_12m"]
    if len(arrears):
        assert arrears["reason_1_en"].iloc[0] == "high: months with tax arrears in 12"
        assert arrears["reason_1_zh"].iloc[0] == "近12个月欠税月数偏高"


def test_improvements_lift_or_leave_pd(credit):
    model, test = credit
    rows = test.head(100)
    out = model.predict(rows, top_reasons=0, improvements=True)
    assert (out["improvement_pd"] <= out["pd"] + 1e-12).all()
    lifted = out[out["improvement_reaches_next_grade"] & (out["grade"] != "AAA")]
    assert len(lifted) > 0
    assert lifted["improvement_en"].str.len().gt(0).all()


def test_improvements_move_only_adverse_values(credit):
    model, test = credit
    rows = test.head(100).copy()
    levers = {n: t for n, t in model.improvement_targets.items() if n in model.spec.features}
    assert levers
    # Every lever missing or already at its good-side target: nothing is adverse, nothing to propose.
    for name, target in levers.items():
        rows[name] = np.where(np.arange(len(rows)) % 2 == 0, np.nan, target)
    out = model.predict(rows, top_reasons=0, improvements=True)
    assert (out["improvement_en"] == "").all()
    np.testing.assert_allclose(out["improvement_pd"], out["pd"])


def test_repair_warning_levels_use_thresholds_from_validation(repair):
    model, test = repair
    assert 0 < model.thresholds["amber"] <= model.thresholds["red"] < 1
    out = model.predict(test.head(300), top_reasons=1)
    assert set(out["warning_level"]) <= {"red", "amber", "none"}
    red = out["warning_level"] == "red"
    assert (out.loc[red, "p_unrepaired"] >= model.thresholds["red"]).all()
    assert "records_en" in out


def test_activity_score_is_100_times_probability(activity):
    model, test = activity
    out = model.predict(test.head(100), top_reasons=0)
    np.testing.assert_allclose(out["activity_score"], np.round(100 * out["p_active"], 1))
    assert out["activity_score"].between(0, 100).all()


def test_zone_activity_index_is_100_in_the_base_period(activity):
    model, test = activity
    rows = test.copy()
    rows["activity_score"] = model.predict(rows, top_reasons=0)["activity_score"].to_numpy()
    index = zone_activity_index(rows)
    base = index[index["as_of"] == index["as_of"].min()]
    np.testing.assert_allclose(base["index"], 100.0)
    for component in ("tax", "employment", "electricity", "ip", "mean_activity_score"):
        np.testing.assert_allclose(base[f"{component}_index"], 100.0)
    assert len(index) == rows["reg_zone"].nunique() * rows["as_of"].nunique()


def test_zone_activity_index_follows_its_components():
    rows = pd.DataFrame(
        {
            "reg_zone": ["teda"] * 4,
            "as_of": pd.to_datetime(["2025-01-31"] * 2 + ["2025-02-28"] * 2),
            "tax_vat_sales_mean_3m": [10.0, 10.0, 20.0, 20.0],
            "ss_headcount_last": [5.0, 5.0, 5.0, 5.0],
            "util_electricity_mean_3m": [1.0, 1.0, 1.0, 1.0],
            "ip_invention_application_count_12m": [0.0] * 4,
            "ip_invention_grant_count_12m": [0.0] * 4,
            "ip_utility_grant_count_12m": [0.0] * 4,
            "ip_trademark_count_12m": [0.0] * 4,
        }
    )
    index = zone_activity_index(rows).set_index("as_of")
    assert index.loc["2025-02-28", "tax_index"] == 200.0
    # IP has no base value and drops out; tax doubled, employment and electricity flat.
    assert index.loc["2025-02-28", "index"] == pytest.approx((200 + 100 + 100) / 3)


def test_a_model_round_trips_through_its_artifact_folder(credit, tmp_path):
    model, test = credit
    again = ScoringModel.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(model.predict(test.head(20)), again.predict(test.head(20)))


def test_text_categories_from_a_client_score_like_categoricals(credit):
    model, test = credit
    rows = test.head(20)
    as_text = rows.astype({"reg_zone": "object", "reg_industry": "object"})
    np.testing.assert_array_equal(model.probability(rows), model.probability(as_text))


def test_missing_feature_columns_are_refused_by_name(credit):
    model, test = credit
    with pytest.raises(FeatureRowsError, match="tax_arrears_months_12m"):
        model.predict(test.drop(columns=["tax_arrears_months_12m"]).head(3))


@pytest.mark.parametrize("kind", ["credit", "repair", "activity"])
def test_plain_columns_score_exactly_like_a_frame(kind, request):
    """The API's bulk path (name → array, no frame) and the batch path give the same outputs."""
    model, test = request.getfixturevalue(kind)
    rows = test.head(200)
    frame = model.predict(rows, top_reasons=3)
    columns = {name: rows[name].to_numpy(object if name in model.spec.categories else None) for name in rows}
    outputs = model.outputs(model.spec.matrix(columns), top_reasons=3)
    assert list(outputs) == [c for c in frame.columns if c not in ("credit_code", "as_of")]
    for name, values in outputs.items():
        np.testing.assert_array_equal(values, frame[name].to_numpy(), err_msg=name)
