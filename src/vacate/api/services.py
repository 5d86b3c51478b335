"""What every route needs, built once per server (``vacate.api.wiring``) and found on the
application's state: the engine context, the auth store, the metrics, the stop signal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from vacate.api.metrics import ApiMetrics
from vacate.api.reads import SharedReads
from vacate.engine.context import Context
from vacate.ports.auth import AuthStore


@dataclass(kw_only=True)
class Services:
    ctx: Context
    auth: AuthStore
    metrics: ApiMetrics
    #: Cloud reads shared by concurrent read requests (``read_ctx``).
    reads: SharedReads
    #: Audit times, token expiry: wall time, whatever clock the cloud runs on.
    wall: Callable[[], float] = time.time
    #: Set when the server is stopping: event streams end instead of holding it up.
    stopping: threading.Event = field(default_factory=threading.Event)
    #: Alertmanager labels that name a failed host (``vacate.api.routes.alerts``).
    alert_host_labels: tuple[str, ...] = ("host", "instance", "nodename")

    def read_ctx(self) -> Context:
        """The context for a read route: the cloud looked at once per request."""
        return self.reads.context(self.ctx)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found
