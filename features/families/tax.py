"""Tax features: VAT sales and payable, income tax prepaid, filing punctuality, arrears."""

from __future__ import annotations

from features.families.base import (
    DOWN,
    FULL_SERIES,
    UP,
    Columns,
    FeatureDef,
    feature,
    full_series,
    windowed,
)
from features.windows import Series


def _declare() -> list[FeatureDef]:
    s = "tax"
    return [
        *windowed("tax_vat_sales", s, "增值税应税销售额", "VAT taxable sales", DOWN, False, FULL_SERIES),
        *windowed(
            "tax_vat_payable",
            s,
            "增值税应纳税额",
            "VAT payable",
            DOWN,
            False,
            [("mean", 12), ("sum", 12), ("slope", 12), ("yoy", 12)],
        ),
        *windowed(
            "tax_cit_prepaid",
            s,
            "企业所得税预缴额",
            "corporate income tax prepaid",
            DOWN,
            False,
            [("sum", 12), ("sum", 24)],
        ),
        *[
            feature(
                f"tax_filed_on_time_rate_{w}m",
                f"近{w}个月按期申报率",
                f"share of returns filed on time over {w} months",
                s,
                w,
                DOWN,
                True,
            )
            for w in (6, 12, 24)
        ],
        feature(
            "tax_late_filings_12m", "近12个月逾期申报次数", "late returns over 12 months", s, 12, UP, True
        ),
        *[
            feature(
                f"tax_zero_return_share_{w}m",
                f"近{w}个月零申报占比",
                f"share of zero returns over {w} months",
                s,
                w,
                UP,
                False,
            )
            for w in (6, 12)
        ],
        feature(
            "tax_zero_sales_months_12m",
            "近12个月无销售额月数",
            "months without taxable sales in 12",
            s,
            12,
            UP,
            False,
        ),
        feature(
            "tax_arrears_balance_last",
            "最近一期欠税余额",
            "latest tax arrears outstanding",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "tax_arrears_balance_max_12m",
            "近12个月最高欠税余额",
            "highest tax arrears over 12 months",
            s,
            12,
            UP,
            True,
        ),
        *[
            feature(
                f"tax_arrears_months_{w}m",
                f"近{w}个月欠税月数",
                f"months with tax arrears in {w}",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        feature(
            "tax_arrears_days_last",
            "最近一期欠税天数",
            "days the oldest tax arrears are overdue",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "tax_arrears_days_max_12m",
            "近12个月最长欠税天数",
            "longest tax arrears over 12 months",
            s,
            12,
            UP,
            True,
        ),
        feature(
            "tax_months_reported_12m",
            "近12个月税务申报记录月数",
            "months with a tax record in 12",
            s,
            12,
            DOWN,
            True,
        ),
        feature(
            "tax_months_since_last_report",
            "距最近一期税务记录月数",
            "months since the latest tax record",
            s,
            24,
            UP,
            True,
        ),
    ]


# The source's columns read as dense series over the grid (features.compute builds them).
MEASURES: tuple[str, ...] = (
    "vat_sales",
    "vat_payable",
    "cit_prepaid",
    "filed_on_time",
    "zero_return",
    "arrears_balance",
    "arrears_days",
)
FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(t: dict[str, Series]) -> Columns:
    """Compute the tax features from the monthly tax series."""
    sales, payable, cit = t["vat_sales"], t["vat_payable"], t["cit_prepaid"]
    on_time, zero = t["filed_on_time"], t["zero_return"]
    arrears, days = t["arrears_balance"], t["arrears_days"]
    in_arrears = arrears.where(arrears.filled > 0)
    return {
        **full_series("tax_vat_sales", sales),
        "tax_vat_payable_mean_12m": payable.mean(12),
        "tax_vat_payable_sum_12m": payable.sum(12),
        "tax_vat_payable_slope_12m": payable.slope(12),
        "tax_vat_payable_yoy_12m": payable.yoy(),
        "tax_cit_prepaid_sum_12m": cit.sum(12),
        "tax_cit_prepaid_sum_24m": cit.sum(24),
        "tax_filed_on_time_rate_6m": on_time.mean(6),
        "tax_filed_on_time_rate_12m": on_time.mean(12),
        "tax_filed_on_time_rate_24m": on_time.mean(24),
        "tax_late_filings_12m": on_time.count(12) - on_time.filled[:, -12:].sum(axis=1),
        "tax_zero_return_share_6m": zero.mean(6),
        "tax_zero_return_share_12m": zero.mean(12),
        "tax_zero_sales_months_12m": sales.where(sales.filled == 0).filled[:, -12:].sum(axis=1),
        "tax_arrears_balance_last": arrears.last(),
        "tax_arrears_balance_max_12m": arrears.max(12),
        "tax_arrears_months_12m": in_arrears.filled[:, -12:].sum(axis=1),
        "tax_arrears_months_24m": in_arrears.filled.sum(axis=1),
        "tax_arrears_days_last": days.last(),
        "tax_arrears_days_max_12m": days.max(12),
        "tax_months_reported_12m": sales.count(12),
        "tax_months_since_last_report": sales.periods_since_last(),
    }
