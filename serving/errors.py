"""API errors: every bad request becomes a 4xx with a message a caller can act on, never a 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from data.credit_code import CreditCodeError, check_credit_code
from data.errors import InvalidInput, NotReady, ZonecreditError

log = logging.getLogger("zonecredit.serving")

# HTTP status by domain error class, most specific first (README, "Errors"): input the caller can
# fix (a bad check character, unreadable feature rows, a bad correction) is 422; a step that needs
# an earlier one (no champion trained, nothing ingested) 503; any other domain error 400.
HTTP_STATUSES: tuple[tuple[type[ZonecreditError], int], ...] = (
    (InvalidInput, 422),
    (NotReady, 503),
    (ZonecreditError, 400),
)


def http_status(error: ZonecreditError) -> int:
    """The HTTP status of a domain error: the first entry of ``HTTP_STATUSES`` it is an instance of."""
    return next(status for kind, status in HTTP_STATUSES if isinstance(error, kind))


class ApiError(Exception):
    """A request the API refuses, with its HTTP status and message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_found(credit_code: str) -> ApiError:
    # The same answer for "no such enterprise" and "not in your zones": never confirm existence.
    return ApiError(404, f"enterprise {credit_code} not found")


def valid_code(credit_code: str, where: str = "credit code") -> str:
    """Return ``credit_code`` if it passes GB 32100, else raise a 422 naming the faulty position."""
    try:
        check_credit_code(credit_code)
    except CreditCodeError as exc:
        raise ApiError(422, f"{where}: {exc}") from None
    return credit_code


def _body(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=status)


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers that map domain errors to precise 4xx answers."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        response = _body(exc.status, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(ZonecreditError)
    async def _domain(_: Request, exc: ZonecreditError) -> JSONResponse:
        return _body(http_status(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return _body(422, f"{where}: {first['msg']}" if where else str(first["msg"]), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _body(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return _body(500, "internal error; it has been logged")
