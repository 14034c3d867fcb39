"""Statistics features: quarterly revenue, output, profit, R&D, assets and liabilities."""

from __future__ import annotations

import numpy as np

from features.families.base import (
    DOWN,
    NONE,
    UP,
    Columns,
    FeatureDef,
    feature,
)
from features.windows import Series, ratio


def _declare() -> list[FeatureDef]:
    s = "statistics"
    return [
        feature(
            "stat_has_report",
            "是否有规上统计报表",
            "files above-scale statistics (absence is information)",
            s,
            None,
            NONE,
            False,
        ),
        feature(
            "stat_quarters_reported_8q",
            "近8个季度统计报表期数",
            "statistics reports in the last 8 quarters",
            s,
            24,
            NONE,
            True,
        ),
        feature(
            "stat_quarters_since_last_report",
            "距最近一期统计报表季度数",
            "quarters since the latest statistics report",
            s,
            24,
            NONE,
            True,
        ),
        feature(
            "stat_revenue_sum_4q", "近4个季度营业收入合计", "revenue over 4 quarters", s, 12, DOWN, False
        ),
        feature(
            "stat_revenue_yoy_4q",
            "近4个季度营业收入同比增长率",
            "revenue growth, 4 quarters on prior 4",
            s,
            24,
            DOWN,
            False,
        ),
        feature(
            "stat_revenue_slope_8q",
            "近8个季度营业收入趋势斜率",
            "revenue trend over 8 quarters",
            s,
            24,
            DOWN,
            False,
        ),
        feature(
            "stat_output_value_sum_4q",
            "近4个季度工业总产值合计",
            "gross output over 4 quarters",
            s,
            12,
            DOWN,
            False,
        ),
        feature("stat_profit_sum_4q", "近4个季度利润总额合计", "profit over 4 quarters", s, 12, DOWN, False),
        feature(
            "stat_profit_margin_4q", "近4个季度利润率", "profit margin over 4 quarters", s, 12, DOWN, False
        ),
        feature(
            "stat_loss_quarters_8q", "近8个季度亏损季度数", "loss-making quarters in 8", s, 24, UP, False
        ),
        feature(
            "stat_employees_last", "最近一期从业人员数", "latest average employees", s, None, DOWN, False
        ),
        feature(
            "stat_rd_expense_sum_4q",
            "近4个季度研发费用合计",
            "R&D expense over 4 quarters",
            s,
            12,
            DOWN,
            True,
        ),
        feature(
            "stat_rd_intensity_4q",
            "近4个季度研发强度",
            "R&D expense against revenue over 4 quarters",
            s,
            12,
            DOWN,
            True,
        ),
        feature("stat_total_assets_last", "最近一期资产总计", "latest total assets", s, None, DOWN, False),
        feature(
            "stat_liabilities_to_assets_last",
            "最近一期资产负债率",
            "latest liabilities to assets",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "stat_liabilities_to_assets_change_4q",
            "资产负债率较4个季度前变化",
            "change of liabilities to assets over 4 quarters",
            s,
            12,
            UP,
            True,
        ),
        feature(
            "stat_assets_yoy_4q",
            "资产总计同比增长率",
            "growth of total assets over 4 quarters",
            s,
            12,
            DOWN,
            False,
        ),
    ]


# The source's columns read as dense series over the grid (features.compute builds them).
MEASURES: tuple[str, ...] = (
    "revenue",
    "output_value",
    "profit",
    "employees",
    "rd_expense",
    "total_assets",
    "total_liabilities",
)
FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(q: dict[str, Series], ever_reported: np.ndarray) -> Columns:
    """Compute the statistics features from the quarterly series and each row's known reports."""
    revenue, output, profit = q["revenue"], q["output_value"], q["profit"]
    assets, liabilities = q["total_assets"], q["total_liabilities"]
    leverage = Series(ratio(liabilities.values, assets.values))
    revenue_4q = revenue.sum(4)
    return {
        "stat_has_report": (ever_reported > 0).astype(np.float64),
        "stat_quarters_reported_8q": revenue.count(8),
        "stat_quarters_since_last_report": revenue.periods_since_last(),
        "stat_revenue_sum_4q": revenue_4q,
        "stat_revenue_yoy_4q": ratio(revenue.mean(4), revenue.mean(4, end=4)) - 1.0,
        "stat_revenue_slope_8q": revenue.slope(8),
        "stat_output_value_sum_4q": output.sum(4),
        "stat_profit_sum_4q": profit.sum(4),
        "stat_profit_margin_4q": ratio(profit.sum(4), revenue_4q),
        "stat_loss_quarters_8q": profit.where(profit.filled < 0).filled.sum(axis=1),
        "stat_employees_last": q["employees"].last(),
        "stat_rd_expense_sum_4q": q["rd_expense"].sum(4),
        "stat_rd_intensity_4q": ratio(q["rd_expense"].sum(4), revenue_4q),
        "stat_total_assets_last": assets.last(),
        "stat_liabilities_to_assets_last": leverage.last(),
        "stat_liabilities_to_assets_change_4q": leverage.mean(4) - leverage.mean(4, end=4),
        "stat_assets_yoy_4q": ratio(assets.mean(4), assets.mean(4, end=4)) - 1.0,
    }
