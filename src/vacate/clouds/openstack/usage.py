"""Room the instances do not explain: what the cloud has allocated on a host beyond the flavors
of the servers on it (a move's other half, an orphaned allocation, another consumer, the host's
reserved memory in hypervisor figures) is taken off the host's usable amounts, so Vacate's plan,
which counts the instances itself, sees the room Nova's scheduler sees — no more, and without
counting any server twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from vacate.clouds.openstack.api import Json
from vacate.clouds.openstack.capacity import Amounts, HostCapacity, Inventory

#: Servers in these states hold nothing on a host.
_HOLD_NOTHING = frozenset({"shelved_offloaded", "deleted", "soft-delete"})


def flavor_amounts(server: Json) -> Amounts:
    """What a server's flavor allocates (swap counts as disk, in whole GB, as Nova does)."""
    flavor = server.get("flavor") or {}
    swap = int(flavor.get("swap") or 0)
    return Amounts(
        vcpus=float(flavor.get("vcpus", 0)),
        ram_mb=float(flavor.get("ram", 0)),
        disk_gb=float(
            int(flavor.get("disk", 0)) + int(flavor.get("ephemeral", 0)) + math.ceil(swap / 1024)
        ),
    )


def servers_used(servers: Iterable[Json]) -> dict[str, Amounts]:
    """Per host, what the servers on it allocate."""
    found: dict[str, Amounts] = {}
    for server in servers:
        host = server.get("OS-EXT-SRV-ATTR:host")
        if not host or server.get("OS-EXT-STS:vm_state") in _HOLD_NOTHING:
            continue
        found[str(host)] = found.get(str(host), Amounts()) + flavor_amounts(server)
    return found


def _less(usable: int, ratio: float, foreign: float) -> int:
    """``usable`` less ``foreign`` allocated units (rounded down: never more room than real)."""
    if foreign <= 0 or ratio <= 0:
        return usable
    return max(0, math.floor((usable * ratio - foreign) / ratio))


def usable(capacity: HostCapacity, counted: Amounts) -> Inventory:
    """The inventory with the cloud's unexplained allocations taken off."""
    inv, used = capacity.inventory, capacity.used
    return Inventory(
        vcpus=_less(inv.vcpus, inv.cpu_allocation_ratio, used.vcpus - counted.vcpus),
        ram_mb=_less(inv.ram_mb, inv.ram_allocation_ratio, used.ram_mb - counted.ram_mb),
        disk_gb=_less(inv.disk_gb, inv.disk_allocation_ratio, used.disk_gb - counted.disk_gb),
        cpu_allocation_ratio=inv.cpu_allocation_ratio,
        ram_allocation_ratio=inv.ram_allocation_ratio,
        disk_allocation_ratio=inv.disk_allocation_ratio,
    )
