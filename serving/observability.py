"""Prometheus metrics, structured JSON logs and the request-size limit, as one pure ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) because it runs on every request: it adds a few
microseconds, where a wrapping middleware would add a task and a stream per request.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("zonecredit.serving")
access = logging.getLogger("zonecredit.access")
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload |= {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


def configure_logging(level: int = logging.INFO, access_log: bool = True) -> None:
    """Send the service's logs to stderr as JSON lines (idempotent); access lines optional."""
    for name in ("zonecredit.serving", "zonecredit.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
        logger.setLevel(level if access_log or name != "zonecredit.access" else logging.WARNING)
        logger.propagate = False


class Metrics:
    """The service's metrics, in a registry of its own (one app per registry, tests included)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "zonecredit_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "zonecredit_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )
        self.scores = Counter(
            "zonecredit_scores_served",
            "Scores returned, stored (precomputed) or computed from posted feature rows",
            ["origin"],
            registry=self.registry,
        )
        self.model_version = Gauge(
            "zonecredit_model_version", "Loaded champion version", ["model"], registry=self.registry
        )


# Paths that take department exports: their bodies may be as large as ``max_upload_bytes``.
UPLOAD_PATHS = frozenset({"/v1/batches", "/data/upload"})


class RequestMiddleware:
    """Refuses oversized bodies (413), then counts, times and logs every request by route."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, max_body_bytes: int, max_upload_bytes: int | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes or max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        limit = self.max_upload_bytes if scope["path"] in UPLOAD_PATHS else self.max_body_bytes
        length = _content_length(scope)
        if length is not None and length > limit:
            status = 413
            await _send_json(send, 413, f"request body of {length} bytes exceeds {limit}")
            self._observe(scope, status, started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            status = 413
            await _send_json(send, 413, str(exc))
        finally:
            self._observe(scope, status, started)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = route_template(scope)
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        if access.isEnabledFor(logging.INFO):
            access.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "ms": round(1000 * elapsed, 2),
                    "key_id": scope.get("state", {}).get("key_id"),
                },
            )


def route_template(scope: Scope) -> str:
    """Return the matched route as a template (``/v1/enterprises/{credit_code}``), or ``unmatched``.

    Rebuilt from the path and its parameters, so metric labels stay few whatever the prefixes of
    nested routers; parameters are whole segments, replaced from the right.
    """
    if "endpoint" not in scope:
        return "unmatched"
    segments = scope["path"].split("/")
    for name, value in (scope.get("path_params") or {}).items():
        text = str(value)
        for i in range(len(segments) - 1, -1, -1):
            if segments[i] == text:
                segments[i] = "{" + name + "}"
                break
    return "/".join(segments)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, message: str) -> None:
    body = orjson.dumps({"detail": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
