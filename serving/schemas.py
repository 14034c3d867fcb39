"""Pydantic schemas per resource (``…Create`` in, ``…Update`` in, ``…Public`` out).

The scoring routes write their JSON with orjson straight from arrays, so their schemas here
document the shape in OpenAPI; the low-traffic routes (disputes) validate through them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from models.policy import ClassName

EXAMPLE_CODE = "91120116MA05T3K726"


def _with_zone(value: Any) -> Any:
    # The store keeps the server's local time without a zone; OpenAPI's date-time needs the offset.
    return value.astimezone() if isinstance(value, datetime) and value.tzinfo is None else value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_with_zone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(BaseModel):
    feature: str
    zh: str
    en: str
    contribution: float = Field(description="SHAP contribution in log-odds toward the adverse outcome.")


class ScorePublic(BaseModel):
    """A credit score with its provenance (SPEC §5)."""

    credit_code: str | None = Field(examples=[EXAMPLE_CODE])
    as_of: date | None
    pd: float = Field(description="Probability of default within 12 months.", examples=[0.0123])
    score: int = Field(ge=300, le=900, examples=[712])
    grade: Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
    supervision_class: ClassName
    override_reason_zh: str | None
    override_reason_en: str | None
    reasons: list[Reason]
    model: str = Field(examples=["zonecredit-credit"])
    model_version: str = Field(examples=["3"])
    model_fingerprint: str
    feature_set_version: str
    scored_at: Timestamp | None
    policy_version: str | None = Field(
        default=None, description="Version of the supervision policy that assigned the class."
    )


class ScoresPublic(BaseModel):
    model_version: str = Field(description="Credit champion loaded when the request was served.")
    scores: list[ScorePublic]
    not_found: list[str] = Field(description="Codes with no score visible to the caller.")


class Profile(BaseModel):
    credit_code: str
    name: str
    zone: str
    industry: str | None
    entity_type: str | None
    registered_capital: float | None
    established_on: date | None
    status: str | None
    status_changed_on: date | None
    legal_rep_id: str | None = Field(description="Masked unless the caller's role needs it.")


class HistoryEntry(BaseModel):
    as_of: date
    pd: float
    score: int
    grade: str
    supervision_class: str
    model: str
    model_version: str
    trigger: Literal["month_end", "batch", "dispute"]
    note: str | None
    scored_at: Timestamp


class WarningPublic(BaseModel):
    warning_id: int
    credit_code: str
    name: str
    zone: str
    industry: str | None
    kind: Literal["repair", "dormancy"]
    level: Literal["red", "amber"]
    probability: float
    activity_score: float | None
    records_zh: str | None
    records_en: str | None
    as_of: date
    model: str
    model_version: str


class EnterprisePublic(BaseModel):
    profile: Profile
    score: ScorePublic | None
    history: list[HistoryEntry]
    records: list[dict[str, Any]] = Field(
        description="Credit records (信用记录) on the score's as-of date with every correction so far: "
        "`status` (revoked, listed, repaired, …), `correction` (revoke, amend, repair or null) and the "
        "display and repair windows."
    )
    corrections: list[dict[str, Any]]
    warnings: list[WarningPublic]


class Contribution(BaseModel):
    feature: str
    value: float | str | None
    contribution: float


class Improvement(BaseModel):
    zh: str
    en: str
    pd: float
    grade: str
    reaches_next_grade: bool


class ExplanationPublic(BaseModel):
    score: ScorePublic
    expected_value: float = Field(description="Model log-odds before any feature (SHAP base value).")
    contributions: list[Contribution]
    improvement: Improvement


class RankingItem(BaseModel):
    rank: int
    credit_code: str
    name: str
    zone: str
    industry: str | None
    score: int
    pd: float
    grade: str
    supervision_class: str
    as_of: date
    model_version: str


class Page(BaseModel):
    total: int
    limit: int
    offset: int


class RankingsPublic(Page):
    items: list[RankingItem]


class WarningsPublic(Page):
    items: list[WarningPublic]


class ActivityMonth(BaseModel):
    month: date
    index: float | None
    components: dict[str, float | None] = Field(description="Component indices (base month = 100).")
    levels: dict[str, float] = Field(description="Zone totals behind each component.")
    enterprises: int
    mean_activity_score: float | None


class ActivityIndexPublic(BaseModel):
    zone: str
    name: str
    base_month: date | None
    months: list[ActivityMonth]


class DisputeCreate(Strict):
    """An objection to one raw record of an enterprise."""

    credit_code: str = Field(examples=[EXAMPLE_CODE])
    source: str = Field(examples=["credit_events"])
    record_key: dict[str, str] = Field(
        description="The record's key columns other than credit_code.", examples=[{"event_id": "E123"}]
    )
    action: Literal["revoke", "amend", "repair"] = Field(description="The correction asked for.")
    new_values: dict[str, Any] | None = Field(default=None, description="For `amend`: the corrected values.")
    claim: str = Field(min_length=1, max_length=4000, examples=["the penalty was annulled on appeal"])


class DisputeUpdate(Strict):
    """A step of the workflow: submitted → under_review → upheld | rejected."""

    status: Literal["under_review", "upheld", "rejected"]
    note: str = Field(default="", max_length=4000, description="Why; recorded with the decision.")


class DisputePublic(BaseModel):
    dispute_id: int
    credit_code: str
    zone: str
    source: str
    record_key: dict[str, Any]
    action: str
    new_values: dict[str, Any] | None
    claim: str
    status: Literal["submitted", "under_review", "upheld", "rejected"]
    filed_by: str
    filed_at: Timestamp
    decided_by: str | None
    decided_at: Timestamp | None
    decision_note: str | None
    correction_id: int | None
    score_before: ScorePublic | None = None
    score_after: ScorePublic | None = None


class DisputesPublic(Page):
    items: list[DisputePublic]


class Ready(BaseModel):
    status: Literal["ready", "not ready"]
    models: dict[str, str]
    database: bool
    detail: str | None = None


class AuditEntry(BaseModel):
    """One read, decision or refused key in the audit log."""

    audit_id: int
    at: Timestamp
    key_id: str
    role: str
    action: str
    credit_code: str | None
    detail: str | None
    purpose: str
    status: int
    personal_data: bool = Field(description="The read showed personal data unmasked.")
    client: str | None = Field(description="Address of a refused key.")


class AuditFlag(BaseModel):
    """Unusual access a reviewer should look at."""

    kind: Literal["busy_day", "off_hours", "failed_sign_ins"]
    key_id: str | None
    client: str | None
    day: str | None
    count: int
    usual: int | None = Field(description="The key's usual (median) day of enterprises read, for busy days.")


class AuditPublic(Page):
    items: list[AuditEntry]
    flags: list[AuditFlag]
