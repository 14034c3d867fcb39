"""Observed sources of one chunk: what each department would export, derived from the latent world.

Each function returns an Arrow table with canonical column names and native types, in the order
real exports come (period, then enterprise). Writers turn them into CSV or Parquet files.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data.synth import params as P
from data.synth.hazards import sigmoid
from data.synth.population import ZONE_CODES
from data.synth.world import ChunkWorld
from data.vocabulary import CREDIT_EVENT_KINDS, IP_KINDS, SEVERITIES, TAX_GRADES

_IND = [P.INDUSTRIES[c] for c in P.INDUSTRY_CODES]


def _attr(world: ChunkWorld, name: str) -> np.ndarray:
    return np.array([getattr(i, name) for i in _IND])[world.industry]


def dates(days: np.ndarray) -> pa.Array:
    """Epoch days to an Arrow date32 array; negative days mean null."""
    days = np.asarray(days, np.int64)
    return pa.array(days.astype(np.int32), pa.date32(), mask=days < 0)


def _period_text(world: ChunkWorld, cols: np.ndarray) -> pa.Array:
    """Month periods as ``YYYY-MM`` text, built from a small dictionary instead of per row."""
    labels = pa.array(world.grid.months.astype(str), pa.string())
    return labels.take(pa.array(cols))


def _reporting_jitter(rng: np.random.Generator, n: int, late_rate: float) -> np.ndarray:
    """Extra days beyond the source's lag: a few days usually, months for the occasional late feed."""
    extra = rng.integers(0, 6, n)
    late = rng.random(n) < late_rate
    return extra + np.where(late, rng.integers(30, 181, n), 0)


class MonthlySeries:
    """Monthly latent-driven series of a chunk over the window (enterprise x window month)."""

    def __init__(self, world: ChunkWorld, rng: np.random.Generator):
        grid = world.grid
        self.world, self.rng = world, rng
        self.cols = np.arange(grid.burn_in, grid.size)
        n, w = world.n, len(self.cols)
        h = np.nan_to_num(world.health[:, self.cols])
        self.h = h
        self.registered = world.registered[:, self.cols]
        self.operating = world.operating[:, self.cols]
        self.nonfiler = world.nonfiler[:, self.cols]
        cal_month = grid.month[self.cols]
        cal_year = grid.year[self.cols]
        festival = np.array([P.SPRING_FESTIVAL_MONTH.get(int(y), 2) for y in cal_year]) == cal_month
        industrial = _attr(world, "industrial")
        consumer = np.isin(world.industry, [P.INDUSTRY_CODES.index(c) for c in ("F52", "H62")])
        season = np.ones((n, w))
        season[industrial] *= np.where(festival, 0.80, 1.0) * np.where(cal_month == 12, 1.08, 1.0)
        season[consumer] *= np.where(festival, 1.15, 1.0)
        deviation = h - world.mean_health[:, None]
        self.revenue = (
            world.annual_revenue[:, None]
            / 12
            * np.exp(0.3 * deviation)
            * season
            * rng.lognormal(0, 0.15, (n, w))
            * self.operating
        )
        tiny = (world.entity_type != "1")[:, None] & (rng.random((n, w)) < 0.05)
        self.revenue[tiny] = 0.0
        self.margin = _attr(world, "margin")[:, None] + 0.05 * h
        self.season_elec = P.ELECTRICITY_SEASON[cal_month - 1] * np.where(
            festival, P.SPRING_FESTIVAL_DIP, 1.0
        )
        self.cal_month = cal_month
        self.years = (self.cols - grid.burn_in) / 12.0

    def rows(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row order of a monthly export: by period, then enterprise."""
        t, i = np.nonzero(mask.T)
        return i, t


def tax(series: MonthlySeries, missing_rate: float, late_rate: float) -> pa.Table:
    world, rng = series.world, series.rng
    n, w = series.revenue.shape
    payable = series.revenue * _attr(world, "vat_rate")[:, None] * rng.lognormal(0, 0.1, (n, w))
    # CIT is prepaid in the month after each quarter; individual businesses pay none.
    quarter = np.zeros((n, w))
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(series.revenue * series.margin, axis=1)], axis=1)
    due_month = np.isin(series.cal_month, [1, 4, 7, 10])
    for month in np.flatnonzero(due_month).tolist():
        quarter[:, month] = cum[:, month] - cum[:, max(month - 3, 0)]
    small = (world.annual_revenue < 3e6)[:, None]
    cit = np.maximum(quarter, 0) * np.where(small, 0.05, 0.25) * (world.entity_type == "1")[:, None]
    k = world.arrears_tax[:, series.cols]
    balance = np.zeros((n, w))
    running = np.zeros(n)
    for month in range(w):
        running = np.where(k[:, month] > 0, running + payable[:, month], 0.0)
        balance[:, month] = running
    days = np.where(k > 0, 30 * k - 15 + rng.integers(0, 10, (n, w)), 0)
    late = world.late_filing[:, series.cols]
    mask = series.registered & ~series.nonfiler & (rng.random((n, w)) >= missing_rate)
    i, t = series.rows(mask)
    start = world.grid.start_day[series.cols]
    lag = np.where(late[i, t], rng.integers(16, 61, len(i)), rng.integers(1, 16, len(i)))
    reported = start[t] + (world.grid.start_day[series.cols + 1] - start)[t] + lag - 1
    reported += _reporting_jitter(rng, len(i), late_rate) * (rng.random(len(i)) < 0.2)
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "period": _period_text(world, series.cols[t]),
            "vat_sales": np.round(series.revenue[i, t], 2),
            "vat_payable": np.round(payable[i, t], 2),
            "cit_prepaid": np.round(cit[i, t], 2),
            "filed_on_time": ~late[i, t],
            "zero_return": series.revenue[i, t] == 0,
            "arrears_balance": np.round(balance[i, t], 2),
            "arrears_days": days[i, t].astype(np.int64),
            "reported_on": dates(reported),
        }
    )


def social_security(series: MonthlySeries, missing_rate: float, late_rate: float) -> pa.Table:
    world, rng = series.world, series.rng
    n, w = series.revenue.shape
    deviation = series.h - world.mean_health[:, None]
    insured = np.round(
        (world.headcount * world.coverage)[:, None] * np.exp(0.15 * deviation) * series.operating
    )
    wage = _attr(world, "wage")[:, None] * 1.04 ** series.years[None, :]
    base = insured * wage * rng.lognormal(0, 0.05, (n, w))
    due = base * 0.30
    k = world.arrears_ss[:, series.cols]
    paid = np.where(k > 0, due * rng.uniform(0, 0.3, (n, w)), due)
    mask = series.registered & ~series.nonfiler & (rng.random((n, w)) >= missing_rate)
    i, t = series.rows(mask)
    end = world.grid.start_day[series.cols + 2] - 1  # end of the next month
    reported = end[t] + rng.integers(-10, 1, len(i)) + _reporting_jitter(rng, len(i), late_rate)
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "period": _period_text(world, series.cols[t]),
            "insured_headcount": insured[i, t].astype(np.int64),
            "contribution_base": np.round(base[i, t], 2),
            "due": np.round(due[i, t], 2),
            "paid": np.round(paid[i, t], 2),
            "arrears_months": k[i, t].astype(np.int64),
            "reported_on": dates(reported),
        }
    )


def utility(series: MonthlySeries, missing_rate: float, late_rate: float) -> pa.Table:
    world, rng = series.world, series.rng
    n, w = series.revenue.shape
    deviation = series.h - world.mean_health[:, None]
    working = (
        (world.annual_revenue * _attr(world, "kwh_per_cny"))[:, None]
        / 12
        * np.exp(0.3 * deviation)
        * series.season_elec[None, :]
        * rng.lognormal(0, 0.08, (n, w))
    )
    idle = world.idle_kwh[:, None] * rng.lognormal(0, 0.2, (n, w))
    kwh = np.where(series.operating, working + idle, idle)
    water = kwh * _attr(world, "water_per_kwh")[:, None] * rng.lognormal(0, 0.1, (n, w)) + 1.0
    gas = (
        kwh
        * _attr(world, "gas_per_kwh")[:, None]
        * P.GAS_SEASON[series.cal_month - 1][None, :]
        * series.operating
    )
    billed = kwh * 0.85 + water * 4.9 + gas * 3.6
    k = world.arrears_ut[:, series.cols]
    paid = np.where(k > 0, billed * rng.uniform(0, 0.3, (n, w)), billed)
    balance = np.zeros((n, w))
    running = np.zeros(n)
    for month in range(w):
        running = np.where(k[:, month] > 0, running + billed[:, month] - paid[:, month], 0.0)
        balance[:, month] = running
    mask = series.registered & (rng.random((n, w)) >= missing_rate)
    i, t = series.rows(mask)
    end = world.grid.start_day[series.cols + 1] - 1
    reported = end[t] + 10 + _reporting_jitter(rng, len(i), late_rate)
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "period": _period_text(world, series.cols[t]),
            "electricity_kwh": np.round(kwh[i, t], 2),
            "water_m3": np.round(water[i, t], 2),
            "gas_m3": np.round(gas[i, t], 2),
            "billed": np.round(billed[i, t], 2),
            "paid": np.round(paid[i, t], 2),
            "arrears_balance": np.round(balance[i, t], 2),
            "reported_on": dates(reported),
        }
    )


def statistics(series: MonthlySeries, late_rate: float) -> pa.Table:
    """Quarterly returns of above-scale enterprises: those whose last-year revenue passed 20M."""
    world, rng = series.world, series.rng
    grid = world.grid
    n, w = series.revenue.shape
    # Last year's revenue decides the status for a calendar year; firms without a full year of
    # history in the window use their planned size.
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(series.revenue, axis=1)], axis=1)
    t = np.arange(w)
    last_year = cum[:, t] - cum[:, np.maximum(t - 12, 0)]
    status_month = np.maximum.accumulate(np.where(series.cal_month == 1, t, 0))
    young = (world.established_idx[:, None] > (grid.burn_in + status_month - 12)[None, :]) | (
        status_month < 12
    )[None, :]
    planned = world.annual_revenue[:, None] * np.exp(
        0.3 * (series.h[:, status_month] - world.mean_health[:, None])
    )
    above = np.where(young, planned, last_year[:, status_month]) >= P.ABOVE_SCALE_REVENUE
    insured = (world.headcount * world.coverage)[:, None] * np.exp(
        0.15 * (series.h - world.mean_health[:, None])
    )
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("i", "q", "revenue", "margin", "employees", "months")
    }
    quarter_starts = np.flatnonzero(np.isin(series.cal_month, [1, 4, 7, 10]))
    quarter_starts = quarter_starts[quarter_starts + 3 <= w]
    for q0 in quarter_starts:
        sl = slice(q0, q0 + 3)
        active = series.operating[:, sl].any(axis=1) & above[:, q0]
        i = np.flatnonzero(active)
        rows["i"].append(i)
        rows["q"].append(np.full(len(i), q0))
        rows["revenue"].append(series.revenue[i, sl].sum(axis=1))
        rows["margin"].append(series.margin[i, sl].mean(axis=1))
        rows["employees"].append(insured[i, sl].mean(axis=1) / world.coverage[i])
    i = np.concatenate(rows["i"]).astype(np.int64)
    q0 = np.concatenate(rows["q"]).astype(np.int64)
    revenue = np.concatenate(rows["revenue"]) / 1e4 * rng.lognormal(0, 0.03, len(i))
    margin = np.concatenate(rows["margin"])
    hq = series.h[i, q0]
    industrial = _attr(world, "industrial")[i]
    assets = world.annual_revenue[i] / 1e4 / _attr(world, "asset_turnover")[i] * np.exp(0.05 * hq)
    leverage = np.clip(_attr(world, "leverage")[i] - 0.08 * hq, 0.05, 1.5)
    months = grid.months[series.cols[q0]]
    period = np.char.add(
        np.char.add(months.astype("datetime64[Y]").astype(str), "Q"),
        ((months.astype(np.int64) % 12) // 3 + 1).astype(str),
    )
    end = grid.start_day[series.cols[q0] + 3] - 1
    reported = end + 20 + rng.integers(-5, 6, len(i)) + _reporting_jitter(rng, len(i), late_rate)
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "period": pa.array(period, pa.string()),
            "revenue": np.round(revenue, 2),
            "output_value": np.round(
                np.where(industrial, revenue * rng.lognormal(0.02, 0.03, len(i)), 0.0), 2
            ),
            "profit": np.round(revenue * margin, 2),
            "employees": np.round(np.concatenate(rows["employees"])).astype(np.int64),
            "rd_expense": np.round(
                revenue * _attr(world, "rd_intensity")[i] * rng.lognormal(0, 0.2, len(i)), 2
            ),
            "total_assets": np.round(assets, 2),
            "total_liabilities": np.round(assets * leverage, 2),
            "reported_on": dates(reported),
        }
    )


def ip(series: MonthlySeries) -> pa.Table:
    """IP events: applications and grants in R&D-heavy industries; pledges by firms needing cash."""
    world, rng = series.world, series.rng
    relative_size = np.sqrt(world.annual_revenue / _attr(world, "revenue_median"))
    size = relative_size[:, None]
    base = _attr(world, "ip_rate")[:, None] / 12 * size * np.exp(0.3 * series.h) * series.operating
    age_years = np.maximum((world.grid.start_day[world.grid.burn_in] - world.established_day) / 365.25, 0)
    stock0 = rng.poisson(_attr(world, "ip_rate") * relative_size * np.minimum(age_years, 10) * 0.6)
    rates = {
        "invention_application": base,
        "invention_grant": base * 0.45,
        "utility_grant": base * 0.8,
        "design_grant": base * 0.3,
        "trademark": (0.15 / 12) * size**0.6 * series.operating,
    }
    counts = {kind: rng.poisson(rate) for kind, rate in rates.items()}
    grants = counts["invention_grant"] + counts["utility_grant"] + counts["design_grant"]
    stock = stock0[:, None] + np.cumsum(grants, axis=1)
    distress = sigmoid(-1.5 * (series.h + 0.3))
    counts["pledge"] = rng.poisson(0.03 / 12 * stock**0.7 * distress * 2 * series.registered)
    counts["lapse"] = rng.poisson(0.01 / 12 * stock * (1 + 3 * sigmoid(-2 * series.h)) * series.registered)
    counts["infringement_penalty"] = rng.poisson(
        0.0004 * np.exp(-world.integrity)[:, None] * (stock > 0) * series.registered
    )
    parts = []
    for code, kind_name in enumerate(IP_KINDS):
        c = counts[kind_name] * series.registered
        t, i = np.nonzero(c.T)
        reps = c[i, t]
        parts.append((np.repeat(i, reps), np.repeat(t, reps), np.full(reps.sum(), code)))
    i = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([p[2] for p in parts])
    order = np.lexsort((i, kind, t))
    i, t, kind = i[order], t[order], kind[order]
    start = world.grid.start_day[series.cols[t]]
    dim = world.grid.days_in_month[series.cols[t]]
    event_on = start + (rng.random(len(i)) * dim).astype(np.int64)
    year = world.grid.year[series.cols[t]]
    kind_names = np.asarray(IP_KINDS)[kind]
    serial = rng.integers(0, 10_000_000, len(i))
    type_digit = np.select([kind_names == "utility_grant", kind_names == "design_grant"], ["2", "3"], "1")
    patent_no = [f"{y}{d}{s:07d}" for y, d, s in zip(year, type_digit, serial, strict=True)]
    ip_id = [
        f"TM{s:08d}" if k == "trademark" else f"Y{y}990{s:07d}" if k == "pledge" else f"ZL{p}"
        for k, y, s, p in zip(kind_names, year, serial, patent_no, strict=True)
    ]
    pledge = kind_names == "pledge"
    amount = np.where(pledge, np.round(rng.lognormal(np.log(300), 1.0, len(i)) * size[i, 0], 2), np.nan)
    table = pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "ip_id": pa.array(ip_id, pa.string()),
            "event_on": dates(event_on),
            "kind": pa.array(kind_names, pa.string()),
            "amount": pa.array(amount, pa.float64(), mask=~pledge),
            "reported_on": dates(event_on + rng.integers(0, 15, len(i))),
        }
    )
    # The key (code, ip_id, kind, date) must be unique; a random serial may repeat within a firm.
    keys = np.char.add(
        np.char.add(np.asarray(table["credit_code"].to_pylist(), str), np.asarray(ip_id, str)),
        np.char.add(kind_names, event_on.astype(str)),
    )
    _, first = np.unique(keys, return_index=True)
    return table.take(np.sort(first))


def credit_events(world: ChunkWorld) -> pa.Table:
    """Credit records known by the window end, with repair and removal dates as they happened."""
    from data.synth.params import DEPARTMENTS

    rec = world.records
    end = world.grid.window_end_day
    reported = np.where(rec.published >= 0, rec.published, rec.occurred)
    keep = reported <= end
    order = np.flatnonzero(keep)[np.lexsort((rec.ent[keep], rec.occurred[keep]))]

    def known(days: np.ndarray) -> np.ndarray:
        return np.where(days <= end, days, -1)

    ent = rec.ent[order]
    seq = np.zeros(len(order), np.int64)
    by_ent = np.argsort(ent, kind="stable")
    sorted_ent = ent[by_ent]
    first = np.searchsorted(sorted_ent, sorted_ent, side="left")
    seq[by_ent] = np.arange(len(order)) - first
    year = rec.occurred[order].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    event_id = [f"ZX{y}-{world.first_index + e:07d}-{s:03d}" for y, e, s in zip(year, ent, seq, strict=True)]
    return pa.table(
        {
            "event_id": pa.array(event_id, pa.string()),
            "credit_code": pa.array(np.asarray(world.credit_code, object)[ent], pa.string()),
            "kind": pa.array(np.asarray(CREDIT_EVENT_KINDS)[rec.kind[order]], pa.string()),
            "severity": pa.array(np.asarray(SEVERITIES)[rec.severity[order]], pa.string()),
            "occurred_on": dates(rec.occurred[order]),
            "published_on": dates(known(rec.published[order])),
            "repaired_on": dates(known(rec.repaired[order])),
            "removed_on": dates(known(rec.removed[order])),
            "department": pa.array(np.asarray(DEPARTMENTS)[rec.dept[order]], pa.string()),
            "reported_on": dates(reported[order]),
        }
    )


def registry(world: ChunkWorld) -> pa.Table:
    """One row per status change: establishment (active), then revocation or deregistration."""
    end = world.grid.window_end_day
    n = world.n
    exited = (world.exit_day >= 0) & (world.exit_day <= end)
    i = np.concatenate([np.arange(n), np.flatnonzero(exited)])
    status = np.concatenate(
        [np.full(n, "active"), np.where(world.exit_kind[exited] == 1, "revoked", "deregistered")]
    )
    changed = np.concatenate([world.established_day, world.exit_day[exited]])
    order = np.lexsort((i, changed))
    i, status, changed = i[order], status[order], changed[order]
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "name": pa.array(np.asarray(world.name, object)[i], pa.string()),
            "zone": pa.array(np.asarray(ZONE_CODES)[world.zone[i]], pa.string()),
            "industry": pa.array(np.asarray(P.INDUSTRY_CODES)[world.industry[i]], pa.string()),
            "entity_type": pa.array(world.entity_type[i], pa.string()),
            "registered_capital": np.round(world.registered_capital[i], 2),
            "established_on": dates(world.established_day[i]),
            "status": pa.array(status, pa.string()),
            "status_changed_on": dates(changed),
            "legal_rep_id": pa.array(world.legal_rep_id[i], pa.string()),
            "reported_on": dates(changed),
        }
    )


def tax_grade(world: ChunkWorld) -> pa.Table:
    gr = world.grades
    keep = gr["published"] <= world.grid.window_end_day
    order = np.flatnonzero(keep)[np.lexsort((gr["ent"][keep], gr["year"][keep]))]
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[gr["ent"][order]], pa.string()),
            "year": pa.array(gr["year"][order].astype(np.int16), pa.int16()),
            "grade": pa.array(np.asarray(TAX_GRADES)[gr["grade"][order]], pa.string()),
            "reported_on": dates(gr["published"][order]),
        }
    )
