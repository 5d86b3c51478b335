"""Re-placement: destinations re-checked against the cloud's truth just before a move starts
(DESIGN §4.3). Pure: the engine hands in one snapshot's host states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from vacate.domain.model import GroupId, HostName, Instance, ServerGroup
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState
from vacate.planning.scheduler import Placement, select_destination


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
        target_requested=target is not None,
    )
    placement = select_destination(spec, states)
    if placement.host is None and planned is not None and target is None:
        placement = select_destination(replace(spec, target=None, target_requested=True), states)
    return placement
