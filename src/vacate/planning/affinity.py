"""Server-group helpers of the drain plan: where a group's members are, and a hard-affinity
group placed as a unit (its first member picks a host with room for all of them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from vacate.domain.model import Flavor, GroupId, GroupPolicy, HostName, Instance, ServerGroup
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState
from vacate.planning.placer import Placer
from vacate.planning.scheduler import Placement


def hard_groups(instance: Instance, groups: Mapping[GroupId, ServerGroup]) -> list[ServerGroup]:
    found = (groups.get(g) for g in instance.server_groups)
    return [g for g in found if g is not None and g.is_hard]


def group_hosts_of(
    instance: Instance, working: Mapping[HostName, HostState], source: HostName
) -> dict[GroupId, frozenset[HostName]]:
    """Where the other members of each of the instance's groups are or will be."""
    excluded = {source, instance.host}
    return {
        group: frozenset(
            name
            for name, state in working.items()
            if name not in excluded and state.members(group) > 0
        )
        for group in instance.server_groups
    }


def _as_unit(instance: Instance, members: Sequence[Instance]) -> Instance:
    """``instance`` with a flavor big enough for all ``members``: to choose a host for all."""
    flavor = Flavor(
        name=f"{len(members)} members of {instance.name}'s affinity group",
        vcpus=sum(m.flavor.vcpus for m in members),
        ram_mb=sum(m.flavor.ram_mb for m in members),
        disk_gb=sum(m.flavor.disk_gb for m in members),
    )
    return replace(instance, flavor=flavor)


def place_with_affinity_unit(
    spec: RequestSpec,
    movers: Sequence[Instance],
    placer: Placer,
    placements: Mapping[str, Placement],
) -> Placement:
    """Place ``spec.instance``; the first member of an unpinned affinity group picks a host
    with room for every member still to be placed, if there is one."""
    instance = spec.instance
    for group in hard_groups(instance, spec.groups):
        if group.policy is not GroupPolicy.AFFINITY or spec.group_hosts.get(group.id):
            continue
        members = [m for m in movers if group.id in m.server_groups and m.id not in placements]
        if len(members) > 1:
            unit = placer.select(replace(spec, instance=_as_unit(instance, members)))
            if unit.host is not None:
                # The host has room for the whole group, so it has room for this member.
                _, _, detail = unit.reason.partition(": ")
                reason = (
                    f"{unit.host}: room for all {len(members)} members of affinity group "
                    f"'{group.name}', {detail}"
                )
                return Placement(unit.host, reason, unit.rejections)
    return placer.select(spec)
