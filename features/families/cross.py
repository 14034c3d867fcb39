"""Cross-source features: ratios of one department's figures to another's, sources reported."""

from __future__ import annotations

import numpy as np

from features.families.base import (
    DOWN,
    NONE,
    Columns,
    FeatureDef,
    feature,
)
from features.windows import ratio


def _declare() -> list[FeatureDef]:
    s = "cross"
    return [
        feature(
            "x_tax_per_insured_12m",
            "近12个月人均增值税",
            "VAT payable per insured employee, 12 months",
            s,
            12,
            DOWN,
            False,
        ),
        feature(
            "x_sales_per_insured_12m",
            "近12个月人均销售额",
            "taxable sales per insured employee, 12 months",
            s,
            12,
            DOWN,
            False,
        ),
        feature(
            "x_electricity_per_insured_12m",
            "近12个月人均用电量",
            "electricity per insured employee, 12 months",
            s,
            12,
            NONE,
            False,
        ),
        feature(
            "x_contribution_per_insured_12m",
            "近12个月人均应缴社保费",
            "contributions due per insured employee",
            s,
            12,
            DOWN,
            True,
        ),
        feature(
            "x_base_per_insured_12m",
            "近12个月人均缴费基数",
            "contribution base per insured employee",
            s,
            12,
            DOWN,
            True,
        ),
        feature(
            "x_stat_employees_to_insured",
            "统计从业人数与参保人数之比",
            "statistics employees against insured headcount",
            s,
            12,
            NONE,
            True,
        ),
        feature(
            "x_stat_revenue_to_sales_4q",
            "统计营业收入与开票销售额之比",
            "statistics revenue against taxable sales",
            s,
            12,
            NONE,
            False,
        ),
        feature(
            "x_electricity_per_sales_12m",
            "近12个月单位销售额用电量",
            "electricity per unit of taxable sales",
            s,
            12,
            NONE,
            False,
        ),
        feature(
            "x_cit_to_sales_12m",
            "近12个月所得税预缴占销售额比例",
            "corporate income tax against sales",
            s,
            12,
            DOWN,
            False,
        ),
        feature("x_has_tax", "近12个月有税务记录", "has a tax record in 12 months", s, 12, DOWN, True),
        feature(
            "x_has_social_security",
            "近12个月有社保记录",
            "has a social-security record in 12 months",
            s,
            12,
            DOWN,
            True,
        ),
        feature(
            "x_has_utility", "近12个月有水电燃气记录", "has a utility record in 12 months", s, 12, DOWN, False
        ),
        feature(
            "x_sources_reported",
            "近12个月有记录的月度数据源数",
            "monthly sources with a record in 12 months",
            s,
            12,
            DOWN,
            False,
        ),
    ]


FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(tax: Columns, ss: Columns, util: Columns, stat: Columns) -> Columns:
    """Compute cross-source ratios from the other families' columns."""
    head = ss["ss_headcount_mean_12m"]
    sales = tax["tax_vat_sales_sum_12m"]
    has = {
        "x_has_tax": (tax["tax_months_reported_12m"] > 0).astype(np.float64),
        "x_has_social_security": (ss["ss_months_reported_12m"] > 0).astype(np.float64),
        "x_has_utility": (util["util_months_reported_12m"] > 0).astype(np.float64),
    }
    return {
        "x_tax_per_insured_12m": ratio(tax["tax_vat_payable_sum_12m"], head),
        "x_sales_per_insured_12m": ratio(sales, head),
        "x_electricity_per_insured_12m": ratio(util["util_electricity_sum_12m"], head),
        "x_contribution_per_insured_12m": ratio(ss["ss_due_sum_12m"], head),
        "x_base_per_insured_12m": ratio(ss["ss_contribution_base_mean_12m"], head),
        "x_stat_employees_to_insured": ratio(stat["stat_employees_last"], ss["ss_headcount_last"]),
        # Statistics report in 10k CNY, tax in CNY.
        "x_stat_revenue_to_sales_4q": ratio(stat["stat_revenue_sum_4q"] * 1e4, sales),
        "x_electricity_per_sales_12m": ratio(util["util_electricity_sum_12m"] * 1e4, sales),
        "x_cit_to_sales_12m": ratio(tax["tax_cit_prepaid_sum_12m"], sales),
        **has,
        "x_sources_reported": has["x_has_tax"] + has["x_has_social_security"] + has["x_has_utility"],
    }
