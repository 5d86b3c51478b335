"""The application factory: routers, the one error shape, the middleware, local docs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI

from vacate import __version__, web
from vacate.api import errors, oshosts
from vacate.api.middleware import Observe
from vacate.api.policy import undeclared
from vacate.api.routes import alerts, audit, docs, hostdown, hosts, instances, jobs, ops
from vacate.api.services import Services

DESCRIPTION = """\
Host maintenance for compute clouds: put a host into maintenance, drain it, follow the drain
live, bring it back — the service layer of the `vacate` CLI over HTTP.

Authenticate with `Authorization: Bearer <token>` (or `X-Auth-Token`); tokens come from
`vacate token create`. A `reader` token reads; only an `admin` token acts. Every error answers
`{"error": {"code": ..., "message": ...}}`.
"""


#: Requests answered at once (FastAPI runs plain routes in a thread pool): beyond the store's
#: connection pool they would only queue for a connection while holding a thread.
REQUEST_THREADS = 12


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    yield


def create_app(svc: Services) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="Vacate",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served by routes.docs, from local files, with a declared policy
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = svc
    for router in (
        hosts.router,
        instances.router,
        jobs.router,
        audit.router,
        oshosts.router,
        hostdown.router,
        alerts.router,
        ops.router,
        docs.router,
    ):
        app.include_router(router)
    web.install(app)  # the dashboard: pages at /, its session for the stream and reads
    errors.install(app)
    web.install_errors(app)  # the dashboard's pages answer errors as pages
    app.add_middleware(Observe, svc=svc)
    missing = undeclared(app)
    if missing:  # a route nobody decided the access of must not be served
        raise RuntimeError(f"routes without a declared policy: {', '.join(missing)}")
    return app
