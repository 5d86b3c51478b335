"""What each host can hold, from Placement: inventories with their allocation ratios.

A compute node's resource provider has the node's uuid, which ``/os-hypervisors/detail``
(2.53+) gives next to the service's host name: one call maps every host to its provider.
Placement has no bulk inventory read, so inventories are kept for ``ttl_s`` (they change only
when an operator changes hardware or ratios): once warm, listing hosts costs a constant
number of calls whatever the number of hosts. Usage is not read here: Vacate counts it from
the instances it lists (moves in flight included), the way Nova's scheduler would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vacate.clouds.openstack.api import Api, Json

#: How long an inventory is trusted.
TTL_S = 300.0


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """Usable amounts (total less reserved) and the ratios Placement applies to them."""

    vcpus: int = 0
    ram_mb: int = 0
    disk_gb: int = 0
    cpu_allocation_ratio: float = 1.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0


def parse_inventories(data: Json) -> Inventory:
    inv = data.get("inventories", {})

    def usable(rc: str) -> int:
        entry = inv.get(rc) or {}
        return max(0, int(entry.get("total", 0)) - int(entry.get("reserved", 0)))

    def ratio(rc: str) -> float:
        return float((inv.get(rc) or {}).get("allocation_ratio", 1.0))

    return Inventory(
        vcpus=usable("VCPU"),
        ram_mb=usable("MEMORY_MB"),
        disk_gb=usable("DISK_GB"),
        cpu_allocation_ratio=ratio("VCPU"),
        ram_allocation_ratio=ratio("MEMORY_MB"),
        disk_allocation_ratio=ratio("DISK_GB"),
    )


def providers_by_host(compute: Api) -> dict[str, list[str]]:
    """Each compute host's resource providers (one per node; ironic hosts have several)."""
    found: dict[str, list[str]] = {}
    for hyp in _hypervisors(compute):
        host = (hyp.get("service") or {}).get("host")
        if host:
            found.setdefault(str(host), []).append(str(hyp["id"]))
    return found


def _hypervisors(compute: Api) -> Iterable[Json]:
    marker: str | None = None
    while True:
        query: dict[str, str | int] = {"limit": 1000}
        if marker is not None:
            query["marker"] = marker
        data = compute.get("/os-hypervisors/detail", kind="hypervisors", name="all", query=query)
        page = data.get("hypervisors", [])
        yield from page
        if not data.get("hypervisors_links") or not page:
            return
        marker = str(page[-1]["id"])


class Capacity:
    """Inventories per resource provider, cached for ``ttl_s``."""

    def __init__(
        self, placement: Api, *, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._placement = placement
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Inventory]] = {}

    def of(self, providers: Iterable[str]) -> Inventory:
        """The sum over a host's providers."""
        parts = [self._one(p) for p in providers]
        if not parts:
            return Inventory()
        return Inventory(
            vcpus=sum(p.vcpus for p in parts),
            ram_mb=sum(p.ram_mb for p in parts),
            disk_gb=sum(p.disk_gb for p in parts),
            cpu_allocation_ratio=parts[0].cpu_allocation_ratio,
            ram_allocation_ratio=parts[0].ram_allocation_ratio,
            disk_allocation_ratio=parts[0].disk_allocation_ratio,
        )

    def _one(self, provider: str) -> Inventory:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(provider)
        if hit is not None and now - hit[0] < self._ttl_s:
            return hit[1]
        data = self._placement.get(
            f"/resource_providers/{provider}/inventories", kind="resource provider", name=provider
        )
        inv = parse_inventories(data)
        with self._lock:
            self._cache[provider] = (now, inv)
        return inv
