"""Dashboard pages of the plan's services (issue 19): programs with exports and commitments, inspection
draws, the clear-out queue, and the credit report and repair notice of an enterprise.

Pages read and act through ``serving.services`` with the signed-in principal, like the API; every
page view, download and step is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi import Path as PathParam
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models.policy import load_policy
from serving.dashboard.frame import (
    CsrfForm,
    DashboardRoute,
    Viewer,
    ViewerDep,
    audit_view,
    blank,
    check_csrf,
    choice,
    render,
)
from serving.dashboard.i18n import Lang
from serving.deps import StateDep
from serving.errors import ApiError
from serving.queries import CLASSES, enterprise_detail, visible_zones
from serving.routes.services import PolicyDep, attachment
from serving.services import clearouts, inspections, programs, reports
from serving.services.guidance import guidance_for
from serving.services.policy import ServicesPolicy
from serving.services.reports import render_pdf

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)
PURPOSES = ("financing", "procurement", "award", "supervision")
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _admin(viewer: ViewerDep) -> None:
    if not viewer.is_admin:
        raise ApiError(403, "only zone administrators do this")


# ---------------------------------------------------------------- enterprise: report and repair notice


@router.get("/enterprises/{credit_code}/report.pdf")
def report_pdf(
    viewer: ViewerDep,
    state: StateDep,
    credit_code: str,
    purpose: str = "supervision",
    lang: str | None = None,
) -> Response:
    """Download the enterprise's credit report, audited with the purpose chosen on the page."""
    purpose = choice(purpose, PURPOSES, "purpose") or "supervision"
    chosen: Lang = "en" if lang == "en" else "zh" if lang == "zh" else viewer.lang
    report = reports.issue_report(
        state.engine, viewer.principal, credit_code, state.settings, purpose, chosen
    )
    state.audit.record(
        viewer.principal,
        "dashboard GET /enterprises/{credit_code}/report.pdf",
        purpose,
        credit_code,
        f"report {report.number}",
    )
    return attachment(report.pdf, "application/pdf", f"credit-report-{credit_code}-{report.number}.pdf")


@router.get("/enterprises/{credit_code}/repair-notice.pdf")
def repair_notice(viewer: ViewerDep, state: StateDep, credit_code: str) -> Response:
    """A printable repair notice (信用修复告知书) for the enterprise: every record it can repair, and how."""
    with state.engine.connect() as connection:
        detail = enterprise_detail(connection, viewer.principal, credit_code, state.settings)
    as_of = date.fromisoformat(detail["score"]["as_of"])
    html = reports.render_notice(detail, guidance_for(detail["records"], as_of), viewer.lang)
    audit_view(state, viewer, "GET /enterprises/{credit_code}/repair-notice.pdf", credit_code)
    return attachment(render_pdf(html), "application/pdf", f"repair-notice-{credit_code}.pdf")


# ---------------------------------------------------------------- programs


@router.get("/services")
def services_home() -> Response:
    return RedirectResponse("/programs/financing", status_code=303)


@router.get("/programs/{name}")
def program_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    policy: PolicyDep,
    name: str,
    zone: str | None = None,
) -> Response:
    """A program's list for the viewer's zones, its exports, and (green channel) its commitments."""
    program = policy.program(name)
    zone = blank(zone)
    with state.engine.connect() as connection:
        items = programs.program_list(connection, viewer.principal, program, state.settings.home, zone)
        exports = programs.export_log(connection, viewer.principal, name)[:20]
        commitments = programs.commitment_list(connection, viewer.principal) if program.commitment else []
    audit_view(state, viewer, "GET /programs/{name}", detail=f"{name}: {len(items)} enterprises")
    return render(
        request,
        "programs.html",
        viewer,
        page="services",
        tab=name,
        policy=policy,
        program=program,
        name=name,
        zone=zone,
        zones=visible_zones(viewer.principal),
        items=items,
        exports=exports,
        commitments=commitments,
        figure_labels=programs.figure_labels(program),
    )


@router.post("/programs/{name}/export")
def program_export(
    viewer: ViewerDep,
    state: StateDep,
    policy: PolicyDep,
    name: str,
    csrf: CsrfForm,
    recipient: Annotated[str, Form(min_length=1, max_length=200)],
    zone: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Export the list to a named bank or department; the export is recorded."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    export = programs.export_program(
        state.engine,
        viewer.principal,
        policy,
        name,
        recipient,
        "data_sharing",
        state.settings.home,
        blank(zone),
    )
    audit_view(
        state, viewer, "POST /programs/{name}/export", detail=f"export {export.export_id} to {recipient}"
    )
    return attachment(export.content, "text/csv; charset=utf-8", f"{name}-{export.export_id}.csv")


@router.post("/programs/{name}/commitments")
def program_commitment(
    viewer: ViewerDep,
    state: StateDep,
    policy: PolicyDep,
    name: str,
    csrf: CsrfForm,
    credit_code: Annotated[str, Form(min_length=18, max_length=18)],
    department: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """Record that an enterprise uses the program on a credit commitment."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    programs.record_commitment(
        state.engine,
        viewer.principal,
        policy,
        name,
        credit_code,
        department,
        state.settings,
        state.champions.current,
    )
    audit_view(state, viewer, "POST /programs/{name}/commitments", credit_code)
    return RedirectResponse(f"/programs/{name}#commitments", status_code=303)


@router.post("/commitments/breaches")
def commitment_breaches(viewer: ViewerDep, state: StateDep, policy: PolicyDep, csrf: CsrfForm) -> Response:
    """Turn overdue commitments into ``commitment_breached`` records."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    breached = programs.breach_overdue(
        state.engine, viewer.principal, policy, date.today(), state.settings, state.champions.current
    )
    audit_view(state, viewer, "POST /commitments/breaches", detail=f"{len(breached)} breached")
    return RedirectResponse("/programs/green-channel#commitments", status_code=303)


# ---------------------------------------------------------------- inspections


def _inspections(
    request: Request, viewer: Viewer, state: Any, policy: ServicesPolicy, draw_id: int | None
) -> Response:
    """The draw form (administrators), one stored draw if asked for, and the draws of the viewer's zones."""
    with state.engine.connect() as connection:
        found = inspections.find_draw(connection, viewer.principal, draw_id) if draw_id else None
        draws = inspections.draw_list(connection, viewer.principal)
    audit_view(
        state, viewer, "GET /inspections", detail=f"draw {draw_id}" if draw_id else f"{len(draws)} draws"
    )
    return render(
        request,
        "inspections.html",
        viewer,
        page="services",
        tab="inspections",
        policy=policy,
        rates=load_policy().inspection_rate,
        draws=draws,
        zones=visible_zones(viewer.principal),
        classes=CLASSES,
        draw=found,
    )


@router.get("/inspections")
def inspections_page(request: Request, viewer: ViewerDep, state: StateDep, policy: PolicyDep) -> Response:
    return _inspections(request, viewer, state, policy, None)


@router.post("/inspections")
def inspections_draw(
    viewer: ViewerDep,
    state: StateDep,
    policy: PolicyDep,
    csrf: CsrfForm,
    zone: Annotated[str, Form(max_length=16)],
    seed: Annotated[int, Form(ge=0, le=2**63 - 1)],
    size: Annotated[str, Form(max_length=8)] = "",
    inspectors: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Draw at the policy's rates (scaled to a size if given), store it and show it."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    count = int(size) if size.strip().isdigit() and int(size) > 0 else None
    roster = [name.strip() for name in inspectors.replace("，", ",").split(",") if name.strip()]
    with state.engine.connect() as connection:
        result = inspections.draw(connection, viewer.principal, policy, zone, seed, count, None, roster)
    stored = inspections.store_draw(state.engine, viewer.principal, result)
    audit_view(state, viewer, "POST /inspections", detail=f"draw {stored['draw_id']}")
    return RedirectResponse(f"/inspections/{stored['draw_id']}", status_code=303)


@router.get("/inspections/{draw_id}")
def inspection_detail(
    request: Request, viewer: ViewerDep, state: StateDep, policy: PolicyDep, draw_id: Id
) -> Response:
    return _inspections(request, viewer, state, policy, draw_id)


@router.get("/inspections/{draw_id}/export.csv")
def inspection_csv(viewer: ViewerDep, state: StateDep, draw_id: Id) -> Response:
    with state.engine.connect() as connection:
        found = inspections.find_draw(connection, viewer.principal, draw_id)
    audit_view(state, viewer, "GET /inspections/{draw_id}/export.csv", detail=f"draw {draw_id}")
    return attachment(inspections.draw_csv(found), "text/csv; charset=utf-8", f"inspection-{draw_id}.csv")


# ---------------------------------------------------------------- clear-out


@router.get("/clearouts")
def clearouts_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    policy: PolicyDep,
    status: str | None = None,
    zone: str | None = None,
) -> Response:
    """The clear-out queue with its rule, filters and export."""
    status = choice(status, clearouts.STATUSES, "status")
    with state.engine.connect() as connection:
        cases = clearouts.case_list(connection, viewer.principal, status, blank(zone))
    audit_view(state, viewer, "GET /clearouts", detail=f"{len(cases)} cases")
    return render(
        request,
        "clearouts.html",
        viewer,
        page="services",
        tab="clearouts",
        policy=policy,
        cases=cases,
        status=status,
        zone=blank(zone),
        zones=visible_zones(viewer.principal),
        statuses=clearouts.STATUSES,
    )


@router.get("/clearouts.csv")
def clearouts_csv(
    viewer: ViewerDep, state: StateDep, status: str | None = None, zone: str | None = None
) -> Response:
    status = choice(status, clearouts.STATUSES, "status")
    with state.engine.connect() as connection:
        cases = clearouts.case_list(connection, viewer.principal, status, blank(zone))
    audit_view(state, viewer, "GET /clearouts.csv", detail=f"{len(cases)} cases")
    return attachment(
        clearouts.cases_csv(cases), "text/csv; charset=utf-8", f"clearouts-{date.today():%Y%m%d}.csv"
    )


@router.post("/clearouts")
def clearouts_identify(viewer: ViewerDep, state: StateDep, policy: PolicyDep, csrf: CsrfForm) -> Response:
    """Open a case for every enterprise of the admin's zones meeting the rule."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    opened = clearouts.open_candidates(state.engine, viewer.principal, policy, state.settings.home)
    for case in opened:
        audit_view(state, viewer, "POST /clearouts", case["credit_code"], f"case {case['case_id']}")
    return RedirectResponse("/clearouts", status_code=303)


@router.get("/clearouts/{case_id}")
def clearout_detail(request: Request, viewer: ViewerDep, state: StateDep, case_id: Id) -> Response:
    with state.engine.connect() as connection:
        case = clearouts.find_case(connection, viewer.principal, case_id)
    audit_view(state, viewer, "GET /clearouts/{case_id}", case["credit_code"], f"case {case_id}")
    return render(
        request,
        "clearout.html",
        viewer,
        page="services",
        tab="clearouts",
        case=case,
        moves=clearouts.NEXT.get(case["status"], ()),
    )


@router.post("/clearouts/{case_id}")
def clearout_move(
    viewer: ViewerDep,
    state: StateDep,
    case_id: Id,
    csrf: CsrfForm,
    status: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Move a case one step with a reason."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    case = clearouts.move_case(state.engine, viewer.principal, case_id, status, reason)
    audit_view(state, viewer, "POST /clearouts/{case_id}", case["credit_code"], f"case {case_id} → {status}")
    return RedirectResponse(f"/clearouts/{case_id}", status_code=303)


__all__ = ["router"]
