"""Tables of the plan's services (issue 19): reports issued, program exports, credit commitments,
inspection draws, clear-out cases and their steps.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
TABLES = (
    "reports_issued",
    "program_exports",
    "commitments",
    "inspection_draws",
    "clearout_cases",
    "clearout_steps",
)


def upgrade() -> None:
    op.create_table(
        "reports_issued",
        sa.Column("report_number", sa.String(length=32), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("verification_code", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("report_number", name=op.f("pk_reports_issued")),
    )
    op.create_index(op.f("ix_reports_issued_credit_code"), "reports_issued", ["credit_code"])
    op.create_table(
        "program_exports",
        sa.Column("export_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("zones", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("credit_codes", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("exported_by", sa.String(length=32), nullable=False),
        sa.Column("exported_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("export_id", name=op.f("pk_program_exports")),
    )
    op.create_index(op.f("ix_program_exports_program"), "program_exports", ["program"])
    op.create_table(
        "commitments",
        sa.Column("commitment_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("promised_on", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("commitment_id", name=op.f("pk_commitments")),
    )
    op.create_index(op.f("ix_commitments_credit_code"), "commitments", ["credit_code"])
    op.create_index(op.f("ix_commitments_zone"), "commitments", ["zone"])
    op.create_index(op.f("ix_commitments_status"), "commitments", ["status"])
    op.create_table(
        "inspection_draws",
        sa.Column("draw_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("rates", sa.Text, nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.Date, nullable=True),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("drawn_by", sa.String(length=32), nullable=False),
        sa.Column("drawn_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("draw_id", name=op.f("pk_inspection_draws")),
    )
    op.create_index(op.f("ix_inspection_draws_zone"), "inspection_draws", ["zone"])
    op.create_table(
        "clearout_cases",
        sa.Column("case_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("records", sa.Text, nullable=False),
        sa.Column("months_unrepaired", sa.Integer, nullable=False),
        sa.Column("batches", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_clearout_cases")),
    )
    op.create_index(op.f("ix_clearout_cases_credit_code"), "clearout_cases", ["credit_code"])
    op.create_index(op.f("ix_clearout_cases_zone"), "clearout_cases", ["zone"])
    op.create_index(op.f("ix_clearout_cases_status"), "clearout_cases", ["status"])
    op.create_table(
        "clearout_steps",
        sa.Column("step_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("step_id", name=op.f("pk_clearout_steps")),
    )
    op.create_index(op.f("ix_clearout_steps_case_id"), "clearout_steps", ["case_id"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
