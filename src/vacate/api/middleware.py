"""Around every request: the audit entry (written before the answer leaves, so a client that
got its answer finds it in the log), the request metrics and one access-log line.

A plain ASGI middleware, not ``BaseHTTPMiddleware``: it must not buffer event streams. The
access line names the route, the status, the time and the caller — never headers or the query
string, so a token cannot end up in a log however a client sends it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vacate.api import audit
from vacate.api.services import Services

access = logging.getLogger("vacate.api.access")


class Observe:
    def __init__(self, app: ASGIApp, svc: Services) -> None:
        self.app = app
        self.svc = svc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500
        started = False

        async def answer(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                started = True
                await self._audit(scope, state, status)
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            if not started:  # no answer at all (the client left, or an error escaped)
                await self._audit(scope, state, status)
            self._count(scope, state, status, time.perf_counter() - began)

    async def _audit(self, scope: Scope, state: dict[str, Any], status: int) -> None:
        if state.get("audit") is None or state.get("audited"):
            return
        state["audited"] = True
        await anyio.to_thread.run_sync(
            lambda: audit.write(self.svc.auth, state, status=status, at=self.svc.wall())
        )

    def _count(self, scope: Scope, state: dict[str, Any], status: int, took: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.svc.metrics.requests.labels(route=template, method=method, code=str(status)).inc()
        self.svc.metrics.latency.labels(route=template).observe(took)
        note = state.get("audit")
        client = scope.get("client")
        access.info(
            "%s %s %d %.1f ms",
            method,
            template,
            status,
            took * 1000,
            extra={
                "route": template,
                "method": method,
                "status": status,
                "ms": round(took * 1000, 1),
                "actor": note.actor if note is not None else None,
                "address": client[0] if client else None,
                "job_id": state.get("job_id"),
            },
        )
