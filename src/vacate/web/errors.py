"""Errors on the dashboard's pages as pages: a person who follows a stale link to a host or a
job that is not there reads a page saying so, not the API's JSON error document."""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from fastapi.responses import Response

from vacate.domain.errors import NotFound
from vacate.web.access import session_caller, wants_html
from vacate.web.render import page

#: Paths of the API and its documents: their errors stay JSON whatever the client accepts.
API_PREFIXES = ("/v1/", "/v2.1/", "/openapi", "/docs", "/metrics", "/healthz", "/static/")


def _is_page(request: Request) -> bool:
    return wants_html(request) and not request.url.path.startswith(API_PREFIXES)


def install(app: FastAPI) -> None:
    """Call after the API's handlers (``vacate.api.errors``): it wraps theirs."""
    api_not_found = app.exception_handlers[NotFound]

    async def not_found(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            answer = api_not_found(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        address = request.client.host if request.client else "?"
        caller = session_caller(request, address)
        return page(
            request, "error.html", caller, status=404, heading="Not found", message=str(exc)
        )

    app.add_exception_handler(NotFound, not_found)
