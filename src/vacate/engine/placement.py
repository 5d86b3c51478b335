"""Destinations re-checked against the cloud's truth just before a move starts (DESIGN §4.3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import GroupId, Host, HostName, Instance, InstanceId, ServerGroup
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState, build_host_states
from vacate.planning.scheduler import Placement, select_destination


def host_states_with_inflight(
    hosts: Sequence[Host],
    instances: Sequence[Instance],
    maintenance: Mapping[str, MaintenanceState],
    inflight: Mapping[InstanceId, HostName],
) -> dict[HostName, HostState]:
    """Usage per host, counting each in-flight move on its destination too (as placement does)."""
    states = build_host_states(hosts, instances, maintenance)
    by_id = {i.id: i for i in instances}
    for instance_id, dest in inflight.items():
        inst = by_id.get(instance_id)
        if inst is not None and dest in states and inst.host != dest:
            states[dest] = states[dest].with_instance(inst)
    return states


def group_hosts(
    inst: Instance,
    instances: Iterable[Instance],
    inflight: Mapping[InstanceId, HostName],
    source: HostName,
) -> dict[GroupId, frozenset[HostName]]:
    """Where the other members of each of ``inst``'s groups are, or are going (never ``source``)."""
    result: dict[GroupId, set[HostName]] = {g: set() for g in inst.server_groups}
    for other in instances:
        if other.id == inst.id or other.is_gone:
            continue
        for gid in inst.server_groups:
            if gid not in other.server_groups:
                continue
            where = inflight.get(other.id, other.host)
            if where is not None and where != source:
                result[gid].add(where)
    return {g: frozenset(h) for g, h in result.items()}


def choose(
    inst: Instance,
    *,
    source: HostName,
    planned: HostName | None,
    target: HostName | None,
    states: Mapping[HostName, HostState],
    groups: Mapping[GroupId, ServerGroup],
    hosts_of_groups: Mapping[GroupId, frozenset[HostName]],
) -> Placement:
    """The planned destination if it still fits, else the scheduler's best (unless pinned)."""
    spec = RequestSpec(
        instance=inst,
        groups=groups,
        source=source,
        az=None,
        target=target or planned,
        group_hosts=hosts_of_groups,
    )
    placement = select_destination(spec, states)
    if placement.host is None and planned is not None and target is None:
        placement = select_destination(replace(spec, target=None), states)
    return placement
