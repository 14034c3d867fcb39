"""The dispute (objection) workflow, shared by the API and the dashboard.

submitted → under_review → upheld | rejected. Upholding writes a correction (``data.corrections``,
append-only) and rescores the enterprise at once, so its score history shows the score before and
after, with the dispute as the reason.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa

from data.contracts import SOURCES
from data.corrections import Correction, add_correction
from serving.champions import Champions
from serving.errors import ApiError, valid_code
from serving.keys import Principal
from serving.outputs import SCORE_FIELDS
from serving.queries import present, scored_enterprise, table_page, visible_zone, zone_condition
from serving.rescore import rescore_enterprise
from serving.store import disputes, score_history
from zonecredit.settings import Settings

NEXT_STATUS = {"submitted": {"under_review"}, "under_review": {"upheld", "rejected"}}
STATUSES = ("submitted", "under_review", "upheld", "rejected")


def dispute_public(row: sa.RowMapping) -> dict[str, Any]:
    """Return a stored dispute with its JSON columns read back."""
    out = dict(row)
    out["record_key"] = json.loads(out["record_key"])
    out["new_values"] = json.loads(out["new_values"]) if out["new_values"] else None
    return out


def _correction(dispute: dict[str, Any], decided_by: str, reason: str) -> Correction:
    return Correction(
        source=dispute["source"],
        credit_code=dispute["credit_code"],
        record_key=dispute["record_key"],
        action=dispute["action"],
        decided_on=date.today(),
        decided_by=decided_by,
        reason=reason,
        new_values=dispute["new_values"] or {},
        dispute_id=dispute.get("dispute_id"),
    )


def record_exists(source: str, credit_code: str, record_key: dict[str, Any], home: Path) -> bool:
    """Return whether the warehouse holds a record of ``source`` with ``record_key`` for ``credit_code``.

    Asked the way an upheld dispute would act: a trial revoke through ``apply_corrections`` matches
    keys exactly as the correction will (dates, months and years in any spelling it accepts). Only
    the enterprise's bucket is read.
    """
    from data.contracts import get_source
    from data.warehouse import bucket_count, bucket_of, read_source
    from features.pointintime import apply_corrections

    bucket = int(bucket_of(np.asarray([credit_code], dtype=object), bucket_count(home))[0])
    records = read_source(source, home, buckets=[bucket])
    records = records[records["credit_code"] == credit_code]
    trial = pd.DataFrame(
        {
            "source": [source],
            "credit_code": [credit_code],
            "record_key": [json.dumps(record_key)],
            "action": ["revoke"],
            "decided_on": [pd.Timestamp.today()],
            "correction_id": [0],
            "new_values": [None],
        }
    )
    try:
        return len(apply_corrections(records, get_source(source), trial)) < len(records)
    except (ValueError, TypeError):  # a key value that names no date or year names no record
        return False


def file_dispute(
    engine: sa.Engine, principal: Principal, draft: dict[str, Any], home: Path
) -> dict[str, Any]:
    """Store an objection to one record of a visible enterprise; the correction it asks for is checked now.

    ``draft`` holds credit_code, source, record_key, action, new_values and claim. The record must
    exist and be the enterprise's: an upheld dispute writes a permanent correction.
    """
    valid_code(draft["credit_code"], "credit_code")
    if draft["source"] not in SOURCES:
        raise ApiError(422, f"unknown source {draft['source']!r}; sources are {', '.join(SOURCES)}")
    with engine.connect() as connection:
        enterprise = scored_enterprise(connection, principal, draft["credit_code"])
    _correction(draft, principal.name, draft["claim"]).check()
    if not record_exists(draft["source"], draft["credit_code"], draft["record_key"], home):
        key = ", ".join(f"{k}={v}" for k, v in sorted(draft["record_key"].items()))
        raise ApiError(422, f"enterprise {draft['credit_code']} has no {draft['source']} record with {key}")
    now = datetime.now()
    with engine.begin() as writer:
        dispute_id = writer.execute(
            disputes.insert().values(
                credit_code=draft["credit_code"],
                zone=enterprise["zone"],
                source=draft["source"],
                record_key=json.dumps(draft["record_key"], sort_keys=True, ensure_ascii=False),
                action=draft["action"],
                new_values=json.dumps(draft["new_values"], sort_keys=True, ensure_ascii=False, default=str)
                if draft.get("new_values")
                else None,
                claim=draft["claim"],
                status="submitted",
                filed_by=principal.name,
                filed_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        row = writer.execute(sa.select(disputes).where(disputes.c.dispute_id == dispute_id)).mappings().one()
    return dispute_public(row)


def rescoring(connection: sa.Connection, dispute: dict[str, Any]) -> tuple[dict | None, dict | None]:
    """Return the score history rows just before and after an upheld dispute's rescore (else None).

    The rescore's row is the one whose note names the dispute; the row before is the last one of
    the same as-of date written before it — the score the decision replaced.
    """
    if dispute["status"] != "upheld":
        return None, None
    rows = [
        dict(r)
        for r in connection.execute(
            sa.select(score_history)
            .where(score_history.c.credit_code == dispute["credit_code"])
            .order_by(score_history.c.scored_at, score_history.c.score_id)
        ).mappings()
    ]
    marker = f"dispute {dispute['dispute_id']} upheld"
    for i, row in enumerate(rows):
        if row["trigger"] == "dispute" and (row["note"] or "").startswith(marker):
            before = next((r for r in reversed(rows[:i]) if r["as_of"] == row["as_of"]), None)
            return before, row
    return None, None


def score_public(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a score history row as the public score record it was stored with."""
    if row is None:
        return None
    out = {name: row[name] for name in SCORE_FIELDS}
    out["as_of"] = row["as_of"].isoformat()
    out["reasons"] = orjson.loads(row["reasons"])
    out["scored_at"] = row["scored_at"].astimezone().isoformat(timespec="seconds")
    return out


def dispute_page(
    connection: sa.Connection,
    principal: Principal,
    status: str | None = None,
    zone: str | None = None,
    credit_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Return (total, one page) of the disputes of the caller's zones, newest first; upheld ones
    carry ``score_before`` and ``score_after`` like the decision's reply."""
    visible_zone(zone, principal)
    if credit_code is not None:
        valid_code(credit_code, "credit_code")
    conditions = present(
        zone_condition(principal, disputes.c.zone),
        disputes.c.zone == zone if zone else None,
        disputes.c.status == status if status else None,
        disputes.c.credit_code == credit_code if credit_code else None,
    )
    order = (disputes.c.dispute_id.desc(),)
    total, rows = table_page(connection, disputes, conditions, order, limit, offset)
    items = [dispute_public(r) for r in rows]
    for item in items:  # an upheld dispute's scores, as its decision returned them
        before, after = rescoring(connection, item)
        if after is not None:
            item |= {"score_before": score_public(before), "score_after": score_public(after)}
    return total, items


def find_dispute(connection: sa.Connection, principal: Principal, dispute_id: int) -> dict[str, Any]:
    """Return a dispute of the caller's zones, or raise 404 (also for another zone's)."""
    row = (
        connection.execute(sa.select(disputes).where(disputes.c.dispute_id == dispute_id))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise ApiError(404, f"dispute {dispute_id} not found")
    return dispute_public(row)


def _restore(engine: sa.Engine, dispute: dict[str, Any]) -> None:
    """Put a claimed decision back (its correction could not be written)."""
    with engine.begin() as writer:
        writer.execute(
            disputes.update()
            .where(disputes.c.dispute_id == dispute["dispute_id"])
            .values(
                status=dispute["status"],
                updated_at=dispute["updated_at"],
                decided_by=None,
                decided_at=None,
                decision_note=None,
            )
        )


def decide_dispute(
    dispute_id: int,
    status: str,
    note: str,
    principal: Principal,
    engine: sa.Engine,
    settings: Settings,
    champions: Champions,
) -> dict[str, Any]:
    """Move a dispute on (review, uphold with correction and rescore, or reject); return it.

    An upheld dispute also carries ``score_before`` and ``score_after``. Blocking: call it from a
    worker thread.
    """
    with engine.connect() as connection:
        dispute = find_dispute(connection, principal, dispute_id)
        before = scored_enterprise(connection, principal, dispute["credit_code"])
    allowed = NEXT_STATUS.get(dispute["status"], set())
    if status not in allowed:
        raise ApiError(
            409,
            f"dispute {dispute_id} is {dispute['status']}; it can move to "
            f"{' or '.join(sorted(allowed)) if allowed else 'nothing (decided)'}, not {status}",
        )
    now = datetime.now()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status in ("upheld", "rejected"):
        values |= {"decided_by": principal.name, "decided_at": now, "decision_note": note or None}
    # Claim the move first, guarded by the status read above: of two racing decisions only one
    # passes, and only then is a correction (append-only, permanent) written.
    with engine.begin() as writer:
        done = writer.execute(
            disputes.update()
            .where(disputes.c.dispute_id == dispute_id, disputes.c.status == dispute["status"])
            .values(**values)
        )
    if done.rowcount != 1:
        raise ApiError(409, f"dispute {dispute_id} changed meanwhile; read it again")
    after = None
    if status == "upheld":
        reason = note or f"dispute {dispute_id} upheld: {dispute['claim']}"
        try:
            correction_id = add_correction(
                settings.resolved_database_url, _correction(dispute, principal.name, reason)
            )
        except Exception:  # nothing was corrected: the dispute goes back to where it was
            _restore(engine, dispute)
            raise
        with engine.begin() as writer:
            writer.execute(
                disputes.update()
                .where(disputes.c.dispute_id == dispute_id)
                .values(correction_id=correction_id)
            )
        after = rescore_enterprise(
            dispute["credit_code"],
            before["as_of"],
            settings,
            champions,
            f"dispute {dispute_id} upheld (correction {correction_id}): {reason}",
        )
    with engine.connect() as connection:
        row = (
            connection.execute(sa.select(disputes).where(disputes.c.dispute_id == dispute_id))
            .mappings()
            .one()
        )
    out = dispute_public(row)
    if after is not None:
        out |= {"score_before": orjson.loads(before["public_json"]), "score_after": after}
    return out
