"""One enterprise: profile with score history, records and warnings; and a fresh explanation."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter

from serving.batch import enterprise_features
from serving.deps import ChampionsDep, PurposeDep, ReadingPrincipal, SessionDep, StateDep
from serving.errors import not_found
from serving.outputs import credit_records
from serving.routes.common import (
    CreditCodePath,
    frame_records,
    json_value,
    mask_personal_id,
    scored_enterprise,
)
from serving.routes.scores import ERRORS
from serving.schemas import EnterprisePublic, ExplanationPublic
from serving.store import enterprises, score_history, warnings

router = APIRouter(prefix="/enterprises", tags=["enterprises"])
RECORD_COLUMNS = [
    "event_id",
    "kind",
    "severity",
    "occurred_on",
    "published_on",
    "repaired_on",
    "removed_on",
    "department",
    "reported_on",
]
TOP_CONTRIBUTIONS = 15


def _credit_records(credit_code: str, state: Any) -> pd.DataFrame:
    from data.warehouse import bucket_count, bucket_of, read_source

    home = state.settings.home
    bucket = int(bucket_of(np.asarray([credit_code], dtype=object), bucket_count(home))[0])
    events = read_source("credit_events", home, buckets=[bucket])
    events = events[events["credit_code"] == credit_code]
    return events[RECORD_COLUMNS].drop_duplicates("event_id", keep="last").sort_values("occurred_on")


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
    from data.corrections import read_corrections

    latest = scored_enterprise(connection, principal, credit_code)
    profile = (
        connection.execute(sa.select(enterprises).where(enterprises.c.credit_code == credit_code))
        .mappings()
        .one_or_none()
    )
    if profile is None:
        raise not_found(credit_code)
    history = connection.execute(
        sa.select(score_history)
        .where(score_history.c.credit_code == credit_code)
        .order_by(score_history.c.as_of, score_history.c.scored_at, score_history.c.score_id)
    ).mappings()
    active = connection.execute(
        sa.select(warnings)
        .where(warnings.c.credit_code == credit_code, warnings.c.active.is_(True))
        .order_by(warnings.c.kind)
    ).mappings()
    corrections = read_corrections(None, state.settings.resolved_database_url, [credit_code])
    state.audit.record(principal, "GET /v1/enterprises/{credit_code}", purpose, credit_code)
    person = {k: v for k, v in profile.items() if k != "updated_at"}
    person["legal_rep_id"] = mask_personal_id(person["legal_rep_id"], principal)
    return {
        "profile": person,
        "score": orjson.loads(latest["public_json"]),
        "history": [dict(h) for h in history],
        "records": frame_records(_credit_records(credit_code, state)),
        "corrections": frame_records(corrections.drop(columns=["recorded_at"])),
        "warnings": [dict(w) for w in active],
    }


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
    features = enterprise_features(credit_code, latest["as_of"], state.settings)
    if features.empty:
        raise not_found(credit_code)
    model = champions["credit"]
    output = model.predict(features, top_reasons=5, improvements=True)
    contributions = model.contributions(features)[0]
    order = np.argsort(-np.abs(contributions[:-1]))[:TOP_CONTRIBUTIONS]
    state.audit.record(principal, "GET /v1/enterprises/{credit_code}/explanation", purpose, credit_code)
    first = output.iloc[0]
    return {
        "score": credit_records(output, champions.versions["credit"])[0],
        "expected_value": float(contributions[-1]),
        "contributions": [
            {
                "feature": model.spec.features[j],
                "value": json_value(features[model.spec.features[j]].iloc[0]),
                "contribution": round(float(contributions[j]), 5),
            }
            for j in order
        ],
        "improvement": {
            "zh": first["improvement_zh"],
            "en": first["improvement_en"],
            "pd": float(first["improvement_pd"]),
            "grade": first["improvement_grade"],
            "reaches_next_grade": bool(first["improvement_reaches_next_grade"]),
        },
    }
