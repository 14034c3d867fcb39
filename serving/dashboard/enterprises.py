"""One enterprise's page, and the disputes filed from it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from serving.dashboard import charts
from serving.dashboard.frame import (
    CsrfForm,
    DashboardRoute,
    ViewerDep,
    audit_view,
    check_csrf,
    choice,
    render,
)
from serving.dashboard.i18n import translator
from serving.deps import StateDep
from serving.disputes import dispute_page, file_dispute
from serving.queries import (
    UNMASKED_ROLES,
    enterprise_detail,
    masked_id,
)
from serving.rescore import explain_enterprise
from serving.services.guidance import guidance_for

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


@router.get("/enterprises/{credit_code}")
def enterprise(
    request: Request, viewer: ViewerDep, state: StateDep, credit_code: str, purpose: str | None = None
) -> Response:
    """One enterprise: score and grade history, reasons, what would move it up, records, warnings.

    Personal data a role may see unmasked stays masked until the viewer says why (one of the
    configured purposes); that read is marked in the audit log with the purpose.
    """
    t = translator(viewer.lang)
    purpose = choice(purpose, tuple(state.settings.purposes), "purpose")
    with state.engine.connect() as connection:
        detail = enterprise_detail(connection, viewer.principal, credit_code, state.settings)
        _, disputes = dispute_page(connection, viewer.principal, credit_code=credit_code, limit=20)
    personal = detail["profile"]["legal_rep_id"]
    maskable = viewer.principal.role in UNMASKED_ROLES and personal is not None
    if maskable and purpose is None:
        detail["profile"]["legal_rep_id"] = masked_id(personal)
    unmasked = maskable and purpose is not None
    audit_view(state, viewer, "GET /enterprises/{credit_code}", credit_code, None, purpose, unmasked)
    score = detail["score"]
    champions = state.champions.current
    explanation = (
        explain_enterprise(credit_code, date.fromisoformat(score["as_of"]), state.settings, champions)
        if champions is not None
        else None
    )
    history = detail["history"]
    reasons = [(r[viewer.lang], r["contribution"]) for r in score["reasons"]]
    return render(
        request,
        "enterprise.html",
        viewer,
        page="ranking",
        detail=detail,
        score=score,
        explanation=explanation,
        disputes=disputes,
        ask_purpose=maskable and not unmasked,
        purposes=state.settings.purposes,
        disputable=[r for r in detail["records"] if r["status"] not in ("positive", "later", "revoked")],
        guidance=guidance_for(detail["records"], date.fromisoformat(score["as_of"])),
        history_chart=charts.line_chart(
            [f"{h['as_of']:%Y-%m-%d}" + ("*" if h["trigger"] == "dispute" else "") for h in history],
            [(t("col.score"), [float(h["score"]) for h in history])],
            t("ent.history"),
            height=200,
        )
        if history
        else None,
        reason_chart=charts.contribution_chart(reasons, t("ent.reasons")) if reasons else None,
    )


@router.post("/enterprises/{credit_code}/disputes")
def enterprise_dispute(
    viewer: ViewerDep,
    state: StateDep,
    credit_code: str,
    csrf: CsrfForm,
    event_id: Annotated[str, Form(min_length=1, max_length=64)],
    action: Annotated[str, Form()],
    claim: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    """File a dispute against one of the enterprise's credit records, then show it in the queue."""
    check_csrf(viewer, csrf)
    draft = {
        "credit_code": credit_code,
        "source": "credit_events",
        "record_key": {"event_id": event_id},
        "action": choice(action, ("revoke", "repair"), "action"),
        "new_values": None,
        "claim": claim,
    }
    dispute = file_dispute(state.engine, viewer.principal, draft, state.settings.home)
    action_name = "POST /enterprises/{credit_code}/disputes"
    audit_view(state, viewer, action_name, credit_code, f"dispute {dispute['dispute_id']}")
    return RedirectResponse(f"/disputes/{dispute['dispute_id']}", status_code=303)
