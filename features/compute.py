"""The feature function: all records of a partition of enterprises → one row per enterprise.

``compute_features`` is pure: it reads only its arguments, uses only what was known on the as-of
date, and a row depends only on that enterprise's records. The three engines (in-process, chunked,
Dask) all call it, so they agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from data.contracts import SOURCES, derive_reported_on, empty_frame
from features import rules
from features.pointintime import as_timestamp, corrections_known, known_records, known_rows
from features.registry import (
    CATEGORIES,
    FEATURE_NAMES,
    FEATURE_SET_VERSION,
    FEATURES_BY_NAME,
    GRADE_POINTS,
    INDUSTRY_SECTIONS,
)
from features.windows import Series, dense_matrices, month_number, positions, ratio

MONTHS = 24  # monthly grid: 24 months for 24-month windows and year-on-year growth
QUARTERS = 8
DAYS_PER_MONTH = 30.4375
Columns = dict[str, np.ndarray]


def latest_reported_period(source: str, as_of: pd.Timestamp) -> pd.Timestamp:
    """Return the newest period the source's usual reporting lag has delivered by ``as_of``.

    Windows end there rather than at the as-of month, so "last 3 months" means three months that
    could be known, whatever the day of the month; a period not delivered on time shows as missing.
    """
    months = 3 if SOURCES[source].grain == "quarterly" else 1
    start = as_of.to_period("M").start_time
    candidates = pd.Series(
        [start - pd.DateOffset(months=months * k) for k in range(0, 5)], dtype="datetime64[s]"
    )
    if months == 3:
        candidates = candidates.dt.to_period("Q").dt.start_time.astype("datetime64[s]")
    delivered = derive_reported_on(SOURCES[source], pd.DataFrame({"period": candidates}))
    return candidates[(delivered <= as_of).to_numpy(bool)].max()


def _months_between(earlier: pd.Series | np.ndarray, later: pd.Timestamp) -> np.ndarray:
    days = (later - pd.to_datetime(earlier)) / pd.Timedelta(days=1)
    return np.asarray(days, dtype=np.float64) / DAYS_PER_MONTH


def _days_between(as_of: pd.Timestamp, dates: pd.Series) -> np.ndarray:
    """Days from ``as_of`` to each date (negative for dates before it, NaN where unknown)."""
    return np.asarray((pd.to_datetime(dates) - as_of).dt.days, dtype=np.float64)


def _positions(frame: pd.DataFrame, enterprises: pd.Index) -> np.ndarray:
    return positions(frame["credit_code"], enterprises)


def _count(rows: np.ndarray, mask: np.ndarray | pd.Series, n: int) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool) & (rows >= 0)
    return np.bincount(rows[mask], minlength=n).astype(np.float64)


def _total(rows: np.ndarray, values: np.ndarray, mask: np.ndarray | pd.Series, n: int) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool) & (rows >= 0)
    return np.bincount(rows[mask], weights=np.nan_to_num(values[mask]), minlength=n)


def _extreme(
    rows: np.ndarray, values: np.ndarray, mask: np.ndarray | pd.Series, n: int, largest: bool
) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool) & (rows >= 0) & ~np.isnan(values)
    out = np.full(n, -np.inf if largest else np.inf)
    (np.maximum if largest else np.minimum).at(out, rows[mask], values[mask])
    return np.where(np.isinf(out), np.nan, out)


def _enterprises(registry: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, Columns]:
    """Return each enterprise's registration as of ``as_of`` and the registry features."""
    history = registry[(registry["established_on"] <= as_of).to_numpy(bool)]
    history = history.sort_values(["credit_code", "status_changed_on"], kind="stable")
    latest = history.drop_duplicates("credit_code", keep="last").reset_index(drop=True)
    changes = (history["status_changed_on"] > history["established_on"]).groupby(history["credit_code"]).sum()
    age = _months_between(latest["established_on"], as_of)
    capital = latest["registered_capital"].to_numpy(np.float64)
    industry = latest["industry"].astype("str")
    features: Columns = {
        "reg_zone": latest["zone"].to_numpy(object),
        "reg_industry": industry.to_numpy(object),
        "reg_industry_section": industry.str[:1]
        .where(industry.str[:1].isin(INDUSTRY_SECTIONS))
        .to_numpy(object),
        "reg_entity_type": latest["entity_type"].to_numpy(object),
        "reg_age_months": age,
        "reg_registered_capital": capital,
        "reg_log_registered_capital": np.log1p(capital),
        "reg_is_active": (latest["status"] == "active").to_numpy(np.float64),
        "reg_status_changes": changes.reindex(latest["credit_code"]).to_numpy(np.float64),
        "reg_months_since_status_change": _months_between(latest["status_changed_on"], as_of),
        "reg_is_young": (age < 24).astype(np.float64),
    }
    return latest, features


def _monthly(
    records: Mapping[str, pd.DataFrame],
    source: str,
    as_of: pd.Timestamp,
    corrections: pd.DataFrame,
    enterprises: pd.Index,
    measures: tuple[str, ...],
) -> dict[str, Series]:
    """Return the source's measures as dense series over the grid ending at its latest period."""
    contract = SOURCES[source]
    frame, known = known_rows(records.get(source, empty_frame(contract)), contract, as_of, corrections)
    quarterly = contract.grain == "quarterly"
    matrices = dense_matrices(
        rows=np.where(known, _positions(frame, enterprises), -1),
        periods=month_number(frame["period"]),
        last_period=int(month_number(np.array([latest_reported_period(source, as_of)]))[0]),
        n_rows=len(enterprises),
        n_periods=QUARTERS if quarterly else MONTHS,
        columns={m: frame[m].to_numpy() for m in measures},
        version_order=(
            frame["reported_on"].to_numpy("datetime64[s]").astype(np.int64),
            frame["loaded_at"].to_numpy("datetime64[us]").astype(np.int64),
        ),
        step=3 if quarterly else 1,
    )
    return {m: Series(v) for m, v in matrices.items()}


def _full_series(prefix: str, s: Series) -> Columns:
    return {
        f"{prefix}_mean_3m": s.mean(3),
        f"{prefix}_mean_6m": s.mean(6),
        f"{prefix}_mean_12m": s.mean(12),
        f"{prefix}_mean_24m": s.mean(24),
        f"{prefix}_sum_12m": s.sum(12),
        f"{prefix}_std_12m": s.std(12),
        f"{prefix}_cv_12m": s.cv(12),
        f"{prefix}_slope_12m": s.slope(12),
        f"{prefix}_slope_24m": s.slope(24),
        f"{prefix}_yoy_12m": s.yoy(),
        f"{prefix}_last": s.last(),
    }


def _tax(t: dict[str, Series]) -> Columns:
    sales, payable, cit = t["vat_sales"], t["vat_payable"], t["cit_prepaid"]
    on_time, zero = t["filed_on_time"], t["zero_return"]
    arrears, days = t["arrears_balance"], t["arrears_days"]
    in_arrears = arrears.where(arrears.filled > 0)
    return {
        **_full_series("tax_vat_sales", sales),
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


def _social_security(s: dict[str, Series]) -> Columns:
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


def _utility(u: dict[str, Series]) -> Columns:
    power, water, gas = u["electricity_kwh"], u["water_m3"], u["gas_m3"]
    billed, paid, arrears = u["billed"], u["paid"], u["arrears_balance"]
    in_arrears = arrears.where(arrears.filled > 0)
    idle = power.where(power.filled < rules.ELECTRICITY_IDLE_FLOOR_KWH)
    return {
        **_full_series("util_electricity", power),
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


def _statistics(q: dict[str, Series], ever_reported: np.ndarray) -> Columns:
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


def _tax_grade(grades: pd.DataFrame, enterprises: pd.Index, as_of: pd.Timestamp) -> Columns:
    n = len(enterprises)
    rows = _positions(grades, enterprises)
    year = grades["year"].to_numpy(np.int64)
    points = grades["grade"].map(GRADE_POINTS).to_numpy(np.float64)
    recent = year >= as_of.year - 3
    ordered = grades.assign(_row=rows, _points=points).sort_values(["_row", "year"], kind="stable")
    ordered = ordered[ordered["_row"] >= 0]
    last = ordered.drop_duplicates("_row", keep="last")
    before_last = ordered.drop(last.index).drop_duplicates("_row", keep="last")
    last_grade = np.full(n, None, dtype=object)
    last_grade[last["_row"].to_numpy()] = last["grade"].to_numpy(object)
    last_points = np.full(n, np.nan)
    last_points[last["_row"].to_numpy()] = last["_points"].to_numpy()
    previous_points = np.full(n, np.nan)
    previous_points[before_last["_row"].to_numpy()] = before_last["_points"].to_numpy()
    last_year = np.full(n, np.nan)
    last_year[last["_row"].to_numpy()] = last["year"].to_numpy(np.float64)
    grade = grades["grade"].to_numpy(object)
    graded = ~np.isnan(last_points)
    return {
        "tg_last_grade": last_grade,
        "tg_last_grade_points": last_points,
        "tg_last_is_a": np.where(graded, last_points == GRADE_POINTS["A"], np.nan),
        "tg_last_is_d": np.where(graded, last_points == GRADE_POINTS["D"], np.nan),
        "tg_a_count_3y": _count(rows, recent & (grade == "A"), n),
        "tg_d_count_3y": _count(rows, recent & (grade == "D"), n),
        "tg_c_or_d_count_3y": _count(rows, recent & np.isin(grade, ["C", "D"]), n),
        "tg_years_graded": _count(rows, np.ones(len(rows), bool), n),
        "tg_grade_change": last_points - previous_points,
        "tg_years_since_grade": as_of.year - last_year,
    }


def _ip(events: pd.DataFrame, enterprises: pd.Index, as_of: pd.Timestamp) -> Columns:
    n = len(enterprises)
    events = events[(events["event_on"] <= as_of).to_numpy(bool)]
    rows = _positions(events, enterprises)
    kind = events["kind"].to_numpy(object)
    months_ago = _months_between(events["event_on"], as_of)
    grant = np.isin(kind, ["invention_grant", "utility_grant", "design_grant"])
    columns: Columns = {
        f"ip_{k}_count_total": _count(rows, kind == k, n) for k in SOURCES["ip"].column("kind").choices
    }
    for k in (
        "invention_application",
        "invention_grant",
        "utility_grant",
        "trademark",
        "pledge",
        "infringement_penalty",
    ):
        columns[f"ip_{k}_count_12m"] = _count(rows, (kind == k) & (months_ago < 12), n)
    since = _extreme(rows, months_ago, np.ones(len(rows), bool), n, largest=False)
    columns |= {
        "ip_grants_36m": _count(rows, grant & (months_ago < 36), n),
        "ip_patents_net": _count(rows, grant, n) - _count(rows, kind == "lapse", n),
        "ip_pledge_amount_24m": _total(
            rows, events["amount"].to_numpy(np.float64), (kind == "pledge") & (months_ago < 24), n
        ),
        "ip_months_since_last_event": since,
    }
    return columns


def _credit_events(events: pd.DataFrame, enterprises: pd.Index, as_of: pd.Timestamp) -> Columns:
    n = len(enterprises)
    rows = _positions(events, enterprises)
    kind = events["kind"].to_numpy(object)
    severity = events["severity"].to_numpy(object)
    months_ago = _months_between(events["occurred_on"], as_of)
    negative = np.isin(kind, rules.NEGATIVE_KINDS)
    in_force = rules.in_force(events, as_of).to_numpy(bool)
    shown_until = _days_between(as_of, rules.display_end(events))
    days_left = np.where(in_force, np.clip(np.nan_to_num(shown_until), 0, None), 0.0)
    to_repairable = _days_between(as_of, rules.repairable_from(events))
    to_escalation = _days_between(as_of, rules.escalates_on(events))
    shown_days = -_days_between(as_of, rules.display_start(events))
    repaired_ago = _months_between(events["repaired_on"], as_of)
    columns: Columns = {}
    for k in rules.NEGATIVE_KINDS + rules.POSITIVE_KINDS:
        columns[f"ce_{k}_count_12m"] = _count(rows, (kind == k) & (months_ago < 12), n)
        columns[f"ce_{k}_count_36m"] = _count(rows, (kind == k) & (months_ago < 36), n)
    for sev in ("minor", "general", "serious"):
        columns[f"ce_negative_{sev}_count_36m"] = _count(
            rows, negative & (severity == sev) & (months_ago < 36), n
        )
    last_negative = _extreme(rows, months_ago, negative, n, largest=False)
    columns |= {
        "ce_active_unrepaired_total": _count(rows, in_force, n),
        "ce_active_unrepaired_general": _count(rows, in_force & (severity == "general"), n),
        "ce_active_unrepaired_serious": _count(rows, in_force & (severity == "serious"), n),
        **{
            f"ce_active_{k}": np.minimum(_count(rows, in_force & (kind == k), n), 1.0)
            for k in rules.LIST_KINDS
        },
        "ce_months_since_last_negative": last_negative,
        "ce_repaired_count_36m": _count(rows, repaired_ago < 36, n),
        "ce_display_days_left_max": np.nan_to_num(_extreme(rows, days_left, in_force, n, True)),
        "ce_display_days_left_sum": _total(rows, days_left, in_force, n),
        "ce_repairable_now_count": _count(rows, in_force & (to_repairable <= 0), n),
        "ce_days_to_repairable_min": _extreme(
            rows, to_repairable, in_force & (to_repairable > 0), n, largest=False
        ),
        "ce_days_to_escalation_min": _extreme(
            rows, to_escalation, in_force & (to_escalation > 0), n, largest=False
        ),
        "ce_unrepaired_age_max_days": np.nan_to_num(_extreme(rows, shown_days, in_force, n, True)),
    }
    return columns


def _cross(tax: Columns, ss: Columns, util: Columns, stat: Columns) -> Columns:
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


def _declarations(
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
    rows = _positions(declared, enterprises)
    months_ago = _months_between(declared["reported_on"], as_of)
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
        "decl_months_since_last": _extreme(rows, months_ago, np.ones(len(rows), bool), n, largest=False),
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


def _known(
    records: Mapping[str, pd.DataFrame], source: str, as_of: pd.Timestamp, corrections: pd.DataFrame
) -> pd.DataFrame:
    contract = SOURCES[source]
    return known_records(records.get(source, empty_frame(contract)), contract, as_of, corrections)


def _frame(enterprises: pd.Index, as_of: pd.Timestamp, columns: Columns) -> pd.DataFrame:
    missing = set(FEATURE_NAMES) - set(columns)
    extra = set(columns) - set(FEATURE_NAMES)
    if missing or extra:  # the registry and this module must declare the same features
        raise RuntimeError(f"features out of step with the registry: missing {missing}, extra {extra}")
    data: dict[str, object] = {
        "credit_code": pd.Series(enterprises.to_numpy(object), dtype="str"),
        "as_of": np.full(len(enterprises), as_of.to_datetime64(), dtype="datetime64[s]"),
    }
    for name in FEATURE_NAMES:
        if FEATURES_BY_NAME[name].kind == "categorical":
            data[name] = pd.Categorical(columns[name], categories=CATEGORIES[name])
        else:
            data[name] = np.asarray(columns[name], dtype=np.float64)
    return pd.DataFrame(data)


def compute_features(
    records: Mapping[str, pd.DataFrame],
    as_of: date | pd.Timestamp,
    corrections: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row of features per enterprise registered by ``as_of``, from what was known then.

    ``records`` maps source names to loaded frames (all records of a set of enterprises);
    ``corrections`` may hold later decisions too, they are filtered to ``as_of`` here.
    """
    as_of = as_timestamp(as_of)
    corrections = corrections_known(corrections, as_of)
    registration, columns = _enterprises(_known(records, "registry", as_of, corrections), as_of)
    enterprises = pd.Index(registration["credit_code"].astype("str"))
    tax_series = _monthly(
        records,
        "tax",
        as_of,
        corrections,
        enterprises,
        (
            "vat_sales",
            "vat_payable",
            "cit_prepaid",
            "filed_on_time",
            "zero_return",
            "arrears_balance",
            "arrears_days",
        ),
    )
    tax = _tax(tax_series)
    ss_series = _monthly(
        records,
        "social_security",
        as_of,
        corrections,
        enterprises,
        ("insured_headcount", "contribution_base", "due", "paid", "arrears_months"),
    )
    ss = _social_security(ss_series)
    util = _utility(
        _monthly(
            records,
            "utility",
            as_of,
            corrections,
            enterprises,
            ("electricity_kwh", "water_m3", "gas_m3", "billed", "paid", "arrears_balance"),
        )
    )
    statistics = _known(records, "statistics", as_of, corrections)
    stat_series = _monthly(
        records,
        "statistics",
        as_of,
        corrections,
        enterprises,
        ("revenue", "output_value", "profit", "employees", "rd_expense", "total_assets", "total_liabilities"),
    )
    stat = _statistics(
        stat_series,
        _count(_positions(statistics, enterprises), np.ones(len(statistics), bool), len(enterprises)),
    )
    columns |= tax | ss | util | stat
    columns |= _tax_grade(_known(records, "tax_grade", as_of, corrections), enterprises, as_of)
    columns |= _ip(_known(records, "ip", as_of, corrections), enterprises, as_of)
    columns |= _credit_events(_known(records, "credit_events", as_of, corrections), enterprises, as_of)
    columns |= _cross(tax, ss, util, stat)
    columns |= _declarations(
        _known(records, "declarations", as_of, corrections),
        enterprises,
        as_of,
        tax_series,
        ss_series,
        stat_series,
    )
    features = _frame(enterprises, as_of, columns)
    features.attrs["feature_set_version"] = FEATURE_SET_VERSION
    return features


def inputs_reported_through(
    records: Mapping[str, pd.DataFrame], as_of: pd.Timestamp, corrections: pd.DataFrame | None
) -> pd.Timestamp | None:
    """Return the newest ``reported_on`` among the records features may read on ``as_of``."""
    newest = [
        known_records(frame, SOURCES[name], as_of, corrections_known(corrections, as_of), False)[
            "reported_on"
        ].max()
        for name, frame in records.items()
        if name in SOURCES and len(frame)
    ]
    newest = [stamp for stamp in newest if pd.notna(stamp)]
    return max(newest) if newest else None
