"""Social-security features: insured headcount, contribution base, payment and arrears."""

from __future__ import annotations

from features.families.base import (
    DOWN,
    NONE,
    UP,
    Columns,
    FeatureDef,
    feature,
    windowed,
)
from features.windows import Series, ratio


def _declare() -> list[FeatureDef]:
    s = "social_security"
    return [
        *windowed(
            "ss_headcount",
            s,
            "参保人数",
            "insured headcount",
            DOWN,
            False,
            [
                ("last", None),
                ("mean", 3),
                ("mean", 6),
                ("mean", 12),
                ("slope", 6),
                ("slope", 12),
                ("slope", 24),
                ("yoy", 12),
                ("std", 12),
                ("cv", 12),
            ],
        ),
        feature(
            "ss_headcount_change_6m",
            "参保人数较6个月前变化率",
            "relative change of headcount over 6 months",
            s,
            6,
            DOWN,
            False,
        ),
        feature(
            "ss_contribution_base_mean_12m",
            "近12个月缴费基数月均值",
            "mean monthly contribution base",
            s,
            12,
            DOWN,
            False,
        ),
        feature(
            "ss_due_sum_12m", "近12个月应缴社保费合计", "contributions due over 12 months", s, 12, NONE, False
        ),
        feature(
            "ss_paid_sum_12m",
            "近12个月实缴社保费合计",
            "contributions paid over 12 months",
            s,
            12,
            NONE,
            False,
        ),
        *[
            feature(
                f"ss_paid_ratio_{w}m",
                f"近{w}个月社保实缴比例",
                f"contributions paid against due over {w} months",
                s,
                w,
                DOWN,
                True,
            )
            for w in (6, 12)
        ],
        feature(
            "ss_shortfall_months_12m",
            "近12个月社保少缴月数",
            "months paid short of due in 12",
            s,
            12,
            UP,
            True,
        ),
        feature(
            "ss_arrears_months_last",
            "最近一期社保欠费月数",
            "latest months in social-security arrears",
            s,
            None,
            UP,
            True,
        ),
        *[
            feature(
                f"ss_arrears_months_max_{w}m",
                f"近{w}个月最长社保欠费月数",
                f"longest social-security arrears over {w} months",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        *[
            feature(
                f"ss_months_in_arrears_{w}m",
                f"近{w}个月处于社保欠费的月数",
                f"months in social-security arrears in {w}",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        feature(
            "ss_months_reported_12m",
            "近12个月社保记录月数",
            "months with a social-security record in 12",
            s,
            12,
            DOWN,
            True,
        ),
        feature(
            "ss_months_since_last_report",
            "距最近一期社保记录月数",
            "months since the latest social-security record",
            s,
            24,
            UP,
            True,
        ),
    ]


# The source's columns read as dense series over the grid (features.compute builds them).
MEASURES: tuple[str, ...] = ("insured_headcount", "contribution_base", "due", "paid", "arrears_months")
FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(s: dict[str, Series]) -> Columns:
    """Compute the social-security features from the monthly contribution series."""
    head, base, due, paid, arrears = (
        s["insured_headcount"],
        s["contribution_base"],
        s["due"],
        s["paid"],
        s["arrears_months"],
    )
    short = due.where(paid.filled < due.filled)
    in_arrears = arrears.where(arrears.filled > 0)
    return {
        "ss_headcount_last": head.last(),
        "ss_headcount_mean_3m": head.mean(3),
        "ss_headcount_mean_6m": head.mean(6),
        "ss_headcount_mean_12m": head.mean(12),
        "ss_headcount_slope_6m": head.slope(6),
        "ss_headcount_slope_12m": head.slope(12),
        "ss_headcount_slope_24m": head.slope(24),
        "ss_headcount_yoy_12m": head.yoy(),
        "ss_headcount_std_12m": head.std(12),
        "ss_headcount_cv_12m": head.cv(12),
        "ss_headcount_change_6m": ratio(head.mean(3), head.mean(3, end=6)) - 1.0,
        "ss_contribution_base_mean_12m": base.mean(12),
        "ss_due_sum_12m": due.sum(12),
        "ss_paid_sum_12m": paid.sum(12),
        "ss_paid_ratio_6m": ratio(paid.sum(6), due.sum(6)),
        "ss_paid_ratio_12m": ratio(paid.sum(12), due.sum(12)),
        "ss_shortfall_months_12m": short.filled[:, -12:].sum(axis=1),
        "ss_arrears_months_last": arrears.last(),
        "ss_arrears_months_max_12m": arrears.max(12),
        "ss_arrears_months_max_24m": arrears.max(24),
        "ss_months_in_arrears_12m": in_arrears.filled[:, -12:].sum(axis=1),
        "ss_months_in_arrears_24m": in_arrears.filled.sum(axis=1),
        "ss_months_reported_12m": head.count(12),
        "ss_months_since_last_report": head.periods_since_last(),
    }
