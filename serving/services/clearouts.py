"""The clear-out workflow (清退): persistent red repair warnings become cases an administrator moves on.

A case is ``candidate → notified → repaired | cleared | kept``; each step is stored with its reason,
who took it and when (the audit log gets one entry per step too). The rule that makes a candidate —
warning level and number of scoring batches — is the policy's ``[clearout]`` table.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from data.corrections import read_corrections
from serving.errors import ApiError
from serving.exports import csv_bytes
from serving.keys import Principal
from serving.queries import (
    credit_records,
    present,
    record_status,
    visible_zone,
    warning_history,
    zone_condition,
)
from serving.services.common import UNREPAIRED_STATUSES
from serving.services.policy import ServicesPolicy
from serving.store import clearout_cases, clearout_steps, warnings

STATUSES = ("candidate", "notified", "repaired", "cleared", "kept")
NEXT = {"candidate": ("notified", "kept"), "notified": ("repaired", "cleared", "kept")}
OPEN = ("candidate", "notified")
CSV_COLUMNS = (
    "case_id",
    "credit_code",
    "name",
    "zone",
    "status",
    "months_unrepaired",
    "batches",
    "updated_at",
)


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def open_candidates(
    engine: sa.Engine, principal: Principal, policy: ServicesPolicy, home: Path, zone: str | None = None
) -> list[dict[str, Any]]:
    """Open a case for every enterprise of the caller's zones that meets the clear-out rule now.

    An enterprise with a case still open gets no second one. Returns the cases opened.
    """
    visible_zone(zone, principal)
    rule = policy.clearout
    with engine.connect() as connection:
        active = [
            dict(r)
            for r in connection.execute(
                sa.select(warnings).where(
                    *present(
                        warnings.c.active.is_(True),
                        warnings.c.kind == "repair",
                        warnings.c.level == rule.level,
                        zone_condition(principal, warnings.c.zone),
                        warnings.c.zone == zone if zone else None,
                    )
                )
            ).mappings()
        ]
        history = warning_history(connection, [w["credit_code"] for w in active], "repair")
        already = set(
            connection.execute(
                sa.select(clearout_cases.c.credit_code).where(clearout_cases.c.status.in_(OPEN))
            ).scalars()
        )
    persistent = [
        w
        for w in active
        if history.get(w["credit_code"], {}).get("batches", 0) >= rule.persistent_batches
        and w["credit_code"] not in already
    ]
    if not persistent:
        return []
    codes = [w["credit_code"] for w in persistent]
    records = credit_records(codes, home)
    now = datetime.now()
    opened = []
    with engine.begin() as connection:
        found = read_corrections(None, connection, codes)
        for w in persistent:
            own = records[records["credit_code"] == w["credit_code"]]
            status = record_status(own, w["as_of"], found)
            unrepaired = status[status["status"].isin(UNREPAIRED_STATUSES)]
            behind = [
                {
                    "event_id": r.event_id,
                    "kind": r.kind,
                    "severity": r.severity,
                    "shown_from": str(r.shown_from)[:10],
                }
                for r in unrepaired.itertuples()
            ]
            since = unrepaired["shown_from"].min()
            case_id = connection.execute(
                clearout_cases.insert().values(
                    credit_code=w["credit_code"],
                    zone=w["zone"],
                    name=w["name"],
                    status="candidate",
                    records=orjson.dumps(behind).decode(),
                    months_unrepaired=_months(since.date(), w["as_of"]) if behind else 0,
                    batches=history[w["credit_code"]]["batches"],
                    policy_version=policy.version,
                    opened_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            reason = (
                f"red in {history[w['credit_code']]['batches']} batches (rule: ≥ {rule.persistent_batches})"
            )
            _step(connection, int(case_id), None, "candidate", reason, principal, now)
            opened.append(int(case_id))
    with engine.connect() as connection:
        return [find_case(connection, principal, c) for c in opened]


def _step(
    connection: sa.Connection,
    case_id: int,
    old: str | None,
    new: str,
    reason: str,
    principal: Principal,
    at: datetime,
) -> None:
    connection.execute(
        clearout_steps.insert().values(
            case_id=case_id,
            from_status=old,
            to_status=new,
            reason=reason,
            decided_by=principal.key_id,
            decided_at=at,
        )
    )


def move_case(
    engine: sa.Engine, principal: Principal, case_id: int, status: str, reason: str
) -> dict[str, Any]:
    """Move a case one step with a reason; 409 for a step the workflow does not allow."""
    reason = reason.strip()
    if not reason:
        raise ApiError(422, "give a reason for every step of a clear-out case")
    if status not in STATUSES:
        raise ApiError(422, f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    with engine.begin() as connection:
        case = find_case(connection, principal, case_id)
        allowed = NEXT.get(case["status"], ())
        if status not in allowed:
            after = f"it can move to {' or '.join(allowed)}" if allowed else "it is closed"
            raise ApiError(409, f"case {case_id} is {case['status']}: {after}, not {status}")
        now = datetime.now()
        done = connection.execute(
            clearout_cases.update()
            .where(clearout_cases.c.case_id == case_id, clearout_cases.c.status == case["status"])
            .values(status=status, updated_at=now)
        )
        if done.rowcount != 1:
            raise ApiError(409, f"case {case_id} changed meanwhile; reload it")
        _step(connection, case_id, case["status"], status, reason, principal, now)
        return find_case(connection, principal, case_id)


def find_case(connection: sa.Connection, principal: Principal, case_id: int) -> dict[str, Any]:
    """Return one case of the caller's zones with its steps, or 404."""
    row = (
        connection.execute(sa.select(clearout_cases).where(clearout_cases.c.case_id == case_id))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise ApiError(404, f"clear-out case {case_id} not found")
    steps = connection.execute(
        sa.select(clearout_steps)
        .where(clearout_steps.c.case_id == case_id)
        .order_by(clearout_steps.c.step_id)
    ).mappings()
    return dict(row) | {"records": orjson.loads(row["records"]), "steps": [dict(s) for s in steps]}


def case_list(
    connection: sa.Connection, principal: Principal, status: str | None = None, zone: str | None = None
) -> list[dict[str, Any]]:
    """Return the cases of the caller's zones, longest unrepaired first (without their steps)."""
    visible_zone(zone, principal)
    if status is not None and status not in STATUSES:
        raise ApiError(422, f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    query = (
        sa.select(clearout_cases)
        .where(
            *present(
                zone_condition(principal, clearout_cases.c.zone),
                clearout_cases.c.zone == zone if zone else None,
                clearout_cases.c.status == status if status else None,
            )
        )
        .order_by(clearout_cases.c.months_unrepaired.desc(), clearout_cases.c.case_id)
    )
    return [dict(r) | {"records": orjson.loads(r["records"])} for r in connection.execute(query).mappings()]


def cases_csv(cases: list[dict[str, Any]]) -> bytes:
    """Return the case queue as CSV."""
    return csv_bytes(CSV_COLUMNS, ([c[k] for k in CSV_COLUMNS] for c in cases))
