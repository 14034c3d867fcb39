"""Corrections (SPEC §2): append-only decisions that revoke, amend or repair a raw record.

Raw batches are never edited. An upheld dispute or a credit repair writes a correction here, and
the feature pipeline applies the corrections decided by its as-of date. The table refuses UPDATE
and DELETE at the database level (a trigger), so "append-only" holds for every client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from data.contracts import get_source
from data.credit_code import CreditCodeError, check_credit_code
from data.errors import InvalidInput

Action = Literal["revoke", "amend", "repair"]
ACTIONS = ("revoke", "amend", "repair")

metadata = sa.MetaData()
corrections = sa.Table(
    "corrections",
    metadata,
    sa.Column("correction_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("record_key", sa.Text, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("new_values", sa.Text, nullable=True),
    sa.Column("decided_on", sa.Date, nullable=False, index=True),
    sa.Column("decided_by", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("dispute_id", sa.Integer, nullable=True),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

_SQLITE_GUARDS = [
    f"CREATE TRIGGER IF NOT EXISTS corrections_no_{op.lower()} BEFORE {op} ON corrections "
    "BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END"
    for op in ("UPDATE", "DELETE")
]
_POSTGRES_GUARD = [
    """CREATE OR REPLACE FUNCTION corrections_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'corrections are append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS corrections_no_change ON corrections",
    """CREATE TRIGGER corrections_no_change BEFORE UPDATE OR DELETE ON corrections
       FOR EACH ROW EXECUTE FUNCTION corrections_append_only()""",
]


def append_only_ddl(dialect: str) -> list[str]:
    """Return the statements that make the corrections table refuse UPDATE and DELETE.

    Schema migrations run them after creating the table; ``create_all`` runs them by itself.
    """
    return list(_POSTGRES_GUARD if dialect == "postgresql" else _SQLITE_GUARDS)


@event.listens_for(corrections, "after_create")
def _append_only(target: sa.Table, connection: sa.Connection, **_: object) -> None:
    for statement in append_only_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


class CorrectionError(InvalidInput):
    """A correction that does not name a record properly or asks for an impossible change."""


@dataclass(frozen=True)
class Correction:
    """A decision about one raw record, effective from ``decided_on``."""

    source: str
    credit_code: str
    record_key: dict[str, str]
    action: Action
    decided_on: date
    decided_by: str
    reason: str
    new_values: dict[str, object] = field(default_factory=dict)
    dispute_id: int | None = None

    def check(self) -> None:
        """Raise CorrectionError unless the correction is well formed for its source."""
        try:
            contract = get_source(self.source)
        except KeyError as exc:
            raise CorrectionError(str(exc.args[0])) from None
        try:
            check_credit_code(self.credit_code)
        except CreditCodeError as exc:
            raise CorrectionError(str(exc)) from None
        if self.action not in ACTIONS:
            raise CorrectionError(f"action must be one of {', '.join(ACTIONS)}, got {self.action!r}")
        expected = set(contract.key) - {"credit_code"}
        if set(self.record_key) != expected:
            raise CorrectionError(
                f"record_key for {self.source} must name {', '.join(sorted(expected))}; "
                f"got {', '.join(sorted(self.record_key)) or 'nothing'}"
            )
        if self.action == "amend":
            if not self.new_values:
                raise CorrectionError("an amend correction needs new_values")
            unknown = set(self.new_values) - set(contract.column_names)
            keys = set(self.new_values) & set(contract.key)
            if unknown or keys:
                raise CorrectionError(
                    f"new_values may only change non-key columns of {self.source}: "
                    f"{', '.join(sorted(unknown | keys))} not allowed"
                )
        if self.action == "repair" and self.source != "credit_events":
            raise CorrectionError("only credit_events records can be repaired")
        if not self.reason.strip() or not self.decided_by.strip():
            raise CorrectionError("a correction needs a reason and the name of who decided it")


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> sa.Engine:
    """Return one engine per database URL, with the corrections table in place."""
    engine = sa.create_engine(database_url)
    metadata.create_all(engine, checkfirst=True)
    return engine


def add_correction(database_url: str, correction: Correction) -> int:
    """Append a correction and return its id."""
    correction.check()
    with engine_for(database_url).begin() as connection:
        result = connection.execute(
            corrections.insert().values(
                source=correction.source,
                credit_code=correction.credit_code,
                record_key=json.dumps(correction.record_key, sort_keys=True, ensure_ascii=False),
                action=correction.action,
                new_values=json.dumps(correction.new_values, sort_keys=True, ensure_ascii=False, default=str)
                if correction.new_values
                else None,
                decided_on=correction.decided_on,
                decided_by=correction.decided_by,
                reason=correction.reason,
                dispute_id=correction.dispute_id,
                recorded_at=datetime.now(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None, "an INSERT always returns its primary key"
        return int(key[0])


def read_corrections(
    known_on: date | None, database_url: str | sa.Connection, credit_codes: list[str] | None = None
) -> pd.DataFrame:
    """Return the corrections decided on or before ``known_on`` (all of them if None), oldest first.

    ``database_url`` may also be an open connection to the store (a read inside the caller's own).
    """
    query = sa.select(corrections).order_by(corrections.c.decided_on, corrections.c.correction_id)
    if known_on is not None:
        query = query.where(corrections.c.decided_on <= known_on)
    if credit_codes is not None:
        query = query.where(corrections.c.credit_code.in_(credit_codes))
    if isinstance(database_url, sa.Connection):
        rows = database_url.execute(query).mappings().all()
    else:
        with engine_for(database_url).connect() as connection:
            rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=[c.name for c in corrections.c])
    frame["decided_on"] = pd.to_datetime(frame["decided_on"]).astype("datetime64[s]")
    return frame
