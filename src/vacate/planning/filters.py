"""Host filters: may this host receive this instance? Always yes or no *with a reason*.

Shaped like Nova's ``nova/scheduler/filters`` (``host_passes(host_state, spec)``) and the k8s
drain filters (a verdict with a message that tells the fix). Each filter is a plain function of
a ``HostState`` and a ``RequestSpec``; ``FILTERS`` is the registry by Nova-style name and
``get_filters`` fails at start-up on an unknown name. Filters read nothing but their arguments:
no global configuration, so a test is one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import (
    GroupId,
    GroupPolicy,
    HostName,
    Instance,
    InstanceId,
    ServerGroup,
)
from vacate.planning.hoststate import HostState


@dataclass(frozen=True)
class FilterResult:
    """One filter's answer for one host; ``reason`` is a sentence a person can act on."""

    passed: bool
    filter: str
    reason: str

    @property
    def detail(self) -> str:
        """The reason without its ``"Filter: "`` prefix."""
        prefix = f"{self.filter}: "
        return self.reason[len(prefix) :] if self.reason.startswith(prefix) else self.reason


def _empty_groups() -> Mapping[GroupId, ServerGroup]:
    return MappingProxyType({})


def _empty_group_hosts() -> Mapping[GroupId, frozenset[HostName]]:
    return MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class RequestSpec:
    """What one placement asks for.

    ``source`` is the host being drained (never a destination). ``group_hosts`` maps each of the
    instance's groups to the hosts where its *other* members are or are planned to be, excluding
    the source host (members there are leaving too).

    ``target_requested``: the operator asked for ``target`` (``--target``). False when the target
    is only the destination already chosen (the plan's, re-checked before the move, or the one
    a cloud is asked to move to): then the hosts ``TargetHostFilter`` set aside are no reason
    for anything, and a failure names only the filters that rejected the target itself.
    """

    instance: Instance
    groups: Mapping[GroupId, ServerGroup] = field(default_factory=_empty_groups)
    source: HostName | None = None
    az: str | None = None
    target: HostName | None = None
    group_hosts: Mapping[GroupId, frozenset[HostName]] = field(default_factory=_empty_group_hosts)
    target_requested: bool = True

    def groups_with(self, policy: GroupPolicy) -> list[ServerGroup]:
        """The instance's known groups with ``policy``, in the instance's order."""
        found = (self.groups.get(g) for g in self.instance.server_groups)
        return [g for g in found if g is not None and g.policy is policy]


Filter = Callable[[HostState, RequestSpec], FilterResult]


def group_hosts(
    instance: Instance,
    instances: Iterable[Instance],
    *,
    source: HostName | None = None,
    inflight: Mapping[InstanceId, HostName] | None = None,
) -> dict[GroupId, frozenset[HostName]]:
    """``RequestSpec.group_hosts`` from the cloud's instances: where the other members of each
    of ``instance``'s groups are, or are going (``inflight``), never counting ``source``."""
    if not instance.server_groups:
        return {}  # no group: nothing to look for among the other instances
    moving = inflight or {}
    result: dict[GroupId, set[HostName]] = {g: set() for g in instance.server_groups}
    for other in instances:
        if other.id == instance.id or other.is_gone:
            continue
        for gid in instance.server_groups:
            where = moving.get(other.id, other.host)
            if gid in other.server_groups and where is not None and where != source:
                result[gid].add(where)
    return {g: frozenset(h) for g, h in result.items()}


def num(value: float) -> str:
    """``4096`` for whole numbers, ``1.5`` otherwise: amounts in reasons read naturally."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _hosts(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def source_host_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "SourceHostFilter"
    if spec.source is not None and host.name == spec.source:
        return FilterResult(False, name, f"{name}: {host.name} is the host being drained")
    return FilterResult(True, name, f"{name}: {host.name} is not the host being drained")


def target_host_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "TargetHostFilter"
    if spec.target is None:
        return FilterResult(True, name, f"{name}: no target host requested")
    if host.name != spec.target:
        return FilterResult(
            False, name, f"{name}: {host.name} is not the requested target {spec.target}"
        )
    return FilterResult(True, name, f"{name}: {host.name} is the requested target")


def compute_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "ComputeFilter"
    if not host.host.is_enabled:
        why = host.host.disabled_reason or "no reason given"
        return FilterResult(
            False,
            name,
            f"{name}: compute service on {host.name} is disabled ({why}); "
            "enable it to use this host",
        )
    return FilterResult(True, name, f"{name}: compute service on {host.name} is enabled")


def service_up_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "ServiceUpFilter"
    if host.host.forced_down:
        return FilterResult(
            False,
            name,
            f"{name}: compute service on {host.name} is forced down; "
            "unset forced_down once the host is healthy",
        )
    if not host.host.is_up:
        return FilterResult(
            False,
            name,
            f"{name}: compute service on {host.name} is down; check nova-compute on that host",
        )
    return FilterResult(True, name, f"{name}: compute service on {host.name} is up")


def maintenance_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "MaintenanceFilter"
    if host.maintenance is not MaintenanceState.OPERATIONAL:
        return FilterResult(
            False,
            name,
            f"{name}: {host.name} is in maintenance state '{host.maintenance.value}'; "
            "only operational hosts receive instances",
        )
    return FilterResult(True, name, f"{name}: {host.name} is operational")


def availability_zone_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "AvailabilityZoneFilter"
    if spec.az is None:
        return FilterResult(True, name, f"{name}: no availability zone requested")
    if host.host.az != spec.az:
        return FilterResult(
            False,
            name,
            f"{name}: {host.name} is in zone '{host.host.az}', the instance needs '{spec.az}'",
        )
    return FilterResult(True, name, f"{name}: {host.name} is in zone '{spec.az}'")


def vcpu_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "VcpuFilter"
    need, free, cap = spec.instance.flavor.vcpus, host.vcpus_free, host.vcpus_capacity
    amounts = f"{num(free)} free of {num(cap)} on {host.name}"
    if need > free:
        return FilterResult(False, name, f"{name}: needs {need} vCPUs, {amounts}")
    return FilterResult(True, name, f"{name}: {need} vCPUs fit, {amounts}")


def ram_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "RamFilter"
    need, free, cap = spec.instance.flavor.ram_mb, host.ram_mb_free, host.ram_mb_capacity
    amounts = f"{num(free)} MB free of {num(cap)} MB on {host.name}"
    if need > free:
        return FilterResult(False, name, f"{name}: needs {need} MB, {amounts}")
    return FilterResult(True, name, f"{name}: {need} MB fit, {amounts}")


def disk_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    name = "DiskFilter"
    need, free, cap = spec.instance.flavor.disk_gb, host.disk_gb_free, host.disk_gb_capacity
    amounts = f"{num(free)} GB free of {num(cap)} GB on {host.name}"
    if need > free:
        return FilterResult(False, name, f"{name}: needs {need} GB disk, {amounts}")
    return FilterResult(True, name, f"{name}: {need} GB disk fit, {amounts}")


def affinity_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    """Hard affinity: once some member has a host, every other member must go there."""
    name = "AffinityFilter"
    for group in spec.groups_with(GroupPolicy.AFFINITY):
        where = spec.group_hosts.get(group.id, frozenset())
        if where and host.name not in where:
            return FilterResult(
                False,
                name,
                f"{name}: group '{group.name}' (affinity) has its members on {_hosts(where)}; "
                f"placing it on {host.name} would split the group",
            )
    return FilterResult(True, name, f"{name}: no affinity group keeps it off {host.name}")


def anti_affinity_filter(host: HostState, spec: RequestSpec) -> FilterResult:
    """Hard anti-affinity: no two members of the group on one host."""
    name = "AntiAffinityFilter"
    for group in spec.groups_with(GroupPolicy.ANTI_AFFINITY):
        if host.name in spec.group_hosts.get(group.id, frozenset()):
            return FilterResult(
                False,
                name,
                f"{name}: group '{group.name}' (anti-affinity) already has a member on {host.name}",
            )
    return FilterResult(True, name, f"{name}: no anti-affinity group has a member on {host.name}")


FILTERS: dict[str, Filter] = {
    "SourceHostFilter": source_host_filter,
    "TargetHostFilter": target_host_filter,
    "ComputeFilter": compute_filter,
    "ServiceUpFilter": service_up_filter,
    "MaintenanceFilter": maintenance_filter,
    "AvailabilityZoneFilter": availability_zone_filter,
    "VcpuFilter": vcpu_filter,
    "RamFilter": ram_filter,
    "DiskFilter": disk_filter,
    "AffinityFilter": affinity_filter,
    "AntiAffinityFilter": anti_affinity_filter,
}

#: The order filters run in: cheap, host-wide reasons first, so that "which filter removed how
#: many" names the most basic reason a host was unusable (a disabled host is reported as
#: disabled, not as full); an explicit target is checked second so a failed targeted placement
#: reads "TargetHostFilter removed N hosts; RamFilter removed 1 host (... on the target)".
DEFAULT_FILTERS: tuple[str, ...] = tuple(FILTERS)


def get_filters(names: Iterable[str]) -> list[Filter]:
    """The filters named, in order; an unknown name raises ``ValueError`` listing known ones."""
    chosen: list[Filter] = []
    for name in names:
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}; known filters: {', '.join(FILTERS)}")
        chosen.append(FILTERS[name])
    return chosen
