"""The audit log (SPEC §7): who read which enterprise's data, when, and why.

Entries are queued by the request and written in bulk by a background thread every
``audit_flush_seconds``: one INSERT per request would make every score read wait for a commit.
``flush`` drains the queue (on shutdown, and in tests).
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from serving.keys import Principal
from serving.store import audit_log

log = logging.getLogger("zonecredit.serving")


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
    ) -> None:
        """Queue one entry; never blocks on the database."""
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
