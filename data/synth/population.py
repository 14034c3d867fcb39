"""Who the enterprises of a chunk are: zone, industry, type, age, size, identity, health trend.

Drawn once per chunk before the monthly simulation; the trend of health (``health_targets``) is
deterministic given these draws and the macro cycle.
"""

from __future__ import annotations

import numpy as np

from data.credit_code import generate_credit_codes
from data.synth import params as P
from data.synth.calendar import MonthGrid
from data.synth.hazards import macro_cycle, sigmoid

ZONE_CODES = tuple(P.ZONE_SHARES)


def draw_static(n: int, grid: MonthGrid, rng: np.random.Generator) -> dict[str, np.ndarray]:
    zone = rng.choice(len(ZONE_CODES), size=n, p=list(P.ZONE_SHARES.values()))
    industry = np.empty(n, np.int64)
    for z, code in enumerate(ZONE_CODES):
        mask = zone == z
        mix = P.ZONE_MIX[code]
        idx = [P.INDUSTRY_CODES.index(c) for c in mix]
        industry[mask] = rng.choice(idx, size=int(mask.sum()), p=list(mix.values()))
    small_trade = np.array([P.INDUSTRIES[c].small_trade for c in P.INDUSTRY_CODES])[industry]
    u = rng.random(n)
    entity_type = np.where(small_trade & (u < 0.25), "2", np.where(small_trade & (u < 0.27), "3", "1"))

    # Stock enterprises carry realistic ages; entrants arrive uniformly over burn-in and window.
    # About 30% of a 48-month window's enterprises are founded inside it (constant entry rate).
    entrant = rng.random(n) < min(0.9, P.ENTRY_RATE * grid.size)
    # No enterprise is older than its zone (TEDA 1984 ... Eco-city 2008).
    age_years = rng.lognormal(np.log(4.0), 0.8, n)
    zone_age = (grid.start_day[0] - np.array([P.ZONE_FOUNDED_DAY[c] for c in ZONE_CODES])[zone]) / 365.25
    age_years = np.where(age_years < zone_age, age_years, rng.uniform(0, 1, n) * zone_age)
    first_day, last_day = grid.start_day[0], grid.start_day[grid.size] - 1
    entry_day = rng.integers(first_day, last_day + 1, n)
    established_day = np.where(entrant, entry_day, first_day - (age_years * 365.25).astype(np.int64))
    established_idx = grid.index_of_day(established_day)

    ind = [P.INDUSTRIES[c] for c in P.INDUSTRY_CODES]
    rev_median = np.array([i.revenue_median for i in ind])[industry]
    size_z = rng.standard_normal(n)
    # Heavy tail: lognormal body with a Pareto-like multiplier for a few large firms.
    pareto = np.where(rng.random(n) < 0.03, rng.pareto(1.5, n) + 1.0, 1.0)
    annual_revenue = 0.5 * rev_median * np.exp(1.5 * size_z) * pareto
    annual_revenue *= np.where(entity_type == "1", 1.0, 0.12)
    rev_per_emp = np.array([i.revenue_per_employee for i in ind])[industry]
    headcount = np.clip(np.round(annual_revenue / rev_per_emp * rng.lognormal(0, 0.4, n)), 1, 150_000)
    capital = annual_revenue / 1e4 * rng.lognormal(-0.7, 1.0, n)
    magnitude = 10 ** np.floor(np.log10(np.maximum(capital, 1.0)))
    registered_capital = np.maximum(np.round(capital / magnitude) * magnitude, 1.0)
    registered_capital = np.where(entity_type == "1", registered_capital, np.round(capital, 1) + 1)

    integrity = rng.standard_normal(n)
    mean_health = 0.5 * rng.standard_normal(n) + 0.15 * integrity + 0.1 * size_z
    return {
        "zone": zone,
        "industry": industry,
        "entity_type": entity_type,
        "established_day": established_day,
        "established_idx": established_idx,
        "registered_capital": registered_capital,
        "annual_revenue": annual_revenue,
        "headcount": headcount,
        "integrity": integrity,
        "mean_health": mean_health,
        "zombie": rng.random(n) < P.ZOMBIE_SHARE,
        "idle_kwh": rng.uniform(20, 300, n),
        "coverage": 0.65 + 0.35 * sigmoid(integrity + 1.0),
        "size_z": size_z,
    }


def health_targets(static: dict[str, np.ndarray], grid: MonthGrid) -> np.ndarray:
    """Deterministic part of health per month: own level, youth, industry and zone trends, cycle."""
    columns = grid.size + grid.horizon
    start_day = grid.start_day[:columns]
    age_years = np.maximum((start_day[None, :] - static["established_day"][:, None]) / 365.25, 0.0)
    years = (np.arange(columns) - grid.burn_in) / 12.0
    ind = [P.INDUSTRIES[c] for c in P.INDUSTRY_CODES]
    trend = np.array([i.trend for i in ind])[static["industry"]]
    trend = trend + np.array(list(P.ZONE_TREND.values()))[static["zone"]]
    beta = np.array([i.cycle_beta for i in ind])[static["industry"]]
    macro = macro_cycle(grid)[:columns]
    target = (
        static["mean_health"][:, None]
        - 0.5 * np.exp(-age_years / 1.5)
        + trend[:, None] * years[None, :]
        + beta[:, None] * macro[None, :]
    )
    return target.astype(np.float32)


def credit_codes(entity_type: np.ndarray, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """Valid codes, unique against every earlier chunk (collisions are redrawn from ``rng``)."""
    codes = generate_credit_codes(len(entity_type), rng, list(entity_type))
    for i, code in enumerate(codes):
        while code in taken:
            code = generate_credit_codes(1, rng, [entity_type[i]])[0]
        codes[i] = code
        taken.add(code)
    return codes


_BRAND = list("华泰鑫宏瑞达海港滨航博创恒信远通凯盛嘉禾中德新源天智汇金利丰昌隆晟辉光明润和普康安宇")


def names(entity_type: np.ndarray, industry: np.ndarray, rng: np.random.Generator) -> list[str]:
    brand = rng.choice(_BRAND, size=(len(industry), 2))
    words = [P.INDUSTRIES[c].word for c in P.INDUSTRY_CODES]
    suffix = {"1": "有限公司", "2": "经营部", "3": "专业合作社"}
    prefix = {"1": "天津", "2": "滨海新区", "3": "天津滨海"}
    return [
        f"{prefix[e]}{b[0]}{b[1]}{words[i]}{suffix[e]}"
        for e, b, i in zip(entity_type, brand, industry, strict=True)
    ]


_ID_AREAS = np.array(
    [
        "120116",
        "120101",
        "120102",
        "120103",
        "120104",
        "120105",
        "120110",
        "130102",
        "370102",
        "410102",
        "210102",
        "340102",
    ]
)
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def legal_rep_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    """Resident ID numbers (GB 11643, ISO 7064 MOD 11-2 check); about 2% missing."""
    area = rng.choice(_ID_AREAS, n)
    birth = (np.datetime64("1958-01-01") + rng.integers(0, 42 * 365, n)).astype(str)
    birth = np.char.replace(birth, "-", "")
    seq = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    body = np.char.add(np.char.add(area, birth), seq)
    digits = np.frombuffer(body.astype("S17").tobytes(), np.uint8).reshape(n, 17) - 48
    check = np.array(list("10X98765432"))[(digits @ _ID_WEIGHTS) % 11]
    ids = np.char.add(body, check).astype(object)
    ids[rng.random(n) < 0.02] = None
    return ids
