"""What each host can hold and what the cloud says is used on it: Placement, else hypervisors.

A compute node's resource provider has the node's uuid, which ``/os-hypervisors/detail``
(2.53+) gives next to the service's host name: one call maps every host to its provider.
Inventories (total, reserved, allocation ratios) are kept for ``ttl_s``: they change only when
an operator changes hardware or ratios. Usage changes with every move, so it is read on every
listing, in one call for all hosts: ``GET /allocation_candidates`` for one vCPU and one MB (the
query Nova's scheduler makes) has a summary of every provider with room — its capacity and
what is allocated on it (1.27+: every resource class). A provider missing from the summaries
has no room at all.

When Placement cannot be reached, the hypervisors' own figures (2.87 and older:
``vcpus``/``memory_mb``/``local_gb`` and their ``*_used``, which include the host's reserved
memory) stand in, with Nova's default allocation ratios (4.0 CPU, 1.0 RAM and disk); Placement
is tried again after ``RETRY_PLACEMENT_S``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vacate.clouds.openstack.api import Api, Json
from vacate.domain.errors import NotFound, PermanentError, TemporaryError

#: How long an inventory is trusted.
TTL_S = 300.0
#: After Placement failed, how long hypervisor data is used before Placement is tried again.
RETRY_PLACEMENT_S = 60.0
#: Placement's allocation candidates with every resource class in the provider summaries.
CANDIDATES_MICROVERSION = "1.27"
#: The last compute microversion whose hypervisors report sizes and usage (2.88 dropped them).
HYPERVISOR_SIZES = (2, 87)
#: Nova's defaults (``initial_*_allocation_ratio``), assumed when Placement cannot say.
DEFAULT_RATIOS = (4.0, 1.0, 1.0)


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """Usable amounts (total less reserved) and the ratios Placement applies to them."""

    vcpus: int = 0
    ram_mb: int = 0
    disk_gb: int = 0
    cpu_allocation_ratio: float = 1.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Amounts:
    """Allocated amounts (vCPUs, MB, GB), as flavors count them."""

    vcpus: float = 0.0
    ram_mb: float = 0.0
    disk_gb: float = 0.0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            vcpus=self.vcpus + other.vcpus,
            ram_mb=self.ram_mb + other.ram_mb,
            disk_gb=self.disk_gb + other.disk_gb,
        )


@dataclass(frozen=True, kw_only=True)
class HostCapacity:
    """A host's inventory and what its cloud says is allocated there; ``source`` says whence."""

    inventory: Inventory
    used: Amounts
    source: str


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


def full(inv: Inventory) -> Amounts:
    return Amounts(
        vcpus=inv.vcpus * inv.cpu_allocation_ratio,
        ram_mb=inv.ram_mb * inv.ram_allocation_ratio,
        disk_gb=inv.disk_gb * inv.disk_allocation_ratio,
    )


def from_hypervisor(hyp: Json) -> HostCapacity:
    """A hypervisor's own figures (2.87 and older). Its ``memory_mb_used`` starts at the host's
    reserved memory, so reserved memory shows as used, not as a smaller total."""
    cpu, ram, disk = DEFAULT_RATIOS
    return HostCapacity(
        inventory=Inventory(
            vcpus=int(hyp.get("vcpus") or 0),
            ram_mb=int(hyp.get("memory_mb") or 0),
            disk_gb=int(hyp.get("local_gb") or 0),
            cpu_allocation_ratio=cpu,
            ram_allocation_ratio=ram,
            disk_allocation_ratio=disk,
        ),
        used=Amounts(
            vcpus=float(hyp.get("vcpus_used") or 0),
            ram_mb=float(hyp.get("memory_mb_used") or 0),
            disk_gb=float(hyp.get("local_gb_used") or 0),
        ),
        source="hypervisor",
    )


def hypervisors(compute: Api, microversion: str | None = None) -> list[Json]:
    found: list[Json] = []
    marker: str | None = None
    while True:
        query: dict[str, str | int] = {"limit": 1000}
        if marker is not None:
            query["marker"] = marker
        data = compute.request(
            "GET",
            "/os-hypervisors/detail",
            kind="hypervisors",
            name="all",
            query=query,
            microversion=microversion,
        )
        page = data.get("hypervisors", [])
        found.extend(page)
        if not data.get("hypervisors_links") or not page:
            return found
        marker = str(page[-1]["id"])


def host_of(hyp: Json) -> str | None:
    host = (hyp.get("service") or {}).get("host")
    return str(host) if host else None


def providers_by_host(hyps: Iterable[Json]) -> dict[str, list[str]]:
    """Each compute host's resource providers (one per node; ironic hosts have several)."""
    found: dict[str, list[str]] = {}
    for hyp in hyps:
        host = host_of(hyp)
        if host:
            found.setdefault(host, []).append(str(hyp["id"]))
    return found


def sizes_microversion(compute: Api) -> str:
    major, minor = (int(p) for p in compute.microversion.split("."))
    return compute.microversion if (major, minor) <= HYPERVISOR_SIZES else "2.87"


class Capacity:
    """Inventories per resource provider (cached for ``ttl_s``) and usage per host."""

    def __init__(
        self,
        placement: Api,
        compute: Api,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._placement = placement
        self._compute = compute
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Inventory]] = {}
        self._placement_failed_at: float | None = None

    def of_hosts(self, providers: dict[str, list[str]]) -> dict[str, HostCapacity]:
        """Every host's capacity: from Placement, or (unreachable) from the hypervisors."""
        failed = self._placement_failed_at
        if failed is None or self._clock() - failed > RETRY_PLACEMENT_S:
            try:
                return self._from_placement(providers)
            except (TemporaryError, PermanentError, NotFound):
                self._placement_failed_at = self._clock()
        return self._from_hypervisors()

    def _from_placement(self, providers: dict[str, list[str]]) -> dict[str, HostCapacity]:
        summaries = self._summaries()
        self._placement_failed_at = None
        found = {}
        for host, rps in providers.items():
            parts = [self._one(p) for p in rps]
            used = Amounts()
            for rp, inv in zip(rps, parts, strict=True):
                used = used + (_used(summaries[rp]) if rp in summaries else full(inv))
            found[host] = HostCapacity(inventory=_sum(parts), used=used, source="placement")
        return found

    def _from_hypervisors(self) -> dict[str, HostCapacity]:
        found: dict[str, HostCapacity] = {}
        for hyp in hypervisors(self._compute, sizes_microversion(self._compute)):
            host = host_of(hyp)
            if host is None:
                continue
            one = from_hypervisor(hyp)
            if host in found:  # several nodes: add them up
                one = HostCapacity(
                    inventory=_sum([found[host].inventory, one.inventory]),
                    used=found[host].used + one.used,
                    source=one.source,
                )
            found[host] = one
        return found

    def _summaries(self) -> dict[str, Json]:
        data = self._placement.request(
            "GET",
            "/allocation_candidates",
            kind="allocation candidates",
            name="all",
            query={"resources": "VCPU:1,MEMORY_MB:1"},
            microversion=CANDIDATES_MICROVERSION,
        )
        return dict(data.get("provider_summaries") or {})

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


def _used(summary: Json) -> Amounts:
    resources = summary.get("resources") or {}

    def used(rc: str) -> float:
        return float((resources.get(rc) or {}).get("used", 0))

    return Amounts(vcpus=used("VCPU"), ram_mb=used("MEMORY_MB"), disk_gb=used("DISK_GB"))


def _sum(parts: list[Inventory]) -> Inventory:
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
