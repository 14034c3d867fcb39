"""The operational store (SPEC §8): scores with history, warnings, activity index, disputes, audit, keys.

Tables are SQLAlchemy Core, so bulk writes from the batch stay vectorised (one executemany per
table) and the hot read paths are one indexed SELECT. ``latest_scores`` holds one row per enterprise
with its public JSON already serialised: single-score reads and code batches return stored bytes.
The schema is created and evolved by Alembic (``serving/migrations``) via ``upgrade_database``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

enterprises = sa.Table(
    "enterprises",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("zone", sa.String(16), nullable=False, index=True),
    sa.Column("industry", sa.String(8), nullable=True),
    sa.Column("entity_type", sa.String(1), nullable=True),
    sa.Column("registered_capital", sa.Float, nullable=True),
    sa.Column("established_on", sa.Date, nullable=True),
    sa.Column("status", sa.String(16), nullable=True),
    sa.Column("status_changed_on", sa.Date, nullable=True),
    sa.Column("legal_rep_id", sa.String(32), nullable=True),  # personal data: masked by role
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

_SCORE_COLUMNS = (
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column("model_fingerprint", sa.String(16), nullable=False),
    sa.Column("feature_set_version", sa.String(32), nullable=False),
    sa.Column("pd", sa.Float, nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("grade", sa.String(3), nullable=False),
    sa.Column("supervision_class", sa.String(1), nullable=False),
    sa.Column("override_reason_zh", sa.Text, nullable=True),
    sa.Column("override_reason_en", sa.Text, nullable=True),
    sa.Column("reasons", sa.Text, nullable=False),  # JSON list, precomputed at scoring time
    sa.Column("trigger", sa.String(16), nullable=False),  # month_end | batch (on arrival) | dispute
    sa.Column("note", sa.Text, nullable=True),  # why a rescore happened
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.Column("policy_version", sa.String(32), nullable=True),  # supervision policy of the class
)

score_history = sa.Table(
    "score_history",
    metadata,
    sa.Column("score_id", sa.Integer, primary_key=True, autoincrement=True),
    *(c.copy() for c in _SCORE_COLUMNS),
    sa.Index("ix_score_history_code_as_of", "credit_code", "as_of", "model_version"),
)

latest_scores = sa.Table(
    "latest_scores",
    metadata,
    *(c.copy() for c in _SCORE_COLUMNS if c.name != "credit_code"),
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("zone", sa.String(16), nullable=False),
    sa.Column("industry", sa.String(8), nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("public_json", sa.Text, nullable=False),  # the response body of GET …/score
    # Ranking orders end with the credit code (tie-break): pages walk these indexes in order.
    sa.Index("ix_latest_scores_score_credit_code", "score", "credit_code"),
    sa.Index("ix_latest_scores_zone_score_credit_code", "zone", "score", "credit_code"),
    sa.Index("ix_latest_scores_pd_credit_code", "pd", "credit_code"),
    sa.Index("ix_latest_scores_name_credit_code", "name", "credit_code"),
    sa.Index("ix_latest_scores_grade", "grade"),
    sa.Index("ix_latest_scores_class", "supervision_class"),
    sa.Index("ix_latest_scores_industry", "industry"),
)

warnings = sa.Table(
    "warnings",
    metadata,
    sa.Column("warning_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("zone", sa.String(16), nullable=False),
    sa.Column("industry", sa.String(8), nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # repair | dormancy
    sa.Column("level", sa.String(8), nullable=False),  # red | amber
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("activity_score", sa.Float, nullable=True),
    sa.Column("records_zh", sa.Text, nullable=True),
    sa.Column("records_en", sa.Text, nullable=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_warnings_active_zone_kind", "active", "zone", "kind"),
)

zone_activity = sa.Table(
    "zone_activity",
    metadata,
    sa.Column("zone", sa.String(16), primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("enterprises", sa.Integer, nullable=False),
    sa.Column("tax", sa.Float, nullable=False),
    sa.Column("employment", sa.Float, nullable=False),
    sa.Column("electricity", sa.Float, nullable=False),
    sa.Column("ip", sa.Float, nullable=False),
    sa.Column("mean_activity_score", sa.Float, nullable=True),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
)

# Each enterprise's latest activity components (month-end batch, then rescores on arrival): the
# zone index of a live as-of is their sum, so a rescore re-reads no untouched enterprise's records.
enterprise_activity = sa.Table(
    "enterprise_activity",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("zone", sa.String(16), nullable=False, index=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("tax", sa.Float, nullable=False),
    sa.Column("employment", sa.Float, nullable=False),
    sa.Column("electricity", sa.Float, nullable=False),
    sa.Column("ip", sa.Float, nullable=False),
    sa.Column("activity_score", sa.Float, nullable=False),
    sa.Column("serious_records", sa.Float, nullable=False),  # in force: serious, listings, defaulter
)

# Alerts raised when a rescore sees a change worth a supervisor's look (serving/alerts.py).
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("zone", sa.String(16), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # serious_record | class_drop | dormancy
    sa.Column("cause_zh", sa.Text, nullable=False),
    sa.Column("cause_en", sa.Text, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_alerts_zone_kind_created_at", "zone", "kind", "created_at"),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("dispute_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("zone", sa.String(16), nullable=False, index=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("record_key", sa.Text, nullable=False),  # JSON object
    sa.Column("action", sa.String(16), nullable=False),  # revoke | amend | repair, if upheld
    sa.Column("new_values", sa.Text, nullable=True),  # JSON object
    sa.Column("claim", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("filed_by", sa.String(64), nullable=False),
    sa.Column("filed_at", sa.DateTime, nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=True),
    sa.Column("decision_note", sa.Text, nullable=True),
    sa.Column("correction_id", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("key_id", sa.String(32), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(128), nullable=False),  # method and route template
    sa.Column("credit_code", sa.String(18), nullable=True, index=True),
    sa.Column("detail", sa.Text, nullable=True),  # e.g. how many codes a batch read
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("personal_data", sa.Boolean, nullable=False, server_default=sa.false()),  # shown unmasked
    sa.Column("client", sa.String(64), nullable=True),  # the address behind a failed sign-in
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),  # public part of the key
    sa.Column("key_hash", sa.String(64), nullable=False),  # SHA-256 of the whole key
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("zones", sa.Text, nullable=True),  # comma-separated; NULL = every zone
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

dashboard_sessions = sa.Table(
    "dashboard_sessions",
    metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie's session id
    sa.Column("key_id", sa.String(32), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),  # sign-out or key revocation
)

reports_issued = sa.Table(
    "reports_issued",
    metadata,
    sa.Column("report_number", sa.String(32), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("zone", sa.String(16), nullable=False),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("verification_code", sa.String(32), nullable=False),
    sa.Column("issued_by", sa.String(32), nullable=False),  # key id
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("issued_at", sa.DateTime, nullable=False),
)

program_exports = sa.Table(
    "program_exports",
    metadata,
    sa.Column("export_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("program", sa.String(32), nullable=False, index=True),
    sa.Column("policy_version", sa.String(32), nullable=False),
    sa.Column("zones", sa.Text, nullable=False),  # comma-separated zones the list covered
    sa.Column("recipient", sa.Text, nullable=False),  # the bank or department it was sent to
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("credit_codes", sa.Text, nullable=False),  # JSON list: what was sent
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("exported_by", sa.String(32), nullable=False),
    sa.Column("exported_at", sa.DateTime, nullable=False),
)

commitments = sa.Table(
    "commitments",
    metadata,
    sa.Column("commitment_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("zone", sa.String(16), nullable=False, index=True),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    sa.Column("promised_on", sa.Date, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open | fulfilled | breached
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("event_id", sa.String(64), nullable=True),  # the commitment_breached record, once written
    sa.Column("recorded_by", sa.String(32), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

inspection_draws = sa.Table(
    "inspection_draws",
    metadata,
    sa.Column("draw_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("zone", sa.String(16), nullable=False, index=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("rates", sa.Text, nullable=False),  # JSON {class: share}
    sa.Column("policy_version", sa.String(32), nullable=False),
    sa.Column("as_of", sa.Date, nullable=True),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("items", sa.Text, nullable=False),  # JSON list of drawn enterprises with inspectors
    sa.Column("drawn_by", sa.String(32), nullable=False),
    sa.Column("drawn_at", sa.DateTime, nullable=False),
)

clearout_cases = sa.Table(
    "clearout_cases",
    metadata,
    sa.Column("case_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("zone", sa.String(16), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("records", sa.Text, nullable=False),  # JSON list of the unrepaired records behind it
    sa.Column("months_unrepaired", sa.Integer, nullable=False),
    sa.Column("batches", sa.Integer, nullable=False),
    sa.Column("policy_version", sa.String(32), nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

clearout_steps = sa.Table(
    "clearout_steps",
    metadata,
    sa.Column("step_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(32), nullable=False),
    sa.Column("decided_at", sa.DateTime, nullable=False),
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _: object) -> None:
    # WAL lets the API read while the batch writes; NORMAL sync is durable enough under WAL.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> sa.Engine:
    """Return one engine per database URL (SQLite in WAL mode with a busy timeout)."""
    if database_url.startswith("sqlite"):
        engine = sa.create_engine(database_url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(database_url: str):  # -> alembic.config.Config (alembic imported lazily)
    """Return the Alembic configuration for ``database_url`` (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the store at ``database_url`` to ``revision`` (creating it if new); idempotent."""
    from alembic import command

    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)
