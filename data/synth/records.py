"""Credit records as the simulation keeps them: drawn with their display rules, then resolved.

``RecordMaker`` draws the dates, eligibility for repair and display expiry of new records (SPEC §3);
``resolve`` expires, escalates, repairs, cures or removes the open ones month by month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data.synth import params as P
from data.synth.calendar import MonthGrid
from data.synth.hazards import resolution_hazard
from data.synth.population import ZONE_CODES


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


class RecordMaker:
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


def resolve(
    records: Records,
    j: int,
    maker: RecordMaker,
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
