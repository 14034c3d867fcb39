"""Supervision policy: strict file, PD bands, SPEC §5 overrides, the 容错 tolerance rule."""

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from models.policy import DEFAULT_POLICY_PATH, load_policy, parse_policy

POLICY = load_policy()
PDS = np.array([0.001, 0.0149, 0.015, 0.03, 0.05, 0.24, 0.25, 0.9])


def _features(**columns: list[float]) -> dict[str, np.ndarray]:
    return {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}


def test_default_policy_bands_are_monotone_in_pd():
    klass, zh, en = POLICY.classify(PDS, {})
    assert klass.tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]  # lower bound inclusive
    assert set(zh) == {""} and set(en) == {""}
    grid = np.linspace(0, 1, 2001)
    ranks = np.searchsorted(["A", "B", "C", "D"], POLICY.classify(grid, {})[0])
    assert np.all(np.diff(ranks) >= 0)


@pytest.mark.parametrize("column", ["ce_active_serious_dishonesty", "ce_active_judgment_defaulter"])
def test_serious_records_force_class_d(column):
    klass, zh, en = POLICY.classify(np.array([0.001, 0.03, 0.5]), _features(**{column: [1, 1, 1]}))
    assert klass.tolist() == ["D", "D", "D"]
    assert all("class D" in reason for reason in en) and all(zh)


@pytest.mark.parametrize("column", ["ce_active_abnormal_operation", "tg_last_is_d"])
def test_abnormal_operation_or_tax_grade_d_caps_at_c(column):
    klass, _, en = POLICY.classify(np.array([0.001, 0.02, 0.05, 0.5]), _features(**{column: [1, 1, 1, 1]}))
    assert klass.tolist() == ["C", "C", "C", "D"]  # a model D stays D
    assert all("at best C" in reason for reason in en)


def test_several_overrides_are_all_reported_and_missing_flags_never_fire():
    klass, zh, en = POLICY.classify(
        np.array([0.001, 0.001]), _features(ce_active_serious_dishonesty=[1, 0], tg_last_is_d=[1, np.nan])
    )
    assert klass.tolist() == ["D", "A"]
    assert en[0].count(";") == 1 and zh[0].count("；") == 1 and en[1] == ""


def _records(minor: float, general: float, serious: float, months_ago: float) -> dict[str, list[float]]:
    return {
        "ce_negative_minor_count_36m": [minor],
        "ce_negative_general_count_36m": [general],
        "ce_negative_serious_count_36m": [serious],
        "ce_months_since_last_negative": [months_ago],
    }


def test_a_first_minor_record_is_tolerated_but_not_a_second_or_an_old_or_serious_one():
    pd_ = np.array([0.10])  # class C by its PD
    assert POLICY.classify(pd_, _features(**_records(1, 0, 0, 3)))[0][0] == "B"
    assert POLICY.classify(pd_, _features(**_records(0, 1, 0, 11)))[0][0] == "B"
    assert "tolerated" in POLICY.classify(pd_, _features(**_records(1, 0, 0, 3)))[2][0]
    assert POLICY.classify(pd_, _features(**_records(1, 1, 0, 3)))[0][0] == "C"  # a second record
    assert POLICY.classify(pd_, _features(**_records(1, 0, 0, 12)))[0][0] == "C"  # too old
    assert POLICY.classify(pd_, _features(**_records(0, 0, 1, 3)))[0][0] == "C"  # serious
    assert POLICY.classify(np.array([0.001]), _features(**_records(1, 0, 0, 3)))[0][0] == "A"  # never worsens


def test_tolerance_never_overrides_a_forced_d():
    features = _features(**_records(0, 1, 0, 2), ce_active_judgment_defaulter=[1])
    assert POLICY.classify(np.array([0.10]), features)[0][0] == "D"


def test_policy_file_is_strict(tmp_path: Path):
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    with pytest.raises(ValidationError, match="thresholds must increase"):
        parse_policy(text.replace("B = 0.04", "B = 0.3"))
    with pytest.raises(ValidationError, match="Extra inputs"):
        parse_policy(text.replace("[tolerance]", "[tolerance]\nmonth = 3"))
    with pytest.raises(ValidationError, match="inspection_rate"):
        parse_policy(text.replace("D = 0.50", ""))
    changed = parse_policy(text.replace("C = 0.25", "C = 0.2"))
    assert changed.version == POLICY.version and changed.fingerprint != POLICY.fingerprint


def test_every_class_has_an_inspection_rate_rising_with_risk():
    rates = [POLICY.inspection_rate[c] for c in "ABCD"]
    assert rates == sorted(rates) and all(0 <= r <= 1 for r in rates)
