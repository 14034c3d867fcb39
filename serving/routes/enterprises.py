"""One enterprise: profile with score history, records and warnings; and a fresh explanation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from serving.deps import ChampionsDep, PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.errors import not_found
from serving.queries import UNMASKED_ROLES, enterprise_detail, scored_enterprise
from serving.rescore import explain_enterprise
from serving.routes.common import CreditCodePath
from serving.routes.scores import ERRORS
from serving.schemas import EnterprisePublic, ExplanationPublic

router = APIRouter(prefix="/enterprises", tags=["enterprises"])


@router.get(
    "/{credit_code}",
    response_model=EnterprisePublic,
    responses=ERRORS,
    summary="Profile, score history, credit records and active warnings",
)
def get_enterprise(
    credit_code: CreditCodePath,
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    purpose: PurposeDep,
) -> dict[str, Any]:
    """Everything known about one enterprise in the caller's zones; personal data masked by role."""
    detail = enterprise_detail(connection, principal, credit_code, state.settings)
    unmasked = principal.role in UNMASKED_ROLES and detail["profile"]["legal_rep_id"] is not None
    state.audit.record(
        principal, "GET /v1/enterprises/{credit_code}", purpose, credit_code, personal_data=unmasked
    )
    return detail


@router.get(
    "/{credit_code}/explanation",
    response_model=ExplanationPublic,
    responses=ERRORS,
    summary="SHAP contributions, reasons and what would move the grade up",
)
def get_explanation(
    credit_code: CreditCodePath,
    principal: ReadingPrincipal,
    connection: SessionDep,
    state: StateDep,
    champions: ChampionsDep,
    purpose: PurposeDep,
) -> dict[str, Any]:
    """Recompute the enterprise's features from its records (corrections included) and explain them."""
    latest = scored_enterprise(connection, principal, credit_code)
    explanation = explain_enterprise(credit_code, latest["as_of"], state.settings, champions)
    if explanation is None:
        raise not_found(credit_code)
    state.audit.record(principal, "GET /v1/enterprises/{credit_code}/explanation", purpose, credit_code)
    return explanation
