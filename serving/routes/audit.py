"""The review of the audit log (个人信息查询使用登记和审查): auditor keys read every zone's entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from serving.audit import AUDIT_COLUMNS, AuditFilter, audit_page, audit_rows, review_window, unusual_access
from serving.deps import AuditorPrincipal, SessionDep, StateDep
from serving.errors import ApiError
from serving.exports import csv_response
from serving.routes.common import Limit, Offset, ZoneQuery
from serving.routes.scores import ERRORS
from serving.schemas import AuditPublic

router = APIRouter(tags=["audit"])


def audit_filter(
    key_id: Annotated[str | None, Query(max_length=32, description="Who: the key id.")] = None,
    role: Annotated[
        Literal["admin", "analyst", "scorer", "auditor", "-"] | None, Query(description="`-` = refused keys.")
    ] = None,
    credit_code: Annotated[str | None, Query(max_length=18, description="The enterprise read.")] = None,
    zone: ZoneQuery = None,
    purpose: Annotated[str | None, Query(max_length=64, description="The why-code given.")] = None,
    action: Annotated[str | None, Query(max_length=128, description="Part of the method and route.")] = None,
    personal_data: Annotated[bool | None, Query(description="Only reads that did (not) unmask.")] = None,
    since: Annotated[datetime | None, Query(description="From this time (server's local time).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
) -> AuditFilter:
    """Read the review's filters from the query string (blank means no filter)."""
    since, until = (_local(since), _local(until))
    if since and until and since >= until:
        raise ApiError(422, "since must be before until")
    return AuditFilter(
        key_id or None,
        role or None,
        credit_code or None,
        zone or None,
        purpose or None,
        action or None,
        personal_data,
        since,
        until,
    )


def _local(moment: datetime | None) -> datetime | None:
    # The log stores the server's local time without a zone: compare like with like.
    return moment.astimezone().replace(tzinfo=None) if moment and moment.tzinfo else moment


AuditFilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get(
    "/audit",
    response_model=AuditPublic,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}, "description": "A page, or every entry as CSV"}},
    summary="Review the audit log (auditor keys)",
)
def get_audit(
    principal: AuditorPrincipal,
    connection: SessionDep,
    state: StateDep,
    review: AuditFilterDep,
    limit: Limit = 50,
    offset: Offset = 0,
    format: Annotated[Literal["json", "csv"], Query(description="`csv`: every matching entry.")] = "json",
) -> Any:
    """Entries of every zone, newest first, with flags of unusual access; ``format=csv`` exports all."""
    state.audit.record(principal, "GET /v1/audit", "audit_review", detail=f"format={format}")
    if format == "csv":
        stream = state.engine.connect()

        def rows() -> Iterator[list[Any]]:  # the connection lives as long as the download
            with stream:
                yield from audit_rows(stream, review)

        return csv_response(f"audit-{date.today():%Y%m%d}.csv", list(AUDIT_COLUMNS), rows())
    total, items = audit_page(connection, review, limit, offset)
    flags = unusual_access(connection, *review_window(review))
    return {"total": total, "limit": limit, "offset": offset, "items": items, "flags": flags}
