"""A described cloud must be one a real cloud could be in: checked after it is built, before it
is kept (``sim init --from-yaml``). A guest larger than its host, a working set larger than the
guest's memory, or two members of an anti-affinity group on one host would make every figure
that follows (usage, plans, migration times) describe a cloud that cannot exist."""

from __future__ import annotations

from collections import defaultdict

from vacate.clouds.sim.model import SimState
from vacate.clouds.sim.schema import CloudSpecError
from vacate.domain.model import MIB, GroupId, GroupPolicy, HostName
from vacate.planning.hoststate import build_host_states

#: Per resource: how it reads, and the host state's free amount, capacity and ratio.
_RESOURCES = (
    ("{:.0f} vCPUs", "vcpus_free", "vcpus_capacity", "cpu_allocation_ratio"),
    ("{:.0f} MB of RAM", "ram_mb_free", "ram_mb_capacity", "ram_allocation_ratio"),
    ("{:.0f} GB of disk", "disk_gb_free", "disk_gb_capacity", "disk_allocation_ratio"),
)


def check_consistent(state: SimState, *, source: str) -> None:
    """``CloudSpecError`` naming the first host, instance or group that cannot be."""
    for inst in state.instances.values():
        work, ram = inst.workload, inst.flavor.ram_mb * MIB
        if work is None:
            continue
        for what, value in (("touched_mb", work.touched_bytes), ("wss_mb", work.wss_bytes)):
            if value > ram:
                raise CloudSpecError(
                    f"{source}: instance {inst.name!r}: workload {what} {value / MIB:.0f} is "
                    f"more than its flavor {inst.flavor.name!r} has ({inst.flavor.ram_mb} MB)"
                )
    states = build_host_states(state.hosts.values(), state.instances.values(), {})
    for name in sorted(states):
        host = states[name]
        for amount, free, capacity, ratio in _RESOURCES:
            if getattr(host, free) < 0:
                total, times = getattr(host, capacity), getattr(host.host, ratio)
                scaled = f" ({times:g} × {total / times:.0f})" if times != 1 else ""
                raise CloudSpecError(
                    f"{source}: host {name!r}: its instances need "
                    f"{amount.format(total - getattr(host, free))}, it has "
                    f"{amount.format(total)}{scaled}"
                )
    members: dict[GroupId, list[HostName]] = defaultdict(list)
    for inst in state.instances.values():
        if inst.host is not None and not inst.is_gone:
            for gid in inst.server_groups:
                members[gid].append(inst.host)
    for gid, hosts in sorted(members.items()):
        group = state.groups.get(gid)
        if group is None:
            continue
        split = group.policy is GroupPolicy.AFFINITY and len(set(hosts)) > 1
        shared = group.policy is GroupPolicy.ANTI_AFFINITY and len(hosts) > len(set(hosts))
        if split or shared:
            rule = "on one host" if split else "each on a host of its own"
            raise CloudSpecError(
                f"{source}: group {group.name!r} ({group.policy.value}) must keep its members "
                f"{rule}; they are on {', '.join(sorted(hosts))}"
            )
