"""The plan's services over HTTP (issue 19): credit reports, programs, commitments, inspections, clear-out.

Reads take admin or analyst keys (an admin only in their zones); acts — exports to a bank, recording
or breaching commitments, drawing inspections, moving clear-out cases — take an admin key. The
scorer role gets 403 everywhere. Every call is audited with its purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from models.policy import ClassName
from serving.deps import AdminPrincipal, PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.errors import ApiError
from serving.queries import CLASSES, GRADES, RankingFilter, ranking_page
from serving.routes.common import CreditCodePath, Offset
from serving.routes.scores import ERRORS
from serving.schemas import Strict
from serving.services import clearouts, inspections, programs, reports
from serving.services.policy import ServicesPolicy, policy_in_force

router = APIRouter(prefix="/v1")


def current_policy(state: StateDep) -> ServicesPolicy:
    """Return the services policy in force for this app."""
    return policy_in_force(state.settings)


PolicyDep = Annotated[ServicesPolicy, Depends(current_policy)]
Lang = Literal["zh", "en"]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
ZoneQuery = Annotated[str | None, Query(description="Zone code, e.g. teda.")]
CONFLICT = {**ERRORS, 409: {"description": "Not allowed in the current state"}}
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The report"}
}


def attachment(content: bytes, media_type: str, filename: str, **headers: str) -> Response:
    """Return a download that is never cached."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(content, media_type=media_type, headers=disposition | headers)


# ---------------------------------------------------------------- credit reports


@router.get(
    "/enterprises/{credit_code}/report.pdf",
    tags=["reports"],
    responses={**PDF, **ERRORS},
    response_class=Response,
    summary="Credit report (信用报告) as an A4 PDF",
)
async def get_report(
    credit_code: CreditCodePath,
    principal: ReadingPrincipal,
    state: StateDep,
    purpose: PurposeDep,
    lang: Lang = "zh",
) -> Response:
    """Issue a numbered report with a verification code; personal data masked as for the caller's role."""
    report = await run_in_threadpool(
        reports.issue_report, state.engine, principal, credit_code, state.settings, purpose, lang
    )
    state.audit.record(
        principal,
        "GET /v1/enterprises/{credit_code}/report.pdf",
        purpose,
        credit_code,
        f"report {report.number}",
    )
    return attachment(
        report.pdf,
        "application/pdf",
        f"credit-report-{credit_code}-{report.number}.pdf",
        **{"X-Report-Number": report.number, "X-Verification-Code": report.verification_code},
    )


@router.get(
    "/reports.zip", tags=["reports"], responses=ERRORS, response_class=Response, summary="A batch of reports"
)
def get_reports_zip(
    principal: ReadingPrincipal,
    state: StateDep,
    purpose: PurposeDep,
    zone: ZoneQuery = None,
    industry: Annotated[str | None, Query(max_length=8)] = None,
    grade: Literal[GRADES] | None = None,  # type: ignore[valid-type]
    supervision_class: Literal[CLASSES] | None = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=reports.MAX_BATCH)] = reports.MAX_BATCH,
    offset: Offset = 0,
    lang: Lang = "zh",
) -> Response:
    """One report per enterprise of a filtered ranking (riskiest first), all in one ZIP; each is audited."""
    ranking = RankingFilter(zone, industry, grade, supervision_class)
    with state.engine.connect() as connection:
        _, items = ranking_page(connection, principal, ranking, "score", limit, offset)

    def issued() -> Iterator[reports.IssuedReport]:
        for item in items:
            code = item["credit_code"]
            report = reports.issue_report(state.engine, principal, code, state.settings, purpose, lang)
            state.audit.record(principal, "GET /v1/reports.zip", purpose, code, f"report {report.number}")
            yield report

    name = f"credit-reports-{date.today():%Y%m%d}.zip"
    return StreamingResponse(
        reports.zip_stream(issued()),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/reports/{number}", tags=["reports"], responses=ERRORS, summary="Confirm an issued report")
def get_issued_report(
    number: Annotated[str, Path(max_length=32)],
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    verification_code: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """What was issued under a report number; with a code, whether it matches the one printed."""
    issued = reports.find_report(connection, principal, number)
    state.audit.record(principal, "GET /v1/reports/{number}", purpose, issued["credit_code"], number)
    out = {k: v for k, v in issued.items() if k != "issued_by"}
    if verification_code is not None:
        out["verified"] = verification_code.strip().upper() == issued["verification_code"]
    return out


# ---------------------------------------------------------------- programs and commitments


class ExportCreate(Strict):
    recipient: str = Field(min_length=1, max_length=200, description="The bank or department it is sent to.")
    zone: str | None = None


class CommitmentCreate(Strict):
    credit_code: str = Field(min_length=18, max_length=18)
    department: str = Field(min_length=1, max_length=100)
    promised_on: date | None = None


class CommitmentUpdate(Strict):
    status: Literal["fulfilled"]
    on: date | None = None


class BreachSweep(Strict):
    on: date | None = Field(default=None, description="The day to judge deadlines on (default today).")


@router.get("/programs", tags=["programs"], responses=ERRORS, summary="Programs of the policy in force")
def get_programs(principal: ReadingPrincipal, policy: PolicyDep) -> dict[str, Any]:
    """Every program's rule set, with the policy version."""
    return {"version": policy.version, "programs": {k: p.model_dump() for k, p in policy.programs.items()}}


@router.get("/programs/{name}", tags=["programs"], responses=ERRORS, summary="A program's list")
def get_program(
    name: str,
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    policy: PolicyDep,
    zone: ZoneQuery = None,
) -> dict[str, Any]:
    """Enterprises of the caller's zones meeting the program (e.g. ``financing``, ``green-channel``)."""
    program = policy.program(name)
    items = programs.program_list(connection, principal, program, state.settings.home, zone)
    state.audit.record(principal, f"GET /v1/programs/{name}", purpose, detail=f"{len(items)} enterprises")
    figures = programs.figure_labels(program)
    return {
        "program": name,
        "policy_version": policy.version,
        "figures": figures,
        "total": len(items),
        "items": items,
    }


@router.post("/programs/{name}/exports", tags=["programs"], responses=ERRORS, response_class=Response)
def create_export(
    name: str,
    body: ExportCreate,
    principal: AdminPrincipal,
    state: StateDep,
    purpose: PurposeDep,
    policy: PolicyDep,
) -> Response:
    """Export a program's list to a named recipient as CSV; who sent which enterprises to whom is recorded."""
    export = programs.export_program(
        state.engine, principal, policy, name, body.recipient, purpose, state.settings.home, body.zone
    )
    state.audit.record(
        principal,
        f"POST /v1/programs/{name}/exports",
        purpose,
        detail=f"export {export.export_id} to {body.recipient}",
    )
    return attachment(
        export.content,
        "text/csv; charset=utf-8",
        f"{name}-{export.export_id}.csv",
        **{"X-Export-Id": str(export.export_id)},
    )


@router.get("/programs/{name}/exports", tags=["programs"], responses=ERRORS, summary="Exports recorded")
def list_exports(
    name: str,
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    """Who sent which enterprises of the program to whom, newest first (exports of the caller's zones)."""
    policy.program(name)
    items = programs.export_log(connection, principal, name)
    state.audit.record(principal, f"GET /v1/programs/{name}/exports", purpose, detail=f"{len(items)} exports")
    return {"items": items}


@router.post("/programs/{name}/commitments", tags=["programs"], status_code=201, responses=CONFLICT)
def create_commitment(
    name: str,
    body: CommitmentCreate,
    principal: AdminPrincipal,
    state: StateDep,
    purpose: PurposeDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    """Record an enterprise's use of the program on a credit commitment (template, deadline, department)."""
    out = programs.record_commitment(
        state.engine,
        principal,
        policy,
        name,
        body.credit_code,
        body.department,
        state.settings,
        state.champions.current,
        body.promised_on,
    )
    state.audit.record(principal, f"POST /v1/programs/{name}/commitments", purpose, body.credit_code)
    return out


@router.get("/commitments", tags=["programs"], responses=ERRORS, summary="Credit commitments")
def list_commitments(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
    status: Literal[programs.COMMITMENT_STATUSES] | None = None,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Commitments of the caller's zones, newest first."""
    items = programs.commitment_list(connection, principal, credit_code, status)
    state.audit.record(principal, "GET /v1/commitments", purpose, credit_code, f"{len(items)} commitments")
    return {"items": items}


@router.patch(
    "/commitments/{commitment_id}", tags=["programs"], responses=CONFLICT, summary="Mark a commitment kept"
)
def update_commitment(
    commitment_id: Id, body: CommitmentUpdate, principal: AdminPrincipal, state: StateDep, purpose: PurposeDep
) -> dict[str, Any]:
    out = programs.fulfil_commitment(state.engine, principal, commitment_id, body.on or date.today())
    state.audit.record(
        principal, "PATCH /v1/commitments/{commitment_id}", purpose, out["credit_code"], "fulfilled"
    )
    return out


@router.post(
    "/commitments/breaches", tags=["programs"], responses=ERRORS, summary="Breach overdue commitments"
)
def breach_commitments(
    body: BreachSweep, principal: AdminPrincipal, state: StateDep, purpose: PurposeDep, policy: PolicyDep
) -> dict[str, Any]:
    """Every open commitment past its deadline becomes a ``commitment_breached`` record (ingested)."""
    items = programs.breach_overdue(
        state.engine, principal, policy, body.on or date.today(), state.settings, state.champions.current
    )
    for item in items:
        state.audit.record(
            principal, "POST /v1/commitments/breaches", purpose, item["credit_code"], item["event_id"]
        )
    return {"items": items}


# ---------------------------------------------------------------- inspections


class DrawCreate(Strict):
    zone: str
    seed: int = Field(ge=0, le=2**63 - 1)
    size: int | None = Field(default=None, ge=1, le=100_000)
    rates: dict[ClassName, float] | None = None
    inspectors: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=1000
    )


@router.post(
    "/inspections/draw", tags=["inspections"], status_code=201, responses=ERRORS, summary="双随机 draw"
)
def create_draw(
    body: DrawCreate, principal: AdminPrincipal, state: StateDep, purpose: PurposeDep, policy: PolicyDep
) -> dict[str, Any]:
    """Draw enterprises to inspect in one zone at the policy's (or given) rates per class; stored."""
    if body.rates and any(not 0 <= r <= 1 for r in body.rates.values()):
        raise ApiError(422, "rates are shares between 0 and 1")
    rates = {str(c): r for c, r in body.rates.items()} if body.rates else None
    with state.engine.connect() as connection:
        result = inspections.draw(
            connection, principal, policy, body.zone, body.seed, body.size, rates, body.inspectors
        )
    stored = inspections.store_draw(state.engine, principal, result)
    state.audit.record(principal, "POST /v1/inspections/draw", purpose, detail=f"draw {stored['draw_id']}")
    return stored


@router.get("/inspections", tags=["inspections"], responses=ERRORS, summary="Stored draws")
def list_draws(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    zone: ZoneQuery = None,
) -> dict[str, Any]:
    items = inspections.draw_list(connection, principal, zone)
    state.audit.record(principal, "GET /v1/inspections", purpose, detail=f"{len(items)} draws")
    return {"items": items}


@router.get("/inspections/{draw_id}", tags=["inspections"], responses=ERRORS, summary="One stored draw")
def get_draw(
    draw_id: Id, principal: ReadingPrincipal, connection: SessionDep, state: StateDep, purpose: PurposeDep
) -> dict[str, Any]:
    found = inspections.find_draw(connection, principal, draw_id)
    state.audit.record(principal, "GET /v1/inspections/{draw_id}", purpose, detail=f"draw {draw_id}")
    return found


@router.get(
    "/inspections/{draw_id}/export.csv", tags=["inspections"], responses=ERRORS, response_class=Response
)
def export_draw(
    draw_id: Id, principal: ReadingPrincipal, connection: SessionDep, state: StateDep, purpose: PurposeDep
) -> Response:
    """A stored draw as CSV, for publication (一公开)."""
    found = inspections.find_draw(connection, principal, draw_id)
    state.audit.record(
        principal, "GET /v1/inspections/{draw_id}/export.csv", purpose, detail=f"draw {draw_id}"
    )
    return attachment(inspections.draw_csv(found), "text/csv; charset=utf-8", f"inspection-{draw_id}.csv")


# ---------------------------------------------------------------- clear-out


class ClearoutIdentify(Strict):
    zone: str | None = None


class ClearoutUpdate(Strict):
    status: Literal["notified", "repaired", "cleared", "kept"]
    reason: str = Field(min_length=1, max_length=4000)


CaseStatus = Literal["candidate", "notified", "repaired", "cleared", "kept"]


@router.get("/clearouts", tags=["clearouts"], responses=ERRORS, summary="Clear-out cases")
def list_cases(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    policy: PolicyDep,
    status: CaseStatus | None = None,
    zone: ZoneQuery = None,
) -> dict[str, Any]:
    """Cases of the caller's zones, longest unrepaired first, with the rule that makes a candidate."""
    items = clearouts.case_list(connection, principal, status, zone)
    state.audit.record(principal, "GET /v1/clearouts", purpose, detail=f"{len(items)} cases")
    return {"rule": policy.clearout.model_dump(), "policy_version": policy.version, "items": items}


@router.get("/clearouts/export.csv", tags=["clearouts"], responses=ERRORS, response_class=Response)
def export_cases(
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
    status: CaseStatus | None = None,
    zone: ZoneQuery = None,
) -> Response:
    items = clearouts.case_list(connection, principal, status, zone)
    state.audit.record(principal, "GET /v1/clearouts/export.csv", purpose, detail=f"{len(items)} cases")
    return attachment(
        clearouts.cases_csv(items), "text/csv; charset=utf-8", f"clearouts-{date.today():%Y%m%d}.csv"
    )


@router.post(
    "/clearouts", tags=["clearouts"], status_code=201, responses=ERRORS, summary="Open candidate cases"
)
def identify_cases(
    body: ClearoutIdentify, principal: AdminPrincipal, state: StateDep, purpose: PurposeDep, policy: PolicyDep
) -> dict[str, Any]:
    """Open a case for each enterprise of the admin's zones meeting the clear-out rule (none twice)."""
    opened = clearouts.open_candidates(state.engine, principal, policy, state.settings.home, body.zone)
    for case in opened:
        state.audit.record(
            principal, "POST /v1/clearouts", purpose, case["credit_code"], f"case {case['case_id']}"
        )
    return {"items": opened}


@router.get("/clearouts/{case_id}", tags=["clearouts"], responses=ERRORS, summary="One case with its steps")
def get_case(
    case_id: Id, principal: ReadingPrincipal, connection: SessionDep, state: StateDep, purpose: PurposeDep
) -> dict[str, Any]:
    case = clearouts.find_case(connection, principal, case_id)
    state.audit.record(
        principal, "GET /v1/clearouts/{case_id}", purpose, case["credit_code"], f"case {case_id}"
    )
    return case


@router.patch("/clearouts/{case_id}", tags=["clearouts"], responses=CONFLICT, summary="Move a case one step")
def update_case(
    case_id: Id, body: ClearoutUpdate, principal: AdminPrincipal, state: StateDep, purpose: PurposeDep
) -> dict[str, Any]:
    """``candidate → notified → repaired | cleared | kept`` (or candidate → kept), with a reason."""
    case = clearouts.move_case(state.engine, principal, case_id, body.status, body.reason)
    state.audit.record(
        principal,
        "PATCH /v1/clearouts/{case_id}",
        purpose,
        case["credit_code"],
        f"case {case_id} → {body.status}",
    )
    return case
