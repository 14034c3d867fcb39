"""Latent simulation of one chunk of enterprises: health, integrity, operation, credit records.

Everything observable (sources) and everything true (labels, probabilities) derives from the
``ChunkWorld`` returned here. The loop runs over months; every step is vectorised over enterprises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.synth import params as P
from data.synth.calendar import MonthGrid
from data.synth.hazards import continue_prob, dormancy_prob, hazard, revival_prob, sigmoid
from data.synth.population import credit_codes, draw_static, health_targets, legal_rep_ids, names
from data.synth.records import RecordMaker, Records, resolve


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


def simulate_chunk(
    n: int, first_index: int, grid: MonthGrid, rng: np.random.Generator, taken_codes: set[str]
) -> ChunkWorld:
    """Simulate ``n`` enterprises over the grid; ``taken_codes`` keeps codes unique across chunks."""
    s = draw_static(n, grid, rng)
    target = health_targets(s, grid)
    g, zone = s["integrity"], s["zone"]
    size = grid.size
    maker = RecordMaker(grid, rng, zone)
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

        resolve(records, j, maker, g, h, operating, exit_idx, abnormal_open, committed, rng)

        health[:, j] = np.where(alive, h, np.nan)
        operating_m[:, j] = alive & operating
        registered_m[:, j] = alive
        nonfiler_m[:, j] = alive & ~operating & nonfiler

    late = (
        registered_m
        & ~nonfiler_m
        & (rng.random(shape) < sigmoid(-3.2 - 0.9 * g[:, None] - 0.4 * np.nan_to_num(health)))
    )
    codes = credit_codes(s["entity_type"], rng, taken_codes)
    world = ChunkWorld(
        grid=grid,
        first_index=first_index,
        credit_code=codes,
        name=names(s["entity_type"], s["industry"], rng),
        legal_rep_id=legal_rep_ids(n, rng),
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
