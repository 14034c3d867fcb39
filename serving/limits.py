"""Lockout after repeated refused keys: per key id and per client, with the wait in ``Retry-After``.

A key is 32 random bytes, so guessing one is hopeless; the lockout is there so that a flood of wrong
keys (or sign-in attempts) is slowed to a trickle, costs no database reads once locked out, and is
visible. Counts live in the process: each worker counts its own, so a deployment with N workers
allows up to N times the settings' counts in a window (README "Security").
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_TRACKED = 100_000  # clients and key ids remembered at once, against memory floods


class FailureLimiter:
    """Counts refused keys per client and per key id in a sliding window."""

    def __init__(self, per_key: int, per_client: int, window_seconds: float) -> None:
        self.allowed = {"key": per_key, "client": per_client}
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, now: float) -> deque[float] | None:
        times = self._failures.get(name)
        if times is None:
            return None
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        return times

    def retry_after(self, client: str, key_id: str | None) -> int | None:
        """Return the seconds until ``client`` or ``key_id`` may try again, None if not locked out."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for name in _names(client, key_id):
                times = self._recent(name, now)
                if times is not None and len(times) >= self.allowed[name.split(":", 1)[0]]:
                    wait = max(wait, times[0] + self.window_seconds - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, client: str, key_id: str | None) -> None:
        """Count one refused key for ``client`` and for ``key_id``."""
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > MAX_TRACKED:
                self._failures.clear()
            for name in _names(client, key_id):
                times = self._failures.setdefault(name, deque(maxlen=self.allowed[name.split(":", 1)[0]]))
                times.append(now)


def _names(client: str, key_id: str | None) -> list[str]:
    return [f"client:{client}"] + ([f"key:{key_id}"] if key_id else [])
