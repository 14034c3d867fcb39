"""Each enterprise's latest activity components, so a rescore on arrival updates the zone index alone;
and the alerts a rescore raises (new serious record, class down two or more, activity below the floor).

The zone index of a live as-of is the sum over enterprises of their latest components: the month-end
batch writes every enterprise's row, a rescore replaces the touched enterprises' rows and re-adds
the zones from this table, without re-reading the untouched ones' records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Before this revision "batch" was the month-end run; rescores on arrival take that name now.
    for table in ("score_history", "latest_scores"):
        op.execute(sa.text(f"UPDATE {table} SET trigger = 'month_end' WHERE trigger = 'batch'"))
    op.create_table(
        "enterprise_activity",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("tax", sa.Float(), nullable=False),
        sa.Column("employment", sa.Float(), nullable=False),
        sa.Column("electricity", sa.Float(), nullable=False),
        sa.Column("ip", sa.Float(), nullable=False),
        sa.Column("activity_score", sa.Float(), nullable=False),
        sa.Column("serious_records", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", name=op.f("pk_enterprise_activity")),
    )
    with op.batch_alter_table("enterprise_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_activity_zone"), ["zone"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cause_zh", sa.Text(), nullable=False),
        sa.Column("cause_en", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_credit_code"), ["credit_code"], unique=False)
        batch_op.create_index("ix_alerts_zone_kind_created_at", ["zone", "kind", "created_at"], unique=False)


def downgrade() -> None:
    for table in ("score_history", "latest_scores"):
        op.execute(sa.text(f"UPDATE {table} SET trigger = 'batch' WHERE trigger = 'month_end'"))
    op.drop_table("alerts")
    with op.batch_alter_table("enterprise_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_activity_zone"))
    op.drop_table("enterprise_activity")
