"""Build what the server needs from the settings, the way ``vacate.bootstrap`` builds the CLI's
App: the API's context, the worker's own context (its own cloud client and store, so the
worker thread shares no connection or cache with request threads) and the auth store."""

from __future__ import annotations

from dataclasses import replace

from vacate import bootstrap
from vacate.api.metrics import ApiMetrics
from vacate.api.reads import SharedReads
from vacate.api.services import Services
from vacate.config import Settings
from vacate.engine.context import Context
from vacate.ports.auth import AuthStore
from vacate.store.auth import auth_store_for


def auth_store(app: bootstrap.App) -> AuthStore:
    return auth_store_for(app.ctx.store)


def api_services(settings: Settings | None = None, *, read_cache_s: float = 0.0) -> Services:
    app = bootstrap.build(settings)
    auth = auth_store(app)
    return Services(
        ctx=app.ctx,
        auth=auth,
        metrics=ApiMetrics(auth),
        reads=SharedReads(app.ctx.cloud, max_age_s=read_cache_s),
        alert_host_labels=app.settings.alert_host_labels,
    )


def worker_context(settings: Settings | None = None) -> Context:
    """A second context whose owner name tells the worker apart from request threads that
    run a short job themselves (``os-hosts`` status): two runners, two leases."""
    ctx = bootstrap.build(settings).ctx
    return replace(ctx, owner=f"{ctx.owner}/worker")
