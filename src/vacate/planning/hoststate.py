"""What a host has free, as the planner sees it while it places instances one by one.

A ``HostState`` is a frozen value: reserving room for an instance returns a new state. The
preflight keeps a working copy of all host states and replaces one entry per placement, so two
instances of the same plan can never count on the same free memory, and server-group members
that are only *planned* for a host already count there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import GroupId, Host, HostName, Instance, InstanceId, VmState

#: Instances in these states hold no resources on a host (Nova frees them).
NOT_ON_HOST: frozenset[VmState] = frozenset(
    {VmState.DELETED, VmState.SOFT_DELETED, VmState.SHELVED_OFFLOADED}
)


def holds_resources(instance: Instance) -> bool:
    """Whether ``instance`` counts against its host's capacity."""
    return instance.host is not None and instance.vm_state not in NOT_ON_HOST


@dataclass(frozen=True, kw_only=True)
class HostState:
    """A host, its maintenance state and what is used on it (vCPUs, MB, GB, members)."""

    host: Host
    maintenance: MaintenanceState = MaintenanceState.OPERATIONAL
    vcpus_used: int = 0
    ram_mb_used: int = 0
    disk_gb_used: int = 0
    instance_count: int = 0
    group_members: Mapping[GroupId, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> HostName:
        return self.host.name

    @property
    def vcpus_capacity(self) -> float:
        return self.host.vcpus * self.host.cpu_allocation_ratio

    @property
    def ram_mb_capacity(self) -> float:
        return self.host.ram_mb * self.host.ram_allocation_ratio

    @property
    def disk_gb_capacity(self) -> float:
        return self.host.disk_gb * self.host.disk_allocation_ratio

    @property
    def vcpus_free(self) -> float:
        return self.vcpus_capacity - self.vcpus_used

    @property
    def ram_mb_free(self) -> float:
        return self.ram_mb_capacity - self.ram_mb_used

    @property
    def disk_gb_free(self) -> float:
        return self.disk_gb_capacity - self.disk_gb_used

    def members(self, group: GroupId) -> int:
        """How many members of ``group`` are (or are planned to be) on this host."""
        return self.group_members.get(group, 0)

    def with_instance(self, instance: Instance) -> HostState:
        """This host with room reserved for ``instance`` (and its group memberships)."""
        return self._add(instance, 1)

    def without_instance(self, instance: Instance) -> HostState:
        """This host with ``instance``'s resources (and group memberships) released."""
        return self._add(instance, -1)

    def _add(self, instance: Instance, sign: int) -> HostState:
        flavor = instance.flavor
        members = dict(self.group_members)
        for group in instance.server_groups:
            count = members.get(group, 0) + sign
            if count > 0:
                members[group] = count
            else:
                members.pop(group, None)
        return replace(
            self,
            vcpus_used=max(0, self.vcpus_used + sign * flavor.vcpus),
            ram_mb_used=max(0, self.ram_mb_used + sign * flavor.ram_mb),
            disk_gb_used=max(0, self.disk_gb_used + sign * flavor.disk_gb),
            instance_count=max(0, self.instance_count + sign),
            group_members=MappingProxyType(members),
        )


_NONE: Mapping[GroupId, int] = MappingProxyType({})


def build_host_states(
    hosts: Iterable[Host],
    instances: Iterable[Instance],
    maintenance: Mapping[str, MaintenanceState],
    *,
    inflight: Mapping[InstanceId, HostName] | None = None,
) -> dict[HostName, HostState]:
    """One state per host, with usage summed over the instances that hold resources there.

    A host missing from ``maintenance`` is ``operational``; instances on unknown hosts are
    ignored (they cannot affect a placement on a host we know). A move in flight (``inflight``:
    instance → destination) holds room on its destination too, as placement does in a cloud.
    """
    hosts_list = list(hosts)
    instances = list(instances)
    # Summed in plain counters, then one state per host: the same as adding the instances one
    # by one with ``with_instance``, without a new state per instance (clouds are large).
    usage: dict[HostName, list[int]] = {host.name: [0, 0, 0, 0] for host in hosts_list}
    members: dict[HostName, dict[GroupId, int]] = {}
    for instance in instances:
        if not holds_resources(instance) or instance.host not in usage:
            continue
        assert instance.host is not None  # holds_resources checked it; for mypy
        used, flavor = usage[instance.host], instance.flavor
        used[0] += flavor.vcpus
        used[1] += flavor.ram_mb
        used[2] += flavor.disk_gb
        used[3] += 1
        if instance.server_groups:
            counts = members.setdefault(instance.host, {})
            for group in instance.server_groups:
                counts[group] = counts.get(group, 0) + 1
    states = {
        host.name: HostState(
            host=host,
            maintenance=maintenance.get(host.name, MaintenanceState.OPERATIONAL),
            vcpus_used=max(0, usage[host.name][0]),
            ram_mb_used=max(0, usage[host.name][1]),
            disk_gb_used=max(0, usage[host.name][2]),
            instance_count=usage[host.name][3],
            group_members=MappingProxyType(members[host.name]) if host.name in members else _NONE,
        )
        for host in hosts_list
    }
    by_id = {i.id: i for i in instances}
    for instance_id, dest in (inflight or {}).items():
        moving = by_id.get(instance_id)
        if moving is not None and dest in states and moving.host != dest:
            states[dest] = states[dest].with_instance(moving)
    return dict(sorted(states.items()))
