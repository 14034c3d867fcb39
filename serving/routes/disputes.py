"""Disputes (objections): submitted → under_review → upheld | rejected.

Upholding writes a correction (``data.corrections``, append-only) and rescores the enterprise at
once, so its score history shows the score before and after, with the dispute as the reason.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from data.contracts import SOURCES
from data.corrections import Correction, add_correction
from serving.batch import rescore_enterprise
from serving.deps import AdminPrincipal, ChampionsDep, PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.errors import ApiError, valid_code
from serving.keys import Principal
from serving.routes.common import Limit, Offset, scored_enterprise, zone_condition
from serving.routes.rankings import visible_zone
from serving.routes.scores import ERRORS
from serving.schemas import DisputeCreate, DisputePublic, DisputesPublic, DisputeUpdate
from serving.store import disputes

router = APIRouter(prefix="/disputes", tags=["disputes"])
NEXT_STATUS = {"submitted": {"under_review"}, "under_review": {"upheld", "rejected"}}
DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Dispute number.")]


def _public(row: sa.RowMapping) -> dict[str, Any]:
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


@router.post("", response_model=DisputePublic, status_code=201, responses=ERRORS, summary="File a dispute")
def create_dispute(
    body: DisputeCreate,
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
) -> dict[str, Any]:
    """Object to one record of an enterprise in the caller's zones; the request is checked now."""
    valid_code(body.credit_code, "credit_code")
    if body.source not in SOURCES:
        raise ApiError(422, f"unknown source {body.source!r}; sources are {', '.join(SOURCES)}")
    enterprise = scored_enterprise(connection, principal, body.credit_code)
    draft = body.model_dump()
    _correction(draft, principal.name, body.claim).check()  # the correction it would become must be valid
    now = datetime.now()
    with state.engine.begin() as writer:
        dispute_id = writer.execute(
            disputes.insert().values(
                credit_code=body.credit_code,
                zone=enterprise["zone"],
                source=body.source,
                record_key=json.dumps(body.record_key, sort_keys=True, ensure_ascii=False),
                action=body.action,
                new_values=json.dumps(body.new_values, sort_keys=True, ensure_ascii=False, default=str)
                if body.new_values
                else None,
                claim=body.claim,
                status="submitted",
                filed_by=principal.name,
                filed_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        row = writer.execute(sa.select(disputes).where(disputes.c.dispute_id == dispute_id)).mappings().one()
    state.audit.record(
        principal, "POST /v1/disputes", purpose, body.credit_code, detail=f"dispute {dispute_id}"
    )
    return _public(row)


@router.get("", response_model=DisputesPublic, responses=ERRORS, summary="List disputes")
def list_disputes(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Literal["submitted", "under_review", "upheld", "rejected"] | None = None,
    zone: Annotated[str | None, Query(description="Zone code, e.g. teda.")] = None,
    credit_code: Annotated[str | None, Query(description="Only this enterprise's disputes.")] = None,
) -> dict[str, Any]:
    """Disputes of the caller's zones, newest first."""
    visible_zone(zone, principal)
    if credit_code is not None:
        valid_code(credit_code, "credit_code")
    conditions = [
        c
        for c in (
            zone_condition(principal, disputes.c.zone),
            disputes.c.zone == zone if zone else None,
            disputes.c.status == status if status else None,
            disputes.c.credit_code == credit_code if credit_code else None,
        )
        if c is not None
    ]
    total = connection.execute(
        sa.select(sa.func.count()).select_from(disputes).where(*conditions)
    ).scalar_one()
    rows = connection.execute(
        sa.select(disputes)
        .where(*conditions)
        .order_by(disputes.c.dispute_id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    items = [_public(r) for r in rows]
    state.audit.record(principal, "GET /v1/disputes", purpose, credit_code, detail=f"{len(items)} disputes")
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def _find(connection: sa.Connection, principal: Principal, dispute_id: int) -> dict[str, Any]:
    row = (
        connection.execute(sa.select(disputes).where(disputes.c.dispute_id == dispute_id))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise ApiError(404, f"dispute {dispute_id} not found")
    return _public(row)


@router.patch(
    "/{dispute_id}",
    response_model=DisputePublic,
    responses={**ERRORS, 409: {"description": "Not allowed from the current status"}},
    summary="Move a dispute on",
)
async def update_dispute(
    dispute_id: DisputeId,
    body: DisputeUpdate,
    principal: AdminPrincipal,
    state: StateDep,
    champions: ChampionsDep,
    purpose: PurposeDep,
) -> dict[str, Any]:
    """Review, uphold (correction + rescore) or reject a dispute of the admin's zones."""
    return await run_in_threadpool(_update, dispute_id, body, principal, state, champions, purpose)


def _update(
    dispute_id: int, body: DisputeUpdate, principal: Principal, state: Any, champions: Any, purpose: str
) -> dict[str, Any]:
    with state.engine.connect() as connection:
        dispute = _find(connection, principal, dispute_id)
        before = scored_enterprise(connection, principal, dispute["credit_code"])
    allowed = NEXT_STATUS.get(dispute["status"], set())
    if body.status not in allowed:
        raise ApiError(
            409,
            f"dispute {dispute_id} is {dispute['status']}; it can move to "
            f"{' or '.join(sorted(allowed)) if allowed else 'nothing (decided)'}, not {body.status}",
        )
    now = datetime.now()
    values: dict[str, Any] = {"status": body.status, "updated_at": now}
    after = None
    if body.status in ("upheld", "rejected"):
        values |= {"decided_by": principal.name, "decided_at": now, "decision_note": body.note or None}
    if body.status == "upheld":
        reason = body.note or f"dispute {dispute_id} upheld: {dispute['claim']}"
        values["correction_id"] = add_correction(
            state.settings.resolved_database_url, _correction(dispute, principal.name, reason)
        )
        after = rescore_enterprise(
            dispute["credit_code"],
            before["as_of"],
            state.settings,
            champions,
            f"dispute {dispute_id} upheld (correction {values['correction_id']}): {reason}",
        )
    with state.engine.begin() as writer:
        done = writer.execute(
            disputes.update()
            .where(disputes.c.dispute_id == dispute_id, disputes.c.status == dispute["status"])
            .values(**values)
        )
        if done.rowcount != 1:
            raise ApiError(409, f"dispute {dispute_id} changed meanwhile; read it again")
        row = writer.execute(sa.select(disputes).where(disputes.c.dispute_id == dispute_id)).mappings().one()
    state.audit.record(
        principal, "PATCH /v1/disputes/{dispute_id}", purpose, dispute["credit_code"], detail=body.status
    )
    out = _public(row)
    if after is not None:
        out |= {"score_before": orjson.loads(before["public_json"]), "score_after": after}
    return out
