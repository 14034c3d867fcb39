"""Declared against recorded figures: the same year, what was known on the as-of date, self-declared."""

from __future__ import annotations

import numpy as np
import pytest

from features.compute import compute_features
from features.registry import FEATURE_SETS, FEATURES_BY_NAME
from tests import factories

AS_OF = "2025-06-01"


def _declaration(channel: str, declared_on: str, **figures: float) -> dict:
    return {
        "credit_code": factories.HEALTHY,
        "year": 2024,
        "channel": channel,
        "declared_on": declared_on,
        "revenue": 120.0,
        "employees": 20,
        "rd_expense": 360.0,
        "investment": 12.0,
    } | figures


@pytest.fixture(scope="module")
def features():
    # The healthy enterprise records 100,000 CNY of sales a month (120 in 10k CNY a year), 20 insured
    # staff and 90 (10k CNY) of R&D a quarter; its project application states more than that.
    declared = factories.loaded(
        "declarations",
        [
            _declaration("self_report", "2025-02-10"),
            _declaration("project_application", "2025-03-10", revenue=180.0, employees=30, rd_expense=720.0),
            # submitted after the as-of date: unknown then
            _declaration("survey", "2025-07-01", revenue=900.0),
        ],
    )
    records = factories.combine(factories.world(), {"declarations": declared})
    return compute_features(records, AS_OF).set_index("credit_code")


def test_declared_figures_are_compared_with_the_same_years_records(features):
    healthy = features.loc[factories.HEALTHY]
    assert healthy["decl_has_declaration_24m"] == 1.0
    assert healthy["decl_channels_24m"] == 2.0  # the survey came later
    assert healthy["decl_revenue_to_tax_sales"] == pytest.approx(1.5)  # 180e4 / 1.2e6 CNY
    assert healthy["decl_revenue_overstatement"] == pytest.approx(0.5)
    assert healthy["decl_employees_to_insured"] == pytest.approx(1.5)
    assert healthy["decl_rd_to_statistics"] == pytest.approx(2.0)
    assert healthy["decl_investment_to_revenue"] == pytest.approx(12.0 / 180.0)
    assert healthy["decl_months_since_last"] == pytest.approx(
        (np.datetime64("2025-06-01") - np.datetime64("2025-03-10")).astype(int) / 30.4375
    )


def test_without_declarations_nothing_is_compared(features):
    other = features.drop(index=factories.HEALTHY)
    assert (other["decl_has_declaration_24m"] == 0).all()
    assert other["decl_revenue_overstatement"].isna().all()


def test_declaration_features_are_self_declared_and_overstating_raises_risk():
    credit = FEATURE_SETS["credit"]
    sign = dict(zip(credit.features, credit.monotone_constraints(), strict=True))
    assert sign["decl_revenue_overstatement"] == 1
    declared = [f for f in FEATURES_BY_NAME.values() if f.name.startswith("decl_")]
    assert declared and all(f.self_declared and f.source == "declarations" for f in declared)
    assert not FEATURES_BY_NAME["tax_vat_sales_sum_12m"].self_declared
