"""Ranking indexes that end in the credit code, so that every page is read off an index in order.

A ranking page is ordered by score, PD or name with the credit code as tie-break; ending the index
with the credit code lets the database walk it in order (no sort) and skip deep offsets on the index
alone. They replace the score and zone-score indexes they extend.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = {
    "ix_latest_scores_score_credit_code": ["score", "credit_code"],
    "ix_latest_scores_zone_score_credit_code": ["zone", "score", "credit_code"],
    "ix_latest_scores_pd_credit_code": ["pd", "credit_code"],
    "ix_latest_scores_name_credit_code": ["name", "credit_code"],
}
OLD = {"ix_latest_scores_score": ["score"], "ix_latest_scores_zone_score": ["zone", "score"]}


def upgrade() -> None:
    with op.batch_alter_table("latest_scores", schema=None) as batch_op:
        for name, columns in NEW.items():
            batch_op.create_index(name, columns, unique=False)
        for name in OLD:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("latest_scores", schema=None) as batch_op:
        for name, columns in OLD.items():
            batch_op.create_index(name, columns, unique=False)
        for name in NEW:
            batch_op.drop_index(name)
