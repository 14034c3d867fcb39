"""Operational store (scores, warnings, activity, disputes, audit, keys) and the corrections table.

The corrections table is append-only: its UPDATE/DELETE guards come from ``data.corrections``.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.corrections import append_only_ddl

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("zones", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_credit_code"), ["credit_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_key_id"), ["key_id"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("new_values", sa.Text(), nullable=True),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dispute_id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_credit_code"), ["credit_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_zone"), ["zone"], unique=False)

    op.create_table(
        "enterprises",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=8), nullable=True),
        sa.Column("entity_type", sa.String(length=1), nullable=True),
        sa.Column("registered_capital", sa.Float(), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("status_changed_on", sa.Date(), nullable=True),
        sa.Column("legal_rep_id", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", name=op.f("pk_enterprises")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprises_zone"), ["zone"], unique=False)

    op.create_table(
        "latest_scores",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=16), nullable=False),
        sa.Column("model_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("feature_set_version", sa.String(length=32), nullable=False),
        sa.Column("pd", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=3), nullable=False),
        sa.Column("supervision_class", sa.String(length=1), nullable=False),
        sa.Column("override_reason_zh", sa.Text(), nullable=True),
        sa.Column("override_reason_en", sa.Text(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=8), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("public_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", name=op.f("pk_latest_scores")),
    )
    with op.batch_alter_table("latest_scores", schema=None) as batch_op:
        batch_op.create_index("ix_latest_scores_class", ["supervision_class"], unique=False)
        batch_op.create_index("ix_latest_scores_grade", ["grade"], unique=False)
        batch_op.create_index("ix_latest_scores_industry", ["industry"], unique=False)
        batch_op.create_index("ix_latest_scores_score", ["score"], unique=False)
        batch_op.create_index("ix_latest_scores_zone_score", ["zone", "score"], unique=False)

    op.create_table(
        "score_history",
        sa.Column("score_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=16), nullable=False),
        sa.Column("model_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("feature_set_version", sa.String(length=32), nullable=False),
        sa.Column("pd", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=3), nullable=False),
        sa.Column("supervision_class", sa.String(length=1), nullable=False),
        sa.Column("override_reason_zh", sa.Text(), nullable=True),
        sa.Column("override_reason_en", sa.Text(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("score_id", name=op.f("pk_score_history")),
    )
    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_history_code_as_of", ["credit_code", "as_of", "model_version"], unique=False
        )

    op.create_table(
        "warnings",
        sa.Column("warning_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=8), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("activity_score", sa.Float(), nullable=True),
        sa.Column("records_zh", sa.Text(), nullable=True),
        sa.Column("records_en", sa.Text(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("warning_id", name=op.f("pk_warnings")),
    )
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.create_index("ix_warnings_active_zone_kind", ["active", "zone", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_warnings_credit_code"), ["credit_code"], unique=False)

    op.create_table(
        "zone_activity",
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("enterprises", sa.Integer(), nullable=False),
        sa.Column("tax", sa.Float(), nullable=False),
        sa.Column("employment", sa.Float(), nullable=False),
        sa.Column("electricity", sa.Float(), nullable=False),
        sa.Column("ip", sa.Float(), nullable=False),
        sa.Column("mean_activity_score", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=16), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "month", name=op.f("pk_zone_activity")),
    )
    # The data layer creates the corrections table on first use; adopt it if it came first.
    if not sa.inspect(op.get_bind()).has_table("corrections"):
        op.create_table(
            "corrections",
            sa.Column("correction_id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("source", sa.String(length=32), nullable=False),
            sa.Column("credit_code", sa.String(length=18), nullable=False),
            sa.Column("record_key", sa.Text(), nullable=False),
            sa.Column("action", sa.String(length=16), nullable=False),
            sa.Column("new_values", sa.Text(), nullable=True),
            sa.Column("decided_on", sa.Date(), nullable=False),
            sa.Column("decided_by", sa.String(length=100), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("dispute_id", sa.Integer(), nullable=True),
            sa.Column("recorded_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("correction_id"),
        )
        with op.batch_alter_table("corrections", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_corrections_credit_code"), ["credit_code"], unique=False)
            batch_op.create_index(batch_op.f("ix_corrections_decided_on"), ["decided_on"], unique=False)
    for statement in append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrections_decided_on"))
        batch_op.drop_index(batch_op.f("ix_corrections_credit_code"))

    op.drop_table("corrections")
    op.drop_table("zone_activity")
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warnings_credit_code"))
        batch_op.drop_index("ix_warnings_active_zone_kind")

    op.drop_table("warnings")
    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.drop_index("ix_score_history_code_as_of")

    op.drop_table("score_history")
    with op.batch_alter_table("latest_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_latest_scores_zone_score")
        batch_op.drop_index("ix_latest_scores_score")
        batch_op.drop_index("ix_latest_scores_industry")
        batch_op.drop_index("ix_latest_scores_grade")
        batch_op.drop_index("ix_latest_scores_class")

    op.drop_table("latest_scores")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_zone"))

    op.drop_table("enterprises")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_zone"))
        batch_op.drop_index(batch_op.f("ix_disputes_status"))
        batch_op.drop_index(batch_op.f("ix_disputes_credit_code"))

    op.drop_table("disputes")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_key_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_credit_code"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("api_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS corrections_append_only()")
