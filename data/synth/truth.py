"""Ground truth of a chunk: latent states and the true probabilities behind each SPEC §4 label.

Probabilities are computed analytically from the hazards, given the latent state at the as-of
date. Future health is Gaussian given today's deviation (AR(1) around a known trend), so every
hazard that is log-linear in health has a closed-form expectation; logistic terms use the probit
approximation. Simplifications (documented in docs/synthetic-world.md): operation and record
holdings are frozen at the as-of state, hazards are summed as if independent, rare jumps ignored.
Realised labels come from the simulated events, so oracle AUC can be checked without features.

The repair probability has a second, exact-up-to-sampling estimate: ``p_unrepaired_12m_mc``
simulates the generator's own monthly steps forward from each enterprise's state at as-of
(``MC_SIMULATIONS`` seeded paths), with its standard error ``p_unrepaired_12m_mc_se``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data.synth import params as P
from data.synth.hazards import continue_prob, dormancy_prob, resolution_hazard, revival_prob, sigmoid
from data.synth.observe import dates
from data.synth.world import ChunkWorld

MC_SIMULATIONS = 200  # forward paths per enterprise and as-of for the Monte-Carlo repair oracle
_REPAIRABLE = (P.K_PENALTY, P.K_ABNORMAL, P.K_DISHONESTY, P.K_JUDGMENT, P.K_BREACH)


def _moments(world: ChunkWorld, j: int, k: int, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Mean and variance of health ``k`` months after month ``j`` given today's deviation."""
    mean = world.target[:, j + k] + P.RHO**k * x
    var = P.SIGMA**2 * (1 - P.RHO ** (2 * k)) / (1 - P.RHO**2)
    return mean, var


def _exp_moment(a: float, mean: np.ndarray, var: float) -> np.ndarray:
    return np.exp(a * mean + 0.5 * a * a * var)


def _expected_sigmoid(logit: np.ndarray, slope: float, var: float) -> np.ndarray:
    return sigmoid(logit / np.sqrt(1 + np.pi * slope * slope * var / 8))


def _expected_hazard(
    name: str, world: ChunkWorld, op: np.ndarray, mean: np.ndarray, var: float
) -> np.ndarray:
    coef_op, coef_dormant, b_g, a_h = P.HAZARDS[name]
    return np.where(op, coef_op, coef_dormant) * np.exp(b_g * world.integrity) * _exp_moment(a_h, mean, var)


def _open_records(world: ChunkWorld, day: int) -> np.ndarray:
    """Indices of published, repairable records not yet repaired, removed or escalated at ``day``."""
    rec = world.records
    removed = np.where(rec.removed >= 0, rec.removed, np.iinfo(np.int64).max)
    return np.flatnonzero(
        np.isin(rec.kind, _REPAIRABLE)
        & (rec.severity != P.S_MINOR)
        & (rec.published >= 0)
        & (rec.published <= day)
        & (removed > day)
    )


def _grade_d_probability(
    world: ChunkWorld, j: int, x: np.ndarray, op: np.ndarray, q_tax: np.ndarray
) -> np.ndarray:
    """Probability a grade D is published within 12 months after month ``j``."""
    grid = world.grid
    month, year = int(grid.month[j]), int(grid.year[j])
    gr = world.grades
    n = world.n
    if month < 4:  # the April publication for last year is ahead; that year is complete
        sel = gr["year"] == year - 1
        p = np.zeros(n)
        p[gr["ent"][sel]] = (gr["grade"][sel] == 4).astype(float)
        return p
    # This year's grade (published next April) is still being earned.
    first = j - (month - 1)
    cols = np.arange(first, j + 1)
    known = (world.arrears_tax[:, cols].max(axis=1) >= 3) | (
        world.nonfiler[:, cols].sum(axis=1) + (12 - month) * world.nonfiler[:, j] >= 6
    )
    k_now = world.arrears_tax[:, j]
    left = 12 - month
    spell = np.where((k_now > 0) & (k_now < 3) & (left >= 3 - k_now), q_tax ** np.clip(3 - k_now, 0, 3), 0.0)
    lam = np.zeros(n)
    for k in range(1, left - 1):
        mean, var = _moments(world, j, k, x)
        lam += _expected_hazard("tax_start", world, op, mean, var) * q_tax**2
    return 1 - (1 - known) * (1 - spell) * np.exp(-lam)


def oracle(world: ChunkWorld, mc_rng: np.random.Generator | None = None) -> pa.Table:
    """True probabilities and realised labels per enterprise and month-end of the window.

    ``mc_rng`` seeds the Monte-Carlo repair oracle (a fixed default stream when not given).
    """
    mc_rng = np.random.default_rng(0) if mc_rng is None else mc_rng
    grid = world.grid
    n, g = world.n, world.integrity
    q = continue_prob(g)
    rec = world.records
    parts: list[pa.Table] = []
    for j in range(grid.burn_in, grid.size):
        reg = world.registered[:, j]
        ents = np.flatnonzero(reg)
        if len(ents) == 0:
            continue
        op = world.operating[:, j]
        x = np.nan_to_num(world.health[:, j] - world.target[:, j])
        asof = int(grid.start_day[j + 1] - 1)
        asof12 = int(grid.start_day[j + 13] - 1)
        open_idx = _open_records(world, asof)
        listed = np.zeros(n, bool)
        listed[rec.ent[open_idx[rec.kind[open_idx] == P.K_ABNORMAL]]] = True

        # --- credit: a new SPEC §4 event within 12 months -------------------------------------
        lam = np.zeros(n)
        for k in range(1, 13):
            mean, var = _moments(world, j, k, x)
            for name in ("penalty_general", "penalty_serious"):
                lam += _expected_hazard(name, world, op, mean, var) * world.size_factor
            for name in ("judgment", "dishonesty"):
                lam += _expected_hazard(name, world, op, mean, var)
            if k <= 10:  # a spell must start early enough to reach three months
                lam += _expected_hazard("ss_start", world, op, mean, var) * q**2
                lam += _expected_hazard("ut_start", world, op, mean, var) * q**2
            a, b_g, a_h, shift = P.ABNORMAL_JULY
            july = grid.month[j + k] == 7 if j + k < grid.size else (int(grid.month[j]) + k - 1) % 12 == 6
            p_list = np.where(op, 0.0, P.ABNORMAL_UNREACHABLE)
            if july:
                p_list = p_list + _expected_sigmoid(a + b_g * g + a_h * mean + shift * ~op, a_h, var)
            lam += np.where(listed, 0.0, -np.log1p(-np.minimum(p_list, 0.999)))
        spells = np.ones(n)
        for arrears in (world.arrears_ss[:, j], world.arrears_ut[:, j]):
            spells *= 1 - np.where((arrears > 0) & (arrears < 3), q ** np.clip(3 - arrears, 0, 3), 0)
        escalation = _escalation_probability(world, open_idx, j, x, op)
        p_d = _grade_d_probability(world, j, x, op, q)
        p_default = 1 - spells * (1 - escalation) * (1 - p_d) * np.exp(-lam)

        # --- activity: operating in at least one of the next three months --------------------
        revival = []
        for k in (1, 2, 3):
            mean, var = _moments(world, j, k, x)
            revival.append(P.REVIVAL * 2 * _expected_sigmoid(2 * mean, 2.0, var))
        mean1, var1 = _moments(world, j, 1, x)
        dormancy = P.DORMANCY_BASE + P.DORMANCY_DISTRESS * _expected_sigmoid(
            -P.DORMANCY_SLOPE * (mean1 - P.DORMANCY_KNEE), P.DORMANCY_SLOPE, var1
        )
        dormant_exit = np.where(world.zombie, 0.0, P.EXIT_DORMANT_DEREGISTER + P.EXIT_DORMANT_REVOKE)
        idle_all = np.where(
            op,
            P.EXIT_OPERATING + dormancy * (1 - revival[1]) * (1 - revival[2]),
            np.prod([1 - r * (1 - dormant_exit) for r in revival], axis=0),
        )
        p_active = 1 - idle_all

        # --- repair: still unrepaired 12 months on ------------------------------------------
        held = open_idx[reg[rec.ent[open_idx]]]
        p_unrepaired, in_repair = _unrepaired_probability(world, held, j, x, op)
        p_mc, se_mc = unrepaired_monte_carlo(world, held, j, x, op, mc_rng)

        # --- realised labels (null where the horizon passes the window end) ------------------
        age_ok = asof - world.established_day >= 183
        in_credit = reg & age_ok
        horizon_known = j + 12 < grid.size
        default = np.asarray(world.default_event[:, j + 1 : j + 13].any(axis=1)) if horizon_known else None
        active = np.asarray(world.operating[:, j + 1 : j + 4].any(axis=1)) if j + 3 < grid.size else None
        unrepaired = _realised_unrepaired(world, held, asof12) if horizon_known else None

        def col(
            values: np.ndarray | None, mask: np.ndarray, kind: pa.DataType, ents: np.ndarray = ents
        ) -> pa.Array:
            if values is None:
                return pa.nulls(len(ents), kind)
            return pa.array(values[ents].astype(kind.to_pandas_dtype()), kind, mask=~mask[ents])

        parts.append(
            pa.table(
                {
                    "credit_code": pa.array(np.asarray(world.credit_code, object)[ents], pa.string()),
                    "as_of": dates(np.full(len(ents), asof)),
                    "in_credit_population": in_credit[ents],
                    "p_default_12m": p_default[ents].astype(np.float32),
                    "default_12m": col(default, in_credit, pa.int8()),
                    "in_repair_population": in_repair[ents],
                    "p_unrepaired_12m": pa.array(
                        p_unrepaired[ents].astype(np.float32), pa.float32(), mask=~in_repair[ents]
                    ),
                    "p_unrepaired_12m_mc": pa.array(
                        p_mc[ents].astype(np.float32), pa.float32(), mask=~in_repair[ents]
                    ),
                    "p_unrepaired_12m_mc_se": pa.array(
                        se_mc[ents].astype(np.float32), pa.float32(), mask=~in_repair[ents]
                    ),
                    "unrepaired_12m": col(unrepaired, in_repair, pa.int8()),
                    "p_active_next_q": p_active[ents].astype(np.float32),
                    "active_next_q": col(active, np.ones(n, bool), pa.int8()),
                }
            )
        )
    return pa.concat_tables(parts)


def _escalation_probability(
    world: ChunkWorld, open_idx: np.ndarray, j: int, x: np.ndarray, op: np.ndarray
) -> np.ndarray:
    """Chance an open abnormal-operation entry stays uncured until it escalates within 12 months."""
    rec = world.records
    sel = open_idx[(rec.kind[open_idx] == P.K_ABNORMAL) & (rec.expiry_idx[open_idx] <= j + 12)]
    p = np.zeros(world.n)
    if len(sel) == 0:
        return p
    ent = rec.ent[sel]
    survive = np.ones(len(sel))
    for k in range(1, 13):
        mean, var = _moments(world, j, k, x)
        lam = _resolution(world, "abnormal", ent, op, mean, var)
        survive *= np.where(rec.expiry_idx[sel] > j + k, np.exp(-lam), 1.0)
    np.maximum.at(p, ent, survive)
    return p


def _resolution(
    world: ChunkWorld, kind: str, ent: np.ndarray, op: np.ndarray, mean: np.ndarray, var: float
) -> np.ndarray:
    coef_op, coef_dormant, b_g, a_h = P.REPAIR[kind]
    return np.where(
        op[ent],
        coef_op * np.exp(b_g * world.integrity[ent]) * _exp_moment(a_h, mean[ent], var),
        coef_dormant,
    )


def _unrepaired_probability(
    world: ChunkWorld, held: np.ndarray, j: int, x: np.ndarray, op: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per enterprise: P(some held record is still unrepaired, or the firm left, 12 months on)."""
    rec = world.records
    n = world.n
    in_population = np.zeros(n, bool)
    in_population[rec.ent[held]] = True
    if len(held) == 0:
        return np.zeros(n), in_population
    ent, kind = rec.ent[held], rec.kind[held]
    cls = np.select(
        [kind == P.K_ABNORMAL, kind == P.K_JUDGMENT, rec.severity[held] == P.S_SERIOUS],
        ["abnormal", "judgment", "serious"],
        "general",
    )
    exit_h = np.where(
        op, P.EXIT_OPERATING, np.where(world.zombie, 0.0, P.EXIT_DORMANT_DEREGISTER + P.EXIT_DORMANT_REVOKE)
    )[ent]
    unresolved, stuck = np.ones(len(held)), np.zeros(len(held))
    for k in range(1, 13):
        mean, var = _moments(world, j, k, x)
        lam = np.zeros(len(held))
        for name in ("general", "serious", "abnormal", "judgment"):
            m = cls == name
            lam[m] = _resolution(world, name, ent[m], op, mean, var)
        repair = np.where(rec.eligible[held] <= j + k, 1 - np.exp(-lam), 0.0)
        leaving = unresolved * exit_h
        unresolved = unresolved - leaving
        stuck += leaving
        expires = (rec.expiry_idx[held] == j + k) & (kind != P.K_ABNORMAL)
        unresolved = np.where(expires, 0.0, unresolved * (1 - repair))
    p_unresolved = np.clip(unresolved + stuck, 0, 1)
    log_resolved = np.zeros(n)
    np.add.at(log_resolved, ent, np.log(np.maximum(1 - p_unresolved, 1e-12)))
    return 1 - np.exp(log_resolved), in_population


def unrepaired_monte_carlo(
    world: ChunkWorld,
    held: np.ndarray,
    j: int,
    x: np.ndarray,
    op: np.ndarray,
    rng: np.random.Generator,
    sims: int = MC_SIMULATIONS,
) -> tuple[np.ndarray, np.ndarray]:
    """P(unrepaired 12 months on) by replaying the generator's months j+1..j+12 ``sims`` times.

    Each path draws health (AR(1) with jumps), dormancy, revival and exit, July listings (they
    raise the revocation hazard) and the monthly repair of every held record, exactly as
    ``simulate_chunk`` does; an enterprise counts as unrepaired on a path when any held record is
    still open (or escalated) at the horizon, or it left before repairing. Returns the mean over
    paths and its standard error per enterprise (zeros outside the repair population).
    """
    n = world.n
    p, se = np.zeros(n), np.zeros(n)
    if len(held) == 0:
        return p, se
    rec = world.records
    firms, pos = np.unique(rec.ent[held], return_inverse=True)
    g = world.integrity[firms][:, None]
    zombie = world.zombie[firms][:, None]
    kind, severity = rec.kind[held], rec.severity[held]
    cls = np.select(
        [kind == P.K_ABNORMAL, kind == P.K_JUDGMENT, severity == P.S_SERIOUS],
        ["abnormal", "judgment", "serious"],
        "general",
    )
    shape, rshape = (len(firms), sims), (len(held), sims)
    dev = np.broadcast_to(x[firms][:, None], shape).copy()
    operating = np.broadcast_to(op[firms][:, None], shape).copy()
    alive = np.ones(shape, bool)
    is_abnormal = kind == P.K_ABNORMAL
    held_abnormal_open = np.zeros(shape, bool)
    held_abnormal_open[np.unique(pos[is_abnormal])] = True
    new_listing = np.zeros(shape, bool)  # a listing on the path, cured at the abnormal hazard
    unresolved = np.ones(rshape, bool)
    a, b_g, a_h, dormant_shift = P.ABNORMAL_JULY
    for k in range(1, 13):
        month = j + k
        dev = (
            P.RHO * dev
            + P.SIGMA * rng.standard_normal(shape)
            - P.JUMP_SIZE * (rng.random(shape) < P.JUMP_PROB)
        )
        h = world.target[firms, month][:, None] + dev
        u = rng.random(shape)
        to_dormant = alive & operating & (u < dormancy_prob(h))
        voluntary_exit = alive & operating & ~to_dormant & (u > 1 - P.EXIT_OPERATING)
        revive = alive & ~operating & (u < revival_prob(h))
        dormant_exit = alive & ~operating & ~revive & ~zombie
        revoke_p = P.EXIT_DORMANT_REVOKE + 0.02 * (held_abnormal_open | new_listing)
        v = rng.random(shape)
        leaving = voluntary_exit | (dormant_exit & (v < revoke_p + P.EXIT_DORMANT_DEREGISTER))
        operating = (operating & ~to_dormant) | revive
        alive &= ~leaving
        calendar_month = (int(world.grid.month[j]) + k - 1) % 12 + 1
        p_list = np.where(operating, 0.0, P.ABNORMAL_UNREACHABLE)
        if calendar_month == 7:
            p_list = p_list + sigmoid(a + b_g * g + a_h * h + dormant_shift * ~operating)
        cure_new = (
            new_listing
            & alive
            & (rng.random(shape) < 1 - np.exp(-resolution_hazard("abnormal", g, h, operating)))
        )
        listed = alive & ~held_abnormal_open & ~new_listing & (rng.random(shape) < p_list)
        new_listing = (new_listing & ~cure_new) | listed

        expiring = (rec.expiry_idx[held] == month)[:, None]
        escalating = expiring & is_abnormal[:, None]
        unresolved &= ~(expiring & ~escalating)  # display expiry removes a record: resolved
        lam = np.zeros(rshape)
        for name in ("general", "serious", "abnormal", "judgment"):
            m = cls == name
            lam[m] = resolution_hazard(name, g[pos[m]], h[pos[m]], operating[pos[m]])
        candidates = ~expiring & (rec.eligible[held] <= month)[:, None] & alive[pos]
        repaired = candidates & (rng.random(rshape) < 1 - np.exp(-lam))
        unresolved &= ~repaired
        cured = np.zeros(shape, bool)
        np.logical_or.at(cured, pos[is_abnormal], (repaired | escalating)[is_abnormal])
        held_abnormal_open &= ~cured
    stuck = np.zeros(shape, bool)
    np.logical_or.at(stuck, pos, unresolved)
    mean = stuck.mean(axis=1)
    p[firms] = mean
    se[firms] = np.sqrt(mean * (1 - mean) / sims)
    return p, se


def _realised_unrepaired(world: ChunkWorld, held: np.ndarray, asof12: int) -> np.ndarray:
    rec = world.records
    never = np.iinfo(np.int64).max
    resolved = np.where((rec.removed[held] >= 0) & ~rec.escalated[held], rec.removed[held], never)
    exit_day = np.where(world.exit_day >= 0, world.exit_day, never)[rec.ent[held]]
    still = (resolved > asof12) | ((exit_day <= asof12) & (exit_day < resolved))
    out = np.zeros(world.n, bool)
    out[rec.ent[held[still]]] = True
    return out


def latent(world: ChunkWorld) -> pa.Table:
    """Latent state per enterprise-month of the window where the enterprise is registered."""
    cols = np.arange(world.grid.burn_in, world.grid.size)
    t, i = np.nonzero(world.registered[:, cols].T)
    return pa.table(
        {
            "credit_code": pa.array(np.asarray(world.credit_code, object)[i], pa.string()),
            "period": pa.array(world.grid.months.astype(str), pa.string()).take(pa.array(cols[t])),
            "health": world.health[i, cols[t]].astype(np.float32),
            "integrity": world.integrity[i].astype(np.float32),
            "operating": world.operating[i, cols[t]],
        }
    )
