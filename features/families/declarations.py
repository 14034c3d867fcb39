"""Self-declared figures (self-report, project application, survey) against the records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.contracts import SOURCES
from features.families.base import (
    NONE,
    UP,
    Columns,
    FeatureDef,
    extreme,
    feature,
    latest_reported_period,
    months_between,
    rows_of,
)
from features.windows import Series, month_number, ratio


def _declare() -> list[FeatureDef]:
    s = "declarations"
    return [
        feature(
            "decl_has_declaration_24m",
            "近24个月有企业自报数据",
            "declared figures (self-report, project application or survey) in 24 months",
            s,
            24,
            NONE,
            False,
        ),
        feature(
            "decl_channels_24m",
            "近24个月自报渠道数",
            "channels the enterprise declared through in 24 months",
            s,
            24,
            NONE,
            False,
        ),
        feature(
            "decl_months_since_last",
            "距最近一次自报的月数",
            "months since the latest declaration",
            s,
            None,
            NONE,
            False,
        ),
        feature(
            "decl_revenue_to_tax_sales",
            "自报营业收入与同年开票销售额之比",
            "declared revenue against the year's taxable sales",
            s,
            24,
            NONE,
            False,
        ),
        feature(
            "decl_revenue_overstatement",
            "自报营业收入超出同年开票销售额的比例",
            "share by which declared revenue exceeds the year's taxable sales",
            s,
            24,
            UP,
            True,
        ),
        feature(
            "decl_employees_to_insured",
            "自报从业人数与同年参保人数之比",
            "declared employees against the year's insured headcount",
            s,
            24,
            NONE,
            False,
        ),
        feature(
            "decl_rd_to_statistics",
            "自报研发投入与同年统计研发费用之比",
            "declared R&D expense against the year's R&D expense in statistics",
            s,
            24,
            NONE,
            False,
        ),
        feature(
            "decl_investment_to_revenue",
            "自报投资额与自报营业收入之比",
            "declared investment against declared revenue",
            s,
            24,
            NONE,
            False,
        ),
    ]


FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def _year_total(
    series: Series, source: str, as_of: pd.Timestamp, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each enterprise's total of a dense series over calendar year ``years[i]`` and the
    number of periods of that year it is known for (0 where the year is outside the grid)."""
    step = 3 if SOURCES[source].grain == "quarterly" else 1
    n_periods = series.values.shape[1]
    last = int(month_number(np.array([latest_reported_period(source, as_of)]))[0])
    column_years = 1970 + (last - step * np.arange(n_periods)[::-1]) // 12
    present = series.present & (column_years[None, :] == years[:, None])
    return np.where(present, series.filled, 0.0).sum(axis=1), present.sum(axis=1).astype(np.float64)


def compute(
    declared: pd.DataFrame,
    enterprises: pd.Index,
    as_of: pd.Timestamp,
    tax: dict[str, Series],
    ss: dict[str, Series],
    stat: dict[str, Series],
) -> Columns:
    """Compare the latest declared year's figures (the highest stated per channel) with records.

    Recorded figures are those of the same calendar year as known on ``as_of``, scaled to a whole
    year from at least half of it; declared revenue and R&D are in 10k CNY, tax in CNY.
    """
    n = len(enterprises)
    rows = rows_of(declared, enterprises)
    months_ago = months_between(declared["reported_on"], as_of)
    recent = (rows >= 0) & (months_ago < 24)
    frame = declared[recent].assign(_row=rows[recent])
    latest_year = frame.groupby("_row")["year"].transform("max")
    stated = frame[(frame["year"] == latest_year).to_numpy(bool)].groupby("_row")
    figures = stated[["year", "revenue", "employees", "rd_expense", "investment"]].max()

    def column(name: str) -> np.ndarray:
        out = np.full(n, np.nan)
        out[figures.index.to_numpy(np.int64)] = figures[name].to_numpy(np.float64)
        return out

    year = column("year")
    revenue = column("revenue")
    sales, sales_months = _year_total(tax["vat_sales"], "tax", as_of, year)
    insured, insured_months = _year_total(ss["insured_headcount"], "social_security", as_of, year)
    rd, rd_quarters = _year_total(stat["rd_expense"], "statistics", as_of, year)
    annual_sales = np.where(sales_months >= 6, ratio(sales * 12, sales_months), np.nan)
    revenue_ratio = ratio(revenue * 1e4, annual_sales)
    channels = np.zeros(n)
    counted = frame.groupby("_row")["channel"].nunique()
    channels[counted.index.to_numpy(np.int64)] = counted.to_numpy(np.float64)
    return {
        "decl_has_declaration_24m": (channels > 0).astype(np.float64),
        "decl_channels_24m": channels,
        "decl_months_since_last": extreme(rows, months_ago, np.ones(len(rows), bool), n, largest=False),
        "decl_revenue_to_tax_sales": revenue_ratio,
        "decl_revenue_overstatement": np.where(
            np.isnan(revenue_ratio), np.nan, np.maximum(revenue_ratio - 1.0, 0.0)
        ),
        "decl_employees_to_insured": ratio(
            column("employees"), np.where(insured_months >= 6, ratio(insured, insured_months), np.nan)
        ),
        "decl_rd_to_statistics": ratio(
            column("rd_expense"), np.where(rd_quarters >= 2, ratio(rd * 4, rd_quarters), np.nan)
        ),
        "decl_investment_to_revenue": ratio(column("investment"), revenue),
    }
