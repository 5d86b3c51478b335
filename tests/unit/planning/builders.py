"""Small builders for planning tests: sensible defaults, override only what a test is about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import (
    Flavor,
    GroupId,
    GroupPolicy,
    Host,
    HostName,
    Instance,
    InstanceId,
    PowerState,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    VmState,
    Workload,
)
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState, build_host_states

SOURCE = HostName("c1")


def host(
    name: str,
    *,
    ram_mb: int = 16384,
    vcpus: int = 16,
    disk_gb: int = 500,
    az: str = "nova",
    enabled: bool = True,
    up: bool = True,
    forced_down: bool = False,
    disabled_reason: str | None = None,
    ram_ratio: float = 1.0,
    cpu_ratio: float = 1.0,
    disk_ratio: float = 1.0,
    nic: float = 0.0,
) -> Host:
    return Host(
        name=HostName(name),
        az=az,
        service_status=ServiceStatus.ENABLED if enabled else ServiceStatus.DISABLED,
        state=ServiceState.UP if up else ServiceState.DOWN,
        vcpus=vcpus,
        ram_mb=ram_mb,
        disk_gb=disk_gb,
        disabled_reason=disabled_reason,
        forced_down=forced_down,
        cpu_allocation_ratio=cpu_ratio,
        ram_allocation_ratio=ram_ratio,
        disk_allocation_ratio=disk_ratio,
        nic_bytes_per_s=nic,
    )


def vm(
    name: str,
    *,
    on: str | None = "c1",
    ram_mb: int = 2048,
    vcpus: int = 2,
    disk_gb: int = 20,
    vm_state: VmState = VmState.ACTIVE,
    power: PowerState | None = None,
    task_state: str | None = None,
    groups: Iterable[str] = (),
    locked: bool = False,
    workload: Workload | None = None,
) -> Instance:
    if power is None:
        power = {
            VmState.ACTIVE: PowerState.RUNNING,
            VmState.PAUSED: PowerState.PAUSED,
            VmState.SUSPENDED: PowerState.SUSPENDED,
        }.get(vm_state, PowerState.SHUTDOWN)
    return Instance(
        id=InstanceId(f"id-{name}"),
        name=name,
        project="demo",
        flavor=Flavor(name=f"f{ram_mb}", vcpus=vcpus, ram_mb=ram_mb, disk_gb=disk_gb),
        vm_state=vm_state,
        power_state=power,
        host=HostName(on) if on else None,
        task_state=task_state,
        server_groups=tuple(GroupId(g) for g in groups),
        locked=locked,
        workload=workload,
    )


def group(gid: str, policy: GroupPolicy, name: str | None = None) -> ServerGroup:
    return ServerGroup(id=GroupId(gid), name=name or gid, policy=policy)


def groups(*items: ServerGroup) -> dict[GroupId, ServerGroup]:
    return {g.id: g for g in items}


def state(h: Host, *instances: Instance, maintenance: str = "operational") -> HostState:
    states = build_host_states([h], instances, {h.name: MaintenanceState(maintenance)})
    return states[h.name]


def states(
    hosts: Iterable[Host],
    instances: Iterable[Instance] = (),
    maintenance: Mapping[str, str] | None = None,
) -> dict[HostName, HostState]:
    return build_host_states(
        hosts,
        instances,
        {k: MaintenanceState(v) for k, v in (maintenance or {}).items()},
    )


def spec(
    instance: Instance | None = None,
    *,
    server_groups: Iterable[ServerGroup] = (),
    source: str | None = "c1",
    az: str | None = None,
    target: str | None = None,
    group_hosts: Mapping[str, Iterable[str]] | None = None,
) -> RequestSpec:
    return RequestSpec(
        instance=instance or vm("vm-1"),
        groups=groups(*server_groups),
        source=HostName(source) if source else None,
        az=az,
        target=HostName(target) if target else None,
        group_hosts={
            GroupId(g): frozenset(HostName(h) for h in hs) for g, hs in (group_hosts or {}).items()
        },
    )
