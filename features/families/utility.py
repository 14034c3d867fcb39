"""Utility features: electricity, water and gas use, billing, payment and arrears."""

from __future__ import annotations

from features import rules
from features.families.base import (
    DOWN,
    FULL_SERIES,
    NONE,
    UP,
    Columns,
    FeatureDef,
    feature,
    full_series,
    windowed,
)
from features.windows import Series, ratio


def _declare() -> list[FeatureDef]:
    s = "utility"
    return [
        *windowed("util_electricity", s, "用电量", "electricity consumption", DOWN, False, FULL_SERIES),
        *windowed(
            "util_water",
            s,
            "用水量",
            "water consumption",
            NONE,
            False,
            [("mean", 12), ("slope", 12), ("yoy", 12)],
        ),
        *windowed("util_gas", s, "用气量", "gas consumption", NONE, False, [("mean", 12), ("yoy", 12)]),
        feature(
            "util_billed_sum_12m",
            "近12个月水电燃气费合计",
            "utility bills over 12 months",
            s,
            12,
            NONE,
            False,
        ),
        *[
            feature(
                f"util_paid_ratio_{w}m",
                f"近{w}个月水电燃气费缴纳比例",
                f"utility bills paid over {w} months",
                s,
                w,
                DOWN,
                True,
            )
            for w in (6, 12)
        ],
        feature(
            "util_arrears_balance_last",
            "最近一期水电燃气欠费余额",
            "latest utility arrears",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "util_arrears_balance_max_12m",
            "近12个月最高水电燃气欠费",
            "highest utility arrears over 12 months",
            s,
            12,
            UP,
            True,
        ),
        *[
            feature(
                f"util_months_in_arrears_{w}m",
                f"近{w}个月水电燃气欠费月数",
                f"months with utility arrears in {w}",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        feature(
            "util_arrears_run_months",
            "当前连续水电燃气欠费月数",
            "consecutive months of utility arrears to date",
            s,
            24,
            UP,
            True,
        ),
        feature(
            "util_idle_months_12m",
            "近12个月用电低于闲置水平的月数",
            "months with electricity at idle level in 12",
            s,
            12,
            UP,
            False,
        ),
        feature(
            "util_months_reported_12m",
            "近12个月水电燃气记录月数",
            "months with a utility record in 12",
            s,
            12,
            DOWN,
            False,
        ),
        feature(
            "util_months_since_last_report",
            "距最近一期水电燃气记录月数",
            "months since the latest utility record",
            s,
            24,
            UP,
            False,
        ),
    ]


# The source's columns read as dense series over the grid (features.compute builds them).
MEASURES: tuple[str, ...] = ("electricity_kwh", "water_m3", "gas_m3", "billed", "paid", "arrears_balance")
FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(u: dict[str, Series]) -> Columns:
    """Compute the utility features from the monthly consumption and billing series."""
    power, water, gas = u["electricity_kwh"], u["water_m3"], u["gas_m3"]
    billed, paid, arrears = u["billed"], u["paid"], u["arrears_balance"]
    in_arrears = arrears.where(arrears.filled > 0)
    idle = power.where(power.filled < rules.ELECTRICITY_IDLE_FLOOR_KWH)
    return {
        **full_series("util_electricity", power),
        "util_water_mean_12m": water.mean(12),
        "util_water_slope_12m": water.slope(12),
        "util_water_yoy_12m": water.yoy(),
        "util_gas_mean_12m": gas.mean(12),
        "util_gas_yoy_12m": gas.yoy(),
        "util_billed_sum_12m": billed.sum(12),
        "util_paid_ratio_6m": ratio(paid.sum(6), billed.sum(6)),
        "util_paid_ratio_12m": ratio(paid.sum(12), billed.sum(12)),
        "util_arrears_balance_last": arrears.last(),
        "util_arrears_balance_max_12m": arrears.max(12),
        "util_months_in_arrears_12m": in_arrears.filled[:, -12:].sum(axis=1),
        "util_months_in_arrears_24m": in_arrears.filled.sum(axis=1),
        "util_arrears_run_months": arrears.run_to_date(),
        "util_idle_months_12m": idle.filled[:, -12:].sum(axis=1),
        "util_months_reported_12m": power.count(12),
        "util_months_since_last_report": power.periods_since_last(),
    }
