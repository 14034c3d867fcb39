"""双随机 inspections by supervision class: a seeded draw whose inclusion rate per class follows policy.

The population is the zone's scored enterprises in credit-code order, so the same seed over the same
scores draws the same enterprises and inspectors; every draw is stored with who drew it, when, the
rates and the policy version, and can be re-run from its seed to check it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa

from models.policy import load_policy
from serving.errors import ApiError
from serving.exports import csv_bytes
from serving.keys import Principal
from serving.queries import CLASSES, zone_condition
from serving.services.policy import ServicesPolicy
from serving.store import enterprises, inspection_draws, latest_scores

ITEM_COLUMNS = ("credit_code", "name", "supervision_class", "grade", "score", "inspectors")


def class_quotas(counts: dict[str, int], rates: Mapping[str, float], size: int | None) -> dict[str, int]:
    """Return how many enterprises to draw per class: ``rate × count``, or scaled to total ``size``.

    With a size, the rates keep their proportions (D still drawn most often); a class that would need
    more than it has gives all it has and the rest is shared among the others. The largest remainders
    settle the rounding, so the quotas sum to ``size`` (capped by the classes with a rate above 0).
    """
    wanted = {c: rates.get(c, 0.0) * counts.get(c, 0) for c in CLASSES}
    if size is not None:
        if sum(wanted.values()) == 0:
            raise ApiError(422, "every class with enterprises has rate 0: nothing can be drawn")
        target = min(size, sum(counts[c] for c in CLASSES if wanted[c] > 0))
        full: dict[str, float] = {}
        while True:  # water-filling: fill capped classes, share what is left by weight
            left = target - sum(full.values())
            weight = sum(w for c, w in wanted.items() if c not in full)
            share = {c: w * left / weight for c, w in wanted.items() if c not in full and w > 0}
            capped = {c: float(counts[c]) for c, v in share.items() if v >= counts[c]}
            if not capped:
                wanted = {c: full.get(c, share.get(c, 0.0)) for c in CLASSES}
                break
            full |= capped
    else:
        target = round(sum(wanted.values()))
    quotas = {c: min(int(np.floor(w)), counts.get(c, 0)) for c, w in wanted.items()}
    for c in sorted(CLASSES, key=lambda c: wanted[c] - np.floor(wanted[c]), reverse=True):
        if sum(quotas.values()) >= target:
            break
        if quotas[c] < counts.get(c, 0):
            quotas[c] += 1
    return quotas


def draw(
    connection: sa.Connection,
    principal: Principal,
    policy: ServicesPolicy,
    zone: str,
    seed: int,
    size: int | None = None,
    rates: Mapping[str, float] | None = None,
    inspectors: list[str] | None = None,
) -> dict[str, Any]:
    """Draw the enterprises (and, given a roster, their inspectors) to inspect in ``zone``; not stored."""
    if not principal.sees_zone(zone):
        raise ApiError(404, f"zone {zone} not found")
    rates = dict(load_policy().inspection_rate) | dict(rates or {})
    population = [
        dict(r)
        for r in connection.execute(
            sa.select(
                latest_scores.c.credit_code,
                latest_scores.c.name,
                latest_scores.c.supervision_class,
                latest_scores.c.grade,
                latest_scores.c.score,
                latest_scores.c.as_of,
            )
            .join(enterprises, enterprises.c.credit_code == latest_scores.c.credit_code)
            .where(latest_scores.c.zone == zone, enterprises.c.status == "active")
            .order_by(latest_scores.c.credit_code)
        ).mappings()
    ]
    by_class = {c: [p for p in population if p["supervision_class"] == c] for c in CLASSES}
    quotas = class_quotas({c: len(v) for c, v in by_class.items()}, rates, size)
    per = policy.inspection.inspectors_per_enterprise
    roster = sorted(set(inspectors or []))
    if roster and len(roster) < per:
        raise ApiError(422, f"give at least {per} inspectors: each enterprise is inspected by {per}")
    generator = np.random.default_rng(seed)
    items = []
    for c in CLASSES:
        members = by_class[c]
        for index in sorted(generator.choice(len(members), size=quotas[c], replace=False).tolist()):
            chosen = members[index]
            team = sorted(generator.choice(roster, size=per, replace=False).tolist()) if roster else []
            items.append({k: chosen[k] for k in ITEM_COLUMNS if k != "inspectors"} | {"inspectors": team})
    as_of = max((p["as_of"] for p in population), default=None)
    return {
        "zone": zone,
        "seed": seed,
        "rates": {c: rates.get(c, 0.0) for c in CLASSES},
        "policy_version": policy.version,
        "as_of": as_of,
        "population": len(population),
        "population_by_class": {c: len(by_class[c]) for c in CLASSES},
        "drawn_by_class": quotas,
        "items": items,
    }


def store_draw(engine: sa.Engine, principal: Principal, result: dict[str, Any]) -> dict[str, Any]:
    """Store a draw with who drew it and when; return it with its id."""
    drawn_at = datetime.now()
    with engine.begin() as connection:
        draw_id = connection.execute(
            inspection_draws.insert().values(
                zone=result["zone"],
                seed=result["seed"],
                rates=orjson.dumps(result["rates"]).decode(),
                policy_version=result["policy_version"],
                as_of=result["as_of"],
                population=result["population"],
                items=orjson.dumps(result["items"]).decode(),
                drawn_by=principal.key_id,
                drawn_at=drawn_at,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return result | {"draw_id": int(draw_id), "drawn_by": principal.key_id, "drawn_at": drawn_at}


def _public(row: sa.RowMapping) -> dict[str, Any]:
    return dict(row) | {"rates": orjson.loads(row["rates"]), "items": orjson.loads(row["items"])}


def draw_list(
    connection: sa.Connection, principal: Principal, zone: str | None = None
) -> list[dict[str, Any]]:
    """Return the stored draws of the caller's zones, newest first."""
    query = sa.select(inspection_draws).order_by(inspection_draws.c.draw_id.desc())
    condition = zone_condition(principal, inspection_draws.c.zone)
    if condition is not None:
        query = query.where(condition)
    if zone:
        query = query.where(inspection_draws.c.zone == zone)
    return [_public(r) for r in connection.execute(query).mappings()]


def find_draw(connection: sa.Connection, principal: Principal, draw_id: int) -> dict[str, Any]:
    """Return one stored draw of the caller's zones, or 404."""
    row = (
        connection.execute(sa.select(inspection_draws).where(inspection_draws.c.draw_id == draw_id))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise ApiError(404, f"inspection draw {draw_id} not found")
    return _public(row)


def draw_csv(result: dict[str, Any]) -> bytes:
    """Return a draw's enterprises and inspectors as CSV (the 一公开 list)."""
    rows = ([*(i[k] for k in ITEM_COLUMNS[:-1]), " / ".join(i["inspectors"])] for i in result["items"])
    return csv_bytes(ITEM_COLUMNS, rows)
