"""Where the simulated cloud's own scheduler puts an instance (a move, a boot).

It answers as ``select_destination`` over every host would, reading only what the answer
needs: a move to a named destination that fits looks at that host alone (its instances, and
the moves in flight into it); the members of the instance's server groups are found only for
an instance that has groups.
"""

from __future__ import annotations

from vacate.clouds.sim.model import SimState, instance_table
from vacate.domain.errors import Conflict
from vacate.domain.model import MIB, Flavor, HostName, Instance, InstanceId, Workload
from vacate.planning.filters import RequestSpec, group_hosts
from vacate.planning.hoststate import HostState, build_host_states
from vacate.planning.schedule import cold_copy_bytes
from vacate.planning.scheduler import Placement, select_destination
from vacate.ports.cloud import MigrationStatus


def inflight(state: SimState) -> dict[InstanceId, HostName]:
    """Instance → destination of every move still under way."""
    return {
        InstanceId(t.instance_id): HostName(t.dest or t.source)
        for t in state.transfers.values()
        if not MigrationStatus(t.status).is_terminal and t.status != MigrationStatus.FINISHED
    }


def host_states(
    state: SimState, moving: dict[InstanceId, HostName], only: str | None = None
) -> dict[HostName, HostState]:
    """Usage as the cloud's scheduler sees it: in-flight moves hold room on the destination."""
    if only is None:
        return build_host_states(
            state.hosts.values(), state.instances.values(), {}, inflight=moving
        )
    here = instance_table(state).on(only)
    into = {i: dest for i, dest in moving.items() if dest == only}
    coming = [state.instances.get(i) for i in into]
    arriving = [i for i in coming if i is not None and i.host != only]
    return build_host_states([state.hosts[only]], here + arriving, {}, inflight=into)


def place(state: SimState, inst: Instance, source: str | None, dest: str | None) -> str:
    """The destination for a move of ``inst`` (``dest`` when it fits); ``Conflict`` if none."""
    moving = inflight(state)
    spec = RequestSpec(
        instance=inst,
        groups=dict(state.groups),
        source=HostName(source) if source else None,
        az=None,
        target=HostName(dest) if dest else None,
        target_requested=False,  # the destination asked for, not an operator's --target
        group_hosts=group_hosts(
            inst,
            state.instances.values(),
            source=HostName(source) if source else None,
            inflight=moving,
        ),
    )
    if dest is not None and dest in state.hosts:  # a fit on the target is the answer
        quick = select_destination(spec, host_states(state, moving, only=dest))
        if quick.host is not None:
            return quick.host
    placement = select_destination(spec, host_states(state, moving))
    if placement.host is None:
        raise Conflict(placement.reason)
    return placement.host


def place_new(state: SimState, draft: Instance) -> Placement:
    """Where a new instance boots: never on a disabled, down or full host."""
    spec = RequestSpec(instance=draft, groups=dict(state.groups), source=None, az=None, target=None)
    return select_destination(spec, host_states(state, inflight(state)))


def default_workload(flavor: Flavor) -> Workload:
    """A calm guest: a quarter of its RAM touched, a slow dirty rate."""
    ram = flavor.ram_mb * MIB
    return Workload(touched_bytes=0.25 * ram, dirty_rate=20 * MIB, wss_bytes=0.05 * ram + 16 * MIB)


def cold_bytes(inst: Instance) -> float:
    """What a cold migration copies (the rule the drain schedule plans with)."""
    return cold_copy_bytes(inst.flavor.disk_gb)
