"""Each feature family on hand-built enterprises with answers worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from features.compute import compute_features, latest_reported_period
from tests import factories as f

AS_OF = pd.Timestamp("2025-06-01")


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return compute_features(f.world(), AS_OF).set_index("credit_code")


def test_windows_end_at_the_latest_period_the_lag_delivers():
    assert latest_reported_period("tax", AS_OF) == pd.Timestamp("2025-04-01")  # due 15 May
    assert latest_reported_period("social_security", AS_OF) == pd.Timestamp("2025-04-01")
    assert latest_reported_period("utility", AS_OF) == pd.Timestamp("2025-04-01")
    assert latest_reported_period("statistics", AS_OF) == pd.Timestamp("2025-01-01")


def test_registry(features):
    healthy, newcomer = features.loc[f.HEALTHY], features.loc[f.NEWCOMER]
    assert healthy["reg_zone"] == "hitech" and healthy["reg_industry"] == "I65"
    assert healthy["reg_industry_section"] == "I"
    assert healthy["reg_age_months"] == pytest.approx(120.4, abs=0.1)
    assert healthy["reg_log_registered_capital"] == pytest.approx(np.log1p(5000))
    assert newcomer["reg_is_young"] == 1 and newcomer["reg_is_active"] == 1
    assert features["reg_zone"].dtype == "category"


def test_tax(features):
    struggling = features.loc[f.STRUGGLING]
    # Returns filed late every 4th month from June 2022: 3 in May 2024 – April 2025.
    assert struggling["tax_late_filings_12m"] == 3
    assert struggling["tax_filed_on_time_rate_12m"] == pytest.approx(0.75)
    # Arrears from December 2024 rising by 5,000 a month; April 2025 is the newest delivered.
    assert struggling["tax_arrears_months_12m"] == 5
    assert struggling["tax_arrears_balance_last"] == 25_000
    healthy = features.loc[f.HEALTHY]
    assert healthy["tax_vat_sales_sum_12m"] == 1_200_000
    assert healthy["tax_vat_sales_yoy_12m"] == 0 and healthy["tax_vat_sales_std_12m"] == 0
    assert features.loc[f.NEWCOMER, "tax_months_reported_12m"] == 0
    assert np.isnan(features.loc[f.NEWCOMER, "tax_vat_sales_mean_12m"])


def test_window_statistics_on_a_ramp():
    ramp = [float(i) for i in range(30)]
    records = f.combine(
        {"registry": f.registry(f.HEALTHY), "tax": f.tax(f.HEALTHY, "2022-11-01", 30, vat_sales=ramp)}
    )
    row = compute_features(records, AS_OF).iloc[0]
    # Grid ends April 2025 = value 29; 2022-11 is value 0.
    assert row["tax_vat_sales_last"] == 29
    assert row["tax_vat_sales_mean_3m"] == 28
    assert row["tax_vat_sales_slope_12m"] == pytest.approx(1.0)
    assert row["tax_vat_sales_std_12m"] == pytest.approx(np.std(ramp[-12:], ddof=1))
    assert row["tax_vat_sales_yoy_12m"] == pytest.approx(np.mean(ramp[-12:]) / np.mean(ramp[-24:-12]) - 1)


def test_social_security(features):
    struggling = features.loc[f.STRUGGLING]
    # Headcount falls by one a month: 40 in June 2022, 6 in April 2025.
    assert struggling["ss_headcount_last"] == 6
    assert struggling["ss_headcount_slope_12m"] == pytest.approx(-1.0)
    assert struggling["ss_headcount_mean_3m"] == 7
    assert struggling["ss_months_in_arrears_12m"] == 0  # arrears start after as-of


def test_utility(features):
    struggling = features.loc[f.STRUGGLING]
    assert struggling["util_arrears_run_months"] == 5
    assert struggling["util_months_in_arrears_24m"] == 5
    assert features.loc[f.HEALTHY, "util_electricity_mean_12m"] == 8_000


def test_statistics_and_missingness(features):
    healthy, struggling = features.loc[f.HEALTHY], features.loc[f.STRUGGLING]
    assert healthy["stat_has_report"] == 1 and struggling["stat_has_report"] == 0
    assert healthy["stat_revenue_sum_4q"] == 12_000
    assert healthy["stat_liabilities_to_assets_last"] == 0.5
    assert healthy["stat_rd_intensity_4q"] == pytest.approx(0.03)
    assert np.isnan(struggling["stat_revenue_sum_4q"])


def test_tax_grade(features):
    healthy, struggling = features.loc[f.HEALTHY], features.loc[f.STRUGGLING]
    assert healthy["tg_last_grade"] == "A" and healthy["tg_grade_change"] == 1
    assert struggling["tg_last_is_d"] == 1 and struggling["tg_c_or_d_count_3y"] == 2
    # The 2025 grade is published in April 2026: on 2025-06-01 the newest is 2024's.
    assert struggling["tg_years_since_grade"] == 1


def test_ip(features):
    healthy = features.loc[f.HEALTHY]
    assert healthy["ip_invention_grant_count_12m"] == 1
    assert healthy["ip_invention_application_count_12m"] == 0  # February 2023: older than 12 months
    assert healthy["ip_pledge_amount_24m"] == 300
    assert healthy["ip_patents_net"] == 1


def test_credit_events(features):
    struggling = features.loc[f.STRUGGLING]
    # S1 penalty (Dec 2024) and S2 abnormal listing (Mar 2025) in force; S3 repaired; S4 later.
    assert struggling["ce_active_unrepaired_total"] == 2
    assert struggling["ce_active_abnormal_operation"] == 1
    assert struggling["ce_active_judgment_defaulter"] == 0
    assert struggling["ce_repaired_count_36m"] == 1
    assert struggling["ce_repairable_now_count"] == 1  # S1 repairable from 2025-03-10
    assert struggling["ce_days_to_repairable_min"] == 4  # S2 from 2025-06-05
    assert struggling["ce_display_days_left_max"] == (pd.Timestamp("2026-03-05") - AS_OF).days
    assert struggling["ce_days_to_escalation_min"] == (pd.Timestamp("2028-03-05") - AS_OF).days
    assert features.loc[f.HEALTHY, "ce_honor_count_12m"] == 1


def test_cross_source_ratios(features):
    healthy = features.loc[f.HEALTHY]
    assert healthy["x_tax_per_insured_12m"] == pytest.approx(156_000 / 20)
    assert healthy["x_stat_employees_to_insured"] == pytest.approx(25 / 20)
    assert healthy["x_sources_reported"] == 3
    assert features.loc[f.NEWCOMER, "x_sources_reported"] == 0


def test_empty_partition_gives_an_empty_table_with_the_same_columns():
    empty = compute_features({}, AS_OF)
    assert len(empty) == 0
    assert list(empty.columns) == list(compute_features(f.world(), AS_OF).columns)
