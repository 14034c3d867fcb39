"""Declarations of one chunk: figures enterprises state themselves about a past year.

Zones collect them through three channels (SPEC §2): the yearly self-report (企业自主填报), project
applications for subsidies (项目申报) and targeted surveys (专项调研). A declaration describes a
calendar year the window covers whole and is submitted in the following year. Most figures are
the true ones, rounded as people round them; some are inflated, more often by enterprises of low
integrity and in project applications (where a subsidy rides on the figures), which is what the
declared-versus-recorded features are there to catch.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data.synth import params as P
from data.synth.hazards import sigmoid
from data.synth.observe import MonthlySeries, dates

# Per channel: share of operating enterprises declaring each year, the first and last month of
# the following year in which they submit, and how much more often they inflate their figures.
CHANNELS: dict[str, tuple[float, int, int, float]] = {
    "self_report": (0.55, 1, 6, 1.0),
    "project_application": (0.12, 3, 10, 2.0),
    "survey": (0.08, 2, 5, 0.7),
}
OVERSTATE_BASE = -2.2  # log-odds of inflating at average integrity (about 1 in 10 self-reports)
OVERSTATE_INTEGRITY = -1.1  # per standard deviation of integrity: the less honest inflate more
INFLATION = (0.35, 0.15)  # log-normal factor of an inflated figure: about 1.4x


def declarations(series: MonthlySeries) -> pa.Table:
    """Return the declarations of the chunk's enterprises, by submission date then enterprise."""
    world, rng = series.world, series.rng
    grid = world.grid
    years = grid.year[series.cols]
    headcount = world.headcount[:, None] * np.exp(0.15 * (series.h - world.mean_health[:, None]))
    rd_intensity = np.array([P.INDUSTRIES[c].rd_intensity for c in P.INDUSTRY_CODES])[world.industry]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("i", "year", "channel", "day", "figures")}
    for year in np.unique(years).tolist():
        in_year = years == year
        if in_year.sum() < 12:
            continue
        revenue = series.revenue[:, in_year].sum(axis=1) / 1e4  # 10k CNY, like statistics
        operating = series.operating[:, in_year].any(axis=1) & (revenue > 0)
        employees = headcount[:, in_year].mean(axis=1)
        for number, (share, first, last, propensity) in enumerate(CHANNELS.values()):
            i = np.flatnonzero(operating & (rng.random(world.n) < share))
            start = np.datetime64(f"{year + 1}-{first:02d}-01", "D").astype(np.int64)
            stop = np.datetime64(f"{year + 1}-{last:02d}-28", "D").astype(np.int64)
            day = rng.integers(start, stop + 1, len(i))
            keep = day <= grid.window_end_day  # nothing after the window is known
            i, day = i[keep], day[keep]
            true = np.column_stack(
                [
                    revenue[i],
                    employees[i],
                    revenue[i] * rd_intensity[i] * rng.lognormal(0, 0.2, len(i)),
                    revenue[i] * rng.lognormal(np.log(0.08), 0.6, len(i)),
                ]
            )
            odds = OVERSTATE_BASE + np.log(propensity) + OVERSTATE_INTEGRITY * world.integrity[i]
            inflated = rng.random(len(i)) < sigmoid(odds)
            factor = np.where(inflated, rng.lognormal(*INFLATION, len(i)), rng.lognormal(0, 0.03, len(i)))
            parts["i"].append(i)
            parts["year"].append(np.full(len(i), year))
            parts["channel"].append(np.full(len(i), number))
            parts["day"].append(day)
            parts["figures"].append(true * factor[:, None])
    i = np.concatenate(parts["i"]).astype(np.int64) if parts["i"] else np.empty(0, np.int64)
    figures = np.concatenate(parts["figures"]) if parts["figures"] else np.empty((0, 4))
    year = np.concatenate(parts["year"]) if parts["year"] else np.empty(0, np.int64)
    channel = np.concatenate(parts["channel"]) if parts["channel"] else np.empty(0, np.int64)
    day = np.concatenate(parts["day"]) if parts["day"] else np.empty(0, np.int64)
    order = np.lexsort((channel, i, day))
    i, year, channel, day, figures = i[order], year[order], channel[order], day[order], figures[order]
    surveyed = channel == list(CHANNELS).index("survey")  # surveys do not ask about investment
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "year": pa.array(year.astype(np.int16), pa.int16()),
            "channel": pa.array(np.asarray(list(CHANNELS))[channel], pa.string()),
            "declared_on": dates(day),
            "revenue": np.round(figures[:, 0], 1),
            "employees": np.round(figures[:, 1]).astype(np.int64),
            "rd_expense": np.round(figures[:, 2], 1),
            "investment": pa.array(np.round(figures[:, 3], 1), pa.float64(), mask=surveyed),
            "reported_on": dates(day),
        }
    )
