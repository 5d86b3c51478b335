"""Cloud reads for the API's read routes: each request looks at the cloud once, and requests
that arrive together share the one look in flight.

Reading a cloud can be slow (the simulated cloud parses its whole state per call; a real one
answers per call over the network), and fifty clients listing hosts would otherwise queue fifty
reads. Here a request takes the hosts and instances lists once (``RequestCloud``) and answers
``get_host``/``get_instance`` from them; a request arriving while the same list is being read
waits for that read instead of starting another. An answer is never older than the read in
flight when the request came in — or, with ``max_age_s`` (``vacate serve --read-cache``), than
a read that ended that many seconds ago: a busy dashboard then costs the cloud one read per
list per period. Actions
never go through this: they use the engine's context.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, TypeVar, cast

from vacate.domain.errors import NotFound
from vacate.domain.model import Host, Instance, InstanceId
from vacate.engine.context import Context
from vacate.ports.cloud import Cloud

T = TypeVar("T")


class SharedReads:
    """Single flight: one read per list at a time, its answer for everyone waiting on it."""

    def __init__(
        self, cloud: Cloud, *, max_age_s: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._cloud = cloud
        self._max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[str, Future[Any]] = {}
        self._recent: dict[str, tuple[float, Any]] = {}

    def _shared(self, key: str, read: Callable[[], T]) -> T:
        with self._lock:
            recent = self._recent.get(key)
            if recent is not None and self._clock() - recent[0] < self._max_age_s:
                return cast(T, recent[1])
            future = self._in_flight.get(key)
            leader = future is None
            if future is None:
                future = self._in_flight[key] = Future()
        if leader:
            try:
                value = read()
                future.set_result(value)
                with self._lock:
                    self._recent[key] = (self._clock(), value)
            except BaseException as exc:
                future.set_exception(exc)
            finally:
                with self._lock:
                    del self._in_flight[key]
        return cast(T, future.result())

    def hosts(self) -> list[Host]:
        return self._shared("hosts", self._cloud.list_hosts)

    def instances(self) -> list[Instance]:
        return self._shared("instances", self._cloud.list_instances)

    def context(self, ctx: Context) -> Context:
        """``ctx`` with a cloud that reads once for this request."""
        return replace(ctx, cloud=cast(Cloud, RequestCloud(self, ctx.cloud)))


class RequestCloud:
    """The cloud as one request sees it: lists read once; anything else goes through."""

    def __init__(self, shared: SharedReads, cloud: Cloud) -> None:
        self._shared = shared
        self._cloud = cloud
        self._hosts: dict[str, Host] | None = None
        self._instances: dict[str, Instance] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cloud, name)

    def _all_hosts(self) -> dict[str, Host]:
        if self._hosts is None:
            self._hosts = {h.name: h for h in self._shared.hosts()}
        return self._hosts

    def _all_instances(self) -> dict[str, Instance]:
        if self._instances is None:
            self._instances = {i.id: i for i in self._shared.instances()}
        return self._instances

    def list_hosts(self) -> list[Host]:
        return list(self._all_hosts().values())

    def get_host(self, name: str) -> Host:
        try:
            return self._all_hosts()[name]
        except KeyError:
            raise NotFound("host", name) from None

    def list_instances(self, host: str | None = None) -> list[Instance]:
        found = list(self._all_instances().values())  # in the cloud's own order
        if host is None:
            return found
        self.get_host(host)  # an unknown host is NotFound, as the cloud itself says
        return [i for i in found if i.host == host]

    def get_instance(self, instance_id: InstanceId) -> Instance:
        try:
            return self._all_instances()[instance_id]
        except KeyError:
            raise NotFound("instance", instance_id) from None
