"""Latent simulation of one chunk of enterprises: health, integrity, operation, credit records.

Everything observable (sources) and everything true (labels, probabilities) derives from the
``ChunkWorld`` returned here. The loop runs over months; every step is vectorised over enterprises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data.credit_code import generate_credit_codes
from data.synth import params as P
from data.synth.calendar import MonthGrid

ZONE_CODES = tuple(P.ZONE_SHARES)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def macro_cycle(grid: MonthGrid) -> np.ndarray:
    """Shared macro factor per month: a slow cycle with a sharp downturn early in the window."""
    t = np.arange(grid.size + grid.horizon) - grid.burn_in
    return (
        0.30 * np.sin(2 * np.pi * (t + 6) / 42)
        - 0.90 * np.exp(-(((t - 8) / 4.0) ** 2))
        - 0.40 * np.exp(-(((t - 34) / 5.0) ** 2))
    )


def hazard(name: str, g: np.ndarray, h: np.ndarray, operating: np.ndarray) -> np.ndarray:
    """Monthly hazard of a credit event: log-linear in integrity and health, regime by operation."""
    coef_op, coef_dormant, b_g, a_h = P.HAZARDS[name]
    return np.where(operating, coef_op, coef_dormant) * np.exp(b_g * g + a_h * h)


def continue_prob(g: np.ndarray) -> np.ndarray:
    """Probability an arrears spell lasts another month: low integrity pays late."""
    return 0.35 + 0.40 * sigmoid(-1.2 * g)


def dormancy_prob(h: np.ndarray) -> np.ndarray:
    return P.DORMANCY_BASE + P.DORMANCY_DISTRESS * sigmoid(-P.DORMANCY_SLOPE * (h - P.DORMANCY_KNEE))


def revival_prob(h: np.ndarray) -> np.ndarray:
    return P.REVIVAL * 2 * sigmoid(2 * h)


def resolution_hazard(kind: str, g: np.ndarray, h: np.ndarray, operating: np.ndarray) -> np.ndarray:
    """Monthly hazard that an eligible record is repaired, cured or performed."""
    coef_op, coef_dormant, b_g, a_h = P.REPAIR[kind]
    return np.where(operating, coef_op * np.exp(b_g * g + a_h * h), coef_dormant)


@dataclass
class Records:
    """Credit records of a chunk as parallel arrays; open ones still await repair or expiry."""

    ent: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    kind: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    severity: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    dept: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    occurred: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    published: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # -1: never
    eligible: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # month index
    expiry_idx: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    expiry_day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    repaired: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # -1: not
    removed: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # -1: not
    escalated: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    open: np.ndarray = field(default_factory=lambda: np.empty(0, bool))

    def append(self, **columns: np.ndarray) -> None:
        n = len(columns["ent"])
        if n == 0:
            return
        defaults = {
            "published": np.full(n, -1),
            "eligible": np.full(n, -1),
            "expiry_idx": np.full(n, 1 << 30),
            "expiry_day": np.full(n, -1),
            "repaired": np.full(n, -1),
            "removed": np.full(n, -1),
            "escalated": np.zeros(n, bool),
            "open": np.zeros(n, bool),
        }
        for name in self.__dataclass_fields__:
            value = columns.get(name, defaults.get(name))
            current = getattr(self, name)
            setattr(self, name, np.concatenate([current, np.asarray(value, current.dtype)]))


@dataclass
class ChunkWorld:
    """Static attributes, monthly latent matrices (enterprise x month) and records of a chunk."""

    grid: MonthGrid
    first_index: int
    credit_code: list[str]
    name: list[str]
    legal_rep_id: np.ndarray
    zone: np.ndarray
    industry: np.ndarray
    entity_type: np.ndarray  # '1', '2', '3'
    established_day: np.ndarray
    established_idx: np.ndarray
    registered_capital: np.ndarray  # 10k CNY
    annual_revenue: np.ndarray  # CNY, at health = mean
    headcount: np.ndarray
    integrity: np.ndarray
    mean_health: np.ndarray
    zombie: np.ndarray
    size_factor: np.ndarray  # scales penalty hazards: bigger firms are inspected more
    idle_kwh: np.ndarray
    coverage: np.ndarray
    exit_idx: np.ndarray
    exit_day: np.ndarray
    exit_kind: np.ndarray  # 0 none, 1 revoked, 2 deregistered
    health: np.ndarray  # float32 (n, size)
    target: np.ndarray  # float32 (n, size + horizon): deterministic part of health
    operating: np.ndarray  # bool (n, size)
    registered: np.ndarray  # bool (n, size)
    nonfiler: np.ndarray  # bool (n, size): dormant and no longer filing
    arrears_ss: np.ndarray  # int16 (n, size): months in social-security arrears
    arrears_ut: np.ndarray
    arrears_tax: np.ndarray
    late_filing: np.ndarray  # bool (n, size)
    default_event: np.ndarray  # bool (n, size): a SPEC §4 credit event happened this month
    records: Records
    grades: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.zone)


def _draw_static(n: int, grid: MonthGrid, rng: np.random.Generator) -> dict[str, np.ndarray]:
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


def _targets(static: dict[str, np.ndarray], grid: MonthGrid) -> np.ndarray:
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


class _RecordMaker:
    """Draws dates and display rules for new records of one month."""

    def __init__(self, grid: MonthGrid, rng: np.random.Generator, zone: np.ndarray):
        self.grid, self.rng, self.zone = grid, rng, zone
        self.start = grid.start_day
        self.dim = grid.days_in_month

    def day_in(self, j: int, n: int) -> np.ndarray:
        return self.start[j] + self.rng.integers(0, self.dim[j], n)

    def month_of(self, day: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.start, day, side="right") - 1

    def penalty_dept(self, ents: np.ndarray) -> np.ndarray:
        w = P.PENALTY_DEPT_WEIGHTS / P.PENALTY_DEPT_WEIGHTS.sum()
        dept = self.rng.choice(len(w), size=len(ents), p=w)
        customs_zone = np.isin(self.zone[ents], [ZONE_CODES.index("bonded"), ZONE_CODES.index("dongjiang")])
        return np.where((dept == 5) & ~customs_zone, P.DEPT_MARKET, dept)

    def displayed(
        self,
        ents: np.ndarray,
        kind: int,
        severity: int,
        j: int,
        dept: np.ndarray | int,
        occurred: np.ndarray | None = None,
    ) -> dict:
        """A published negative record with its repair eligibility and display expiry."""
        n = len(ents)
        occurred = self.day_in(j, n) if occurred is None else occurred
        if kind in (P.K_ABNORMAL, P.K_JUDGMENT):
            published = occurred + (0 if kind == P.K_ABNORMAL else self.rng.integers(3, 11, n))
        else:
            published = occurred + self.rng.integers(5, 21, n)
        pub_idx = self.month_of(published)
        if kind == P.K_ABNORMAL:
            eligible = np.full(n, j + 1)
            expiry_day = occurred + round(P.ESCALATION_MONTHS * 30.4375)
            expiry_idx = np.full(n, j + P.ESCALATION_MONTHS)
        elif kind == P.K_JUDGMENT:
            eligible = np.full(n, j + 1)
            expiry_day = np.full(n, -1)
            expiry_idx = np.full(n, 1 << 30)
        else:
            if severity == P.S_GENERAL:
                months = np.where(self.rng.random(n) < 0.8, 12, 6)
                eligible = pub_idx + 4
            else:
                months = (
                    np.full(n, 36)
                    if kind == P.K_DISHONESTY
                    else self.rng.choice([12, 24, 36], size=n, p=[0.2, 0.3, 0.5])
                )
                eligible = pub_idx + 13
            expiry_day = published + np.round(months * 30.4375).astype(np.int64)
            expiry_idx = self.month_of(expiry_day)
        return {
            "ent": ents,
            "kind": np.full(n, kind),
            "severity": np.full(n, severity),
            "dept": np.broadcast_to(dept, (n,)),
            "occurred": occurred,
            "published": published,
            "eligible": eligible,
            "expiry_idx": expiry_idx,
            "expiry_day": expiry_day,
            "open": np.ones(n, bool),
        }

    def plain(
        self,
        ents: np.ndarray,
        kind: int,
        severity: int,
        j: int,
        dept: np.ndarray | int,
        published: bool,
        occurred: np.ndarray | None = None,
    ) -> dict:
        """A record that needs no repair: minor penalties (unpublished), honours, commitments."""
        occurred = self.day_in(j, len(ents)) if occurred is None else occurred
        return {
            "ent": ents,
            "kind": np.full(len(ents), kind),
            "severity": np.full(len(ents), severity),
            "dept": np.broadcast_to(dept, (len(ents),)),
            "occurred": occurred,
            "published": occurred if published else np.full(len(ents), -1),
        }


def simulate_chunk(
    n: int, first_index: int, grid: MonthGrid, rng: np.random.Generator, taken_codes: set[str]
) -> ChunkWorld:
    """Simulate ``n`` enterprises over the grid; ``taken_codes`` keeps codes unique across chunks."""
    s = _draw_static(n, grid, rng)
    target = _targets(s, grid)
    g, zone = s["integrity"], s["zone"]
    size = grid.size
    maker = _RecordMaker(grid, rng, zone)
    records = Records()

    shape = (n, size)
    health = np.zeros(shape, np.float32)
    operating_m = np.zeros(shape, bool)
    registered_m = np.zeros(shape, bool)
    nonfiler_m = np.zeros(shape, bool)
    arrears = {k: np.zeros(shape, np.int16) for k in ("ss", "ut", "tax")}
    default_event = np.zeros(shape, bool)

    sd_stationary = P.SIGMA / np.sqrt(1 - P.RHO**2)
    stock = s["established_idx"] <= 0
    x = np.where(stock, sd_stationary * rng.standard_normal(n), -0.3 + 0.5 * rng.standard_normal(n))
    old = (grid.start_day[0] - s["established_day"]) > 2 * 365
    operating = ~(old & (rng.random(n) < 0.06))
    nonfiler = ~operating & (rng.random(n) < P.NONFILER_SHARE)
    exit_idx = np.full(n, 1 << 30)
    exit_day = np.full(n, -1)
    exit_kind = np.zeros(n, np.int8)
    k = {name: np.zeros(n, np.int64) for name in arrears}
    q = continue_prob(g)
    abnormal_open = np.zeros(n, bool)
    committed = np.zeros(n, bool)
    size_factor = np.exp(0.15 * s["size_z"])
    months = grid.month

    for j in range(size):
        alive = (s["established_idx"] <= j) & (exit_idx > j)
        new = s["established_idx"] == j
        operating = np.where(new, True, operating)
        nonfiler &= ~new
        # Latent health: AR(1) deviation around the deterministic target, with rare shocks.
        eps = rng.standard_normal(n)
        jump = rng.random(n) < P.JUMP_PROB
        x = np.where(alive & ~new, P.RHO * x + P.SIGMA * eps - P.JUMP_SIZE * jump, x)
        h = target[:, j] + x

        # Operation: distress pushes firms dormant; dormant firms revive, deregister or get revoked.
        u = rng.random(n)
        settled = alive & ~new
        to_dormant = settled & operating & (u < dormancy_prob(h))
        voluntary_exit = settled & operating & ~to_dormant & (u > 1 - P.EXIT_OPERATING)
        revive = settled & ~operating & (u < revival_prob(h))
        revoke_p = P.EXIT_DORMANT_REVOKE + 0.02 * abnormal_open
        dormant_exit = settled & ~operating & ~revive & ~s["zombie"]
        v = rng.random(n)
        revoked = dormant_exit & (v < revoke_p)
        deregistered = (dormant_exit & ~revoked & (v < revoke_p + P.EXIT_DORMANT_DEREGISTER)) | voluntary_exit
        leaving = revoked | deregistered
        exit_idx = np.where(leaving, j, exit_idx)
        exit_day = np.where(leaving, maker.day_in(j, n), exit_day)
        exit_kind = np.where(revoked, 1, np.where(deregistered, 2, exit_kind)).astype(np.int8)
        nonfiler = np.where(to_dormant, rng.random(n) < P.NONFILER_SHARE, nonfiler & ~revive)
        operating = (operating & ~to_dormant) | revive
        alive &= ~leaving

        # Arrears spells: start by hazard, continue with integrity-driven persistence.
        for name, start_hazard in (("ss", "ss_start"), ("ut", "ut_start"), ("tax", "tax_start")):
            lam = hazard(start_hazard, g, h, operating)
            cont = (k[name] > 0) & (rng.random(n) < q)
            start = (k[name] == 0) & (rng.random(n) < 1 - np.exp(-lam))
            k[name] = np.where(alive & cont, k[name] + 1, np.where(alive & start, 1, 0))
            arrears[name][:, j] = k[name]
        default_event[:, j] = alive & ((k["ss"] == 3) | (k["ut"] == 3))

        # Negative credit records from nonlinear hazards of health and integrity.
        for name, kind, severity in (
            ("penalty_general", P.K_PENALTY, P.S_GENERAL),
            ("penalty_serious", P.K_PENALTY, P.S_SERIOUS),
            ("judgment", P.K_JUDGMENT, P.S_SERIOUS),
            ("dishonesty", P.K_DISHONESTY, P.S_SERIOUS),
        ):
            lam = hazard(name, g, h, operating) * (size_factor if kind == P.K_PENALTY else 1.0)
            ents = np.flatnonzero(alive & (rng.random(n) < 1 - np.exp(-lam)))
            dept: np.ndarray | int
            if kind == P.K_PENALTY:
                dept = maker.penalty_dept(ents)
            else:
                dept = (
                    P.DEPT_COURT
                    if kind == P.K_JUDGMENT
                    else np.where(rng.random(len(ents)) < 0.5, P.DEPT_MARKET, P.DEPT_TAX)
                )
            records.append(**maker.displayed(ents, kind, severity, j, dept))
            default_event[ents, j] = True

        a, b_g, a_h, dormant_shift = P.ABNORMAL_JULY
        p_list = np.where(
            months[j] == 7, sigmoid(a + b_g * g + a_h * h + dormant_shift * ~operating), 0.0
        ) + np.where(operating, 0.0, P.ABNORMAL_UNREACHABLE)
        ents = np.flatnonzero(alive & ~abnormal_open & (rng.random(n) < p_list))
        records.append(**maker.displayed(ents, P.K_ABNORMAL, P.S_GENERAL, j, P.DEPT_MARKET))
        abnormal_open[ents] = True
        default_event[ents, j] = True

        # Records without repair: minor penalties, commitments, breaches, honours.
        lam_minor = np.where(operating, 0.004, 0.001) * np.exp(-0.5 * g)
        ents = np.flatnonzero(alive & (rng.random(n) < lam_minor))
        records.append(**maker.plain(ents, P.K_PENALTY, P.S_MINOR, j, maker.penalty_dept(ents), False))
        ents = np.flatnonzero(alive & operating & (rng.random(n) < 0.004))
        records.append(**maker.plain(ents, P.K_COMMIT, P.S_MINOR, j, P.DEPT_DRC, True))
        committed[ents] = True
        lam_breach = 0.003 * np.exp(-1.2 * g - 0.5 * h)
        ents = np.flatnonzero(alive & committed & (rng.random(n) < 1 - np.exp(-lam_breach)))
        records.append(**maker.displayed(ents, P.K_BREACH, P.S_GENERAL, j, P.DEPT_DRC))
        lam_honor = 0.0015 * np.exp(0.8 * h + 0.8 * g) * size_factor
        ents = np.flatnonzero(alive & operating & (rng.random(n) < 1 - np.exp(-lam_honor)))
        honor_dept = rng.choice([P.DEPT_MARKET, P.DEPT_TAX, 4], size=len(ents))
        records.append(**maker.plain(ents, P.K_HONOR, P.S_MINOR, j, honor_dept, True))

        _resolve(records, j, maker, g, h, operating, exit_idx, abnormal_open, committed, rng)

        health[:, j] = np.where(alive, h, np.nan)
        operating_m[:, j] = alive & operating
        registered_m[:, j] = alive
        nonfiler_m[:, j] = alive & ~operating & nonfiler

    late = (
        registered_m
        & ~nonfiler_m
        & (rng.random(shape) < sigmoid(-3.2 - 0.9 * g[:, None] - 0.4 * np.nan_to_num(health)))
    )
    codes = _credit_codes(s["entity_type"], rng, taken_codes)
    world = ChunkWorld(
        grid=grid,
        first_index=first_index,
        credit_code=codes,
        name=_names(s["entity_type"], s["industry"], rng),
        legal_rep_id=_legal_rep_ids(n, rng),
        zone=zone,
        industry=s["industry"],
        entity_type=s["entity_type"],
        established_day=s["established_day"],
        established_idx=s["established_idx"],
        registered_capital=s["registered_capital"],
        annual_revenue=s["annual_revenue"],
        headcount=s["headcount"],
        integrity=g,
        mean_health=s["mean_health"],
        zombie=s["zombie"],
        size_factor=size_factor,
        idle_kwh=s["idle_kwh"],
        coverage=s["coverage"],
        exit_idx=exit_idx,
        exit_day=exit_day,
        exit_kind=exit_kind,
        health=health,
        target=target,
        operating=operating_m,
        registered=registered_m,
        nonfiler=nonfiler_m,
        arrears_ss=arrears["ss"],
        arrears_ut=arrears["ut"],
        arrears_tax=arrears["tax"],
        late_filing=late,
        default_event=default_event,
        records=records,
        grades={},
    )
    world.grades = tax_grades(world, rng)
    return world


def _resolve(
    records: Records,
    j: int,
    maker: _RecordMaker,
    g: np.ndarray,
    h: np.ndarray,
    operating: np.ndarray,
    exit_idx: np.ndarray,
    abnormal_open: np.ndarray,
    committed: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Expire, escalate, repair, cure or remove open records in month ``j``."""
    idx = np.flatnonzero(records.open)
    if len(idx) == 0:
        return
    ent = records.ent[idx]
    kind = records.kind[idx]
    expiring = records.expiry_idx[idx] == j
    escalate = expiring & (kind == P.K_ABNORMAL)
    expire = expiring & ~escalate
    records.removed[idx[expire]] = records.expiry_day[idx[expire]]
    records.open[idx[expiring]] = False
    if escalate.any():
        # Uncured for three years: the abnormal-operation entry moves to the serious list.
        esc = idx[escalate]
        records.removed[esc] = records.expiry_day[esc]
        records.escalated[esc] = True
        abnormal_open[records.ent[esc]] = False
        records.append(
            **maker.displayed(
                records.ent[esc],
                P.K_DISHONESTY,
                P.S_SERIOUS,
                j,
                P.DEPT_MARKET,
                occurred=records.expiry_day[esc],
            )
        )

    candidates = ~expiring & (records.eligible[idx] <= j) & (exit_idx[ent] > j)
    cls = np.select(
        [kind == P.K_ABNORMAL, kind == P.K_JUDGMENT, records.severity[idx] == P.S_SERIOUS],
        [2, 3, 1],
        0,
    )
    lam = np.zeros(len(idx))
    for c, name in enumerate(("general", "serious", "abnormal", "judgment")):
        sel = cls == c
        lam[sel] = resolution_hazard(name, g[ent[sel]], h[ent[sel]], operating[ent[sel]])
    done = candidates & (rng.random(len(idx)) < 1 - np.exp(-lam))
    day = maker.day_in(j, len(idx))
    hit = idx[done]
    records.removed[hit] = day[done]
    repaired = done & (kind != P.K_JUDGMENT)
    records.repaired[idx[repaired]] = day[repaired]
    records.open[hit] = False
    abnormal_open[ent[done & (kind == P.K_ABNORMAL)]] = False
    # Credit repair of a penalty or list entry comes with a written credit commitment.
    pledge = done & (cls <= 1)
    if pledge.any():
        committed[ent[pledge]] = True
        records.append(
            **maker.plain(ent[pledge], P.K_COMMIT, P.S_MINOR, j, P.DEPT_DRC, True, occurred=day[pledge])
        )


def tax_grades(world: ChunkWorld, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Yearly tax credit grades from SPEC §3: direct D, new or no revenue M, else by points."""
    grid = world.grid
    years = grid.year[: grid.size]
    rec = world.records
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("ent", "year", "grade", "published", "pub_idx")}
    g = world.integrity
    for year in np.unique(years):
        cols = np.flatnonzero(years == year)
        if len(cols) < 12:
            continue
        dec = cols[-1]
        pub_idx = dec + 4  # April of the next year
        eligible = (world.established_idx <= dec) & (world.exit_idx > min(pub_idx, grid.size - 1))
        eligible &= world.exit_idx > dec
        tax_arrears = world.arrears_tax[:, cols]
        in_year = (rec.occurred >= grid.start_day[cols[0]]) & (rec.occurred < grid.start_day[dec + 1])
        tax_dept = in_year & (rec.dept == P.DEPT_TAX) & np.isin(rec.kind, [P.K_PENALTY, P.K_DISHONESTY])
        serious_tax = np.zeros(world.n, bool)
        serious_tax[rec.ent[tax_dept & (rec.severity == P.S_SERIOUS)]] = True
        general_tax = np.bincount(rec.ent[tax_dept & (rec.severity == P.S_GENERAL)], minlength=world.n)
        direct_d = (tax_arrears.max(axis=1) >= 3) | (world.nonfiler[:, cols].sum(axis=1) >= 6) | serious_tax
        new = world.established_idx >= cols[0]
        no_revenue = world.operating[:, cols].sum(axis=1) == 0
        present = world.registered[:, cols]
        mean_h = np.where(present, np.nan_to_num(world.health[:, cols]), 0).sum(axis=1) / np.maximum(
            present.sum(axis=1), 1
        )
        score = (
            P.GRADE_BASE
            + 4 * g
            + 2 * mean_h
            + 3 * rng.standard_normal(world.n)
            - 5 * world.late_filing[:, cols].sum(axis=1)
            - 4 * ((tax_arrears > 0) & (tax_arrears < 3)).sum(axis=1)
            - 11 * general_tax
        )
        grade = np.select(
            [direct_d | (score < 40), new | no_revenue, score >= 90, score >= 70],
            [4, 2, 0, 1],
            3,
        )
        ents = np.flatnonzero(eligible)
        pub_day = grid.start_day[pub_idx] + rng.integers(19, 30, len(ents))
        out["ent"].append(ents)
        out["year"].append(np.full(len(ents), year))
        out["grade"].append(grade[ents])
        out["published"].append(pub_day)
        out["pub_idx"].append(np.full(len(ents), pub_idx))
        if pub_idx < grid.size:
            d = ents[grade[ents] == 4]
            world.default_event[d, pub_idx] = True
    return {k: np.concatenate(v) if v else np.empty(0, np.int64) for k, v in out.items()}


def _credit_codes(entity_type: np.ndarray, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """Valid codes, unique against every earlier chunk (collisions are redrawn from ``rng``)."""
    codes = generate_credit_codes(len(entity_type), rng, list(entity_type))
    for i, code in enumerate(codes):
        while code in taken:
            code = generate_credit_codes(1, rng, [entity_type[i]])[0]
        codes[i] = code
        taken.add(code)
    return codes


_BRAND = list("华泰鑫宏瑞达海港滨航博创恒信远通凯盛嘉禾中德新源天智汇金利丰昌隆晟辉光明润和普康安宇")


def _names(entity_type: np.ndarray, industry: np.ndarray, rng: np.random.Generator) -> list[str]:
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


def _legal_rep_ids(n: int, rng: np.random.Generator) -> np.ndarray:
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
