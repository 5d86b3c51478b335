"""One error shape everywhere: ``{"error": {"code": "conflict", "message": "..."}}``.

The engine's errors keep their messages (they name the host or job and say what to do); only
the status code is chosen here, the way the CLI chooses its exit codes.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from vacate.domain.errors import Conflict, NotFound, PlanNotReady, SetupError, VacateError

log = logging.getLogger("vacate.api")

#: Status → the ``code`` word of the error body.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    422: "invalid",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    """An answer other than success, raised anywhere below a route."""

    def __init__(
        self, status: int, message: str, *, code: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    message: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry of each error a route can answer."""
    return {s: {"model": ErrorBody, "description": CODES.get(s, "error")} for s in statuses}


def error_json(
    status: int,
    message: str,
    *,
    code: str = "",
    headers: dict[str, str] | None = None,
    request: Request | None = None,
) -> JSONResponse:
    """The error body; the request's audit note keeps the message too."""
    audit = getattr(request.state, "audit", None) if request is not None else None
    if audit is not None and not audit.detail:
        audit.detail = message
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts) or "request"


def validation_message(exc: RequestValidationError) -> str:
    """Each wrong field by name and what is wrong with it."""
    problems = []
    for err in exc.errors():
        where = _field(err.get("loc", ()))
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def install(app: FastAPI) -> None:
    """Map every error to the one shape (FastAPI's own included)."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_json(
            exc.status, exc.message, code=exc.code, headers=exc.headers, request=request
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_json(422, validation_message(exc), request=request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        message = str(exc.detail)
        if exc.status_code == 400:  # FastAPI's words for a body it could not read
            message = "body: not valid JSON"
        return error_json(exc.status_code, message, headers=headers, request=request)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return error_json(404, str(exc), request=request)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return error_json(409, str(exc), request=request)

    @app.exception_handler(PlanNotReady)
    async def _not_ready(request: Request, exc: PlanNotReady) -> JSONResponse:
        # 409 like any refusal the state explains; its own code, so that a client can tell
        # "fix the plan" (the CLI's exit 1) from "wait for the job" (exit 4).
        return error_json(409, str(exc), code="not_ready", request=request)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        return error_json(422, str(exc), request=request)

    @app.exception_handler(SetupError)
    async def _setup(request: Request, exc: SetupError) -> JSONResponse:
        log.error("unavailable: %s", exc)
        return error_json(503, str(exc), request=request)

    @app.exception_handler(VacateError)
    async def _vacate(request: Request, exc: VacateError) -> JSONResponse:
        return error_json(409, str(exc), request=request)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error: %s", type(exc).__name__)
        return error_json(500, "internal error; the server log has the details")
