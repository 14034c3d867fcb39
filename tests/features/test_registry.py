"""The registry declares every feature the pipeline computes, once, with a stable version."""

from dataclasses import replace

from data import vocabulary
from features import registry
from features.compute import compute_features
from features.registry import (
    FEATURE_NAMES,
    FEATURE_SET_VERSION,
    FEATURE_SETS,
    FEATURES,
    definitions_version,
    describe_features,
)
from tests import factories


def test_at_least_120_uniquely_named_features_with_both_languages():
    assert len(FEATURES) >= 120
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    for feature in FEATURES:
        assert feature.description_zh and feature.description_en
        assert feature.direction in ("increases_risk", "decreases_risk", "none")


def test_computed_columns_are_the_registry_in_order():
    features = compute_features(factories.world(), "2025-06-01")
    assert list(features.columns) == ["credit_code", "as_of", *FEATURE_NAMES]
    assert features.attrs["feature_set_version"] == FEATURE_SET_VERSION


def test_version_follows_the_definitions():
    assert definitions_version(FEATURES) == FEATURE_SET_VERSION
    changed = (replace(FEATURES[0], direction="increases_risk"), *FEATURES[1:])
    assert definitions_version(changed) != FEATURE_SET_VERSION


def test_feature_sets_name_registered_features_and_give_monotone_constraints():
    for feature_set in FEATURE_SETS.values():
        assert set(feature_set.features) <= set(FEATURE_NAMES)
        constraints = feature_set.monotone_constraints()
        assert len(constraints) == len(feature_set.features)
    credit = FEATURE_SETS["credit"]
    sign = dict(zip(credit.features, credit.monotone_constraints(), strict=True))
    assert sign["tax_arrears_balance_last"] == 1
    assert sign["tax_filed_on_time_rate_12m"] == -1
    assert sign["reg_zone"] == 0
    assert FEATURE_SETS["activity"].version.startswith("activity-")


def test_describe_lists_every_feature():
    frame = describe_features()
    assert list(frame["name"]) == list(FEATURE_NAMES)
    assert {"description_zh", "description_en", "direction", "actionable"} <= set(frame.columns)
    assert len(describe_features("activity")) == len(FEATURE_SETS["activity"].features)


def test_categorical_features_have_fixed_categories():
    for feature in FEATURES:
        if feature.kind == "categorical":
            assert registry.CATEGORIES[feature.name]
    assert "C39" in vocabulary.INDUSTRIES and "I65" in vocabulary.INDUSTRIES
