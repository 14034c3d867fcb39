"""The audit log (SPEC §7): who read which enterprise's data, when, and why; and its review.

Entries are queued by the request and written in bulk by a background thread every
``audit_flush_seconds``: one INSERT per request would make every score read wait for a commit.
``flush`` drains the queue (on shutdown, and in tests). The review (the plan's 个人信息查询使用登记和审查)
reads it back: filtered pages, exports and flags of unusual access.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from serving.keys import Principal
from serving.queries import table_page
from serving.store import audit_log, enterprises

log = logging.getLogger("zonecredit.serving")
UNKNOWN_KEY = "-"  # the key id of a refused key that names none
FAILED_SIGN_IN = "failed-sign-in"  # the purpose column of refused keys, so that reviews can filter them


class AuditWriter:
    """Queues audit entries and writes them in batches."""

    def __init__(self, engine: sa.Engine, interval_seconds: float) -> None:
        self.engine = engine
        self.interval_seconds = interval_seconds
        self._queue: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(
        self,
        principal: Principal,
        action: str,
        purpose: str,
        credit_code: str | None = None,
        detail: str | None = None,
        status: int = 200,
        personal_data: bool = False,
    ) -> None:
        """Queue one entry; never blocks on the database.

        ``personal_data`` marks a read that showed personal data unmasked, for the review of
        personal-data queries.
        """
        self._queue.put(
            {
                "at": datetime.now(),
                "key_id": principal.key_id,
                "role": principal.role,
                "action": action,
                "credit_code": credit_code,
                "detail": detail,
                "purpose": purpose,
                "status": status,
                "personal_data": personal_data,
                "client": None,
            }
        )

    def record_failed_sign_in(self, action: str, key_id: str | None, client: str, detail: str) -> None:
        """Queue a refused key (API or dashboard sign-in), with the address it came from."""
        self._queue.put(
            {
                "at": datetime.now(),
                "key_id": (key_id or UNKNOWN_KEY)[:32],
                "role": UNKNOWN_KEY,
                "action": action,
                "credit_code": None,
                "detail": detail,
                "purpose": FAILED_SIGN_IN,
                "status": 401,
                "personal_data": False,
                "client": client[:64],
            }
        )

    def flush(self) -> int:
        """Write every queued entry; return how many."""
        with self._lock:
            entries: list[dict[str, Any]] = []
            while True:
                try:
                    entries.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if entries:
                with self.engine.begin() as connection:
                    connection.execute(audit_log.insert(), entries)
            return len(entries)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.flush()
            except Exception:  # the database may be briefly locked; the entries wait for the next round
                log.exception("audit flush failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


# ---------------------------------------------------------------- review (the auditor's reads)

AUDIT_COLUMNS = (
    "audit_id",
    "at",
    "key_id",
    "role",
    "action",
    "credit_code",
    "detail",
    "purpose",
    "status",
    "personal_data",
    "client",
)
WORKING_HOURS = (8, 20)  # reads from 08:00 to 19:59, Monday to Friday, are within working hours
USUAL_DAY_FACTOR = 5  # a day reading this many times the key's usual (median) day of enterprises …
UNUSUAL_DAY_MIN = 20  # … and at least this many is flagged
FAILED_SIGN_INS_FLAGGED = 5  # failed sign-ins of one key id or client in the window
REVIEW_DAYS = 30  # flags look this far back unless a time range is given


@dataclass(frozen=True)
class AuditFilter:
    """What an audit review is narrowed to (every field optional; ``until`` is exclusive)."""

    key_id: str | None = None
    role: str | None = None
    credit_code: str | None = None
    zone: str | None = None
    purpose: str | None = None
    action: str | None = None
    personal_data: bool | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """Return the WHERE conditions on ``audit_log``; a zone keeps the reads of its enterprises."""
        c = audit_log.c
        found: list[sa.ColumnElement[bool] | None] = [
            c.key_id == self.key_id if self.key_id else None,
            c.role == self.role if self.role else None,
            c.credit_code == self.credit_code if self.credit_code else None,
            c.purpose == self.purpose if self.purpose else None,
            c.action.contains(self.action, autoescape=True) if self.action else None,
            c.personal_data.is_(self.personal_data) if self.personal_data is not None else None,
            c.at >= self.since if self.since else None,
            c.at < self.until if self.until else None,
        ]
        if self.zone:
            found.append(
                c.credit_code.in_(sa.select(enterprises.c.credit_code).where(enterprises.c.zone == self.zone))
            )
        return [condition for condition in found if condition is not None]


def audit_page(
    connection: sa.Connection, review: AuditFilter, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """Return (matching total, one page) of audit entries, newest first."""
    order = (audit_log.c.at.desc(), audit_log.c.audit_id.desc())
    total, rows = table_page(connection, audit_log, review.conditions(), order, limit, offset)
    return total, [dict(r) for r in rows]


def audit_rows(connection: sa.Connection, review: AuditFilter) -> Iterator[list[Any]]:
    """Yield every matching entry as a row of ``AUDIT_COLUMNS``, newest first (for CSV exports)."""
    query = (
        sa.select(*(audit_log.c[name] for name in AUDIT_COLUMNS))
        .where(*review.conditions())
        .order_by(audit_log.c.at.desc(), audit_log.c.audit_id.desc())
        .execution_options(yield_per=5_000)
    )
    for row in connection.execute(query):
        yield list(row)


def review_window(review: AuditFilter) -> tuple[datetime, datetime]:
    """Return the window the flags are computed over: the filter's range, else the last 30 days."""
    until = review.until or datetime.combine(date.today() + timedelta(days=1), datetime.min.time())
    return review.since or until - timedelta(days=REVIEW_DAYS), until


def unusual_access(connection: sa.Connection, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Return what a reviewer should look at in ``[since, until)``, each with its kind and key id.

    ``busy_day``: a key read far more enterprises in a day than on its usual (median) day;
    ``off_hours``: a key read enterprise data outside working hours; ``failed_sign_ins``: many
    refused keys for one key id or client.
    """
    c = audit_log.c
    window = (c.at >= since, c.at < until)
    read = (*window, c.credit_code.is_not(None), c.purpose != FAILED_SIGN_IN)
    day = sa.func.date(c.at)
    per_day = connection.execute(
        sa.select(c.key_id, day.label("day"), sa.func.count(sa.distinct(c.credit_code)).label("n"))
        .where(*read)
        .group_by(c.key_id, day)
    ).all()
    flags: list[dict[str, Any]] = []
    by_key: dict[str, list[tuple[str, int]]] = {}
    for key_id, on, n in per_day:
        by_key.setdefault(key_id, []).append((str(on), int(n)))
    for key_id, days in sorted(by_key.items()):
        for on, n in days:
            others = sorted(m for d, m in days if d != on)
            usual = others[len(others) // 2] if others else 0
            if others and n >= UNUSUAL_DAY_MIN and n >= USUAL_DAY_FACTOR * max(usual, 1):
                flags.append(
                    {
                        "kind": "busy_day",
                        "key_id": key_id,
                        "client": None,
                        "day": on,
                        "count": n,
                        "usual": usual,
                    }
                )
    hour, weekday = sa.extract("hour", c.at), sa.extract("dow", c.at)  # dow: 0 = Sunday
    off_hours = sa.or_(hour < WORKING_HOURS[0], hour >= WORKING_HOURS[1], weekday.in_((0, 6)))
    for key_id, n in connection.execute(
        sa.select(c.key_id, sa.func.count()).where(*read, off_hours).group_by(c.key_id).order_by(c.key_id)
    ):
        flags.append(
            {
                "kind": "off_hours",
                "key_id": key_id,
                "client": None,
                "day": None,
                "count": int(n),
                "usual": None,
            }
        )
    for column in (c.client, c.key_id):  # a flood of made-up key ids still comes from one client
        for who, n in connection.execute(
            sa.select(column, sa.func.count())
            .where(*window, c.purpose == FAILED_SIGN_IN, column != UNKNOWN_KEY)
            .group_by(column)
            .having(sa.func.count() >= FAILED_SIGN_INS_FLAGGED)
            .order_by(column)
        ):
            flags.append(
                {
                    "kind": "failed_sign_ins",
                    "key_id": who if column is c.key_id else None,
                    "client": who if column is c.client else None,
                    "day": None,
                    "count": int(n),
                    "usual": None,
                }
            )
    return flags
