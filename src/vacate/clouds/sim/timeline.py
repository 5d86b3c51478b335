"""Simulated time passing over the state: migrations progress, injected host deaths strike.

Pure functions of the state (no holder, no wall clock): the cloud brings its state up to "now"
with ``advance`` before every call. ``on_end`` hears of every migration that ends, which is
what a virtual-time sleep waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.model import SimState
from vacate.clouds.sim.params import ModelParams
from vacate.domain.model import HostName, ServiceState, VmState
from vacate.ports.cloud import MigrationKind, MigrationStatus

OnEnd = Callable[[tr.Transfer], None]


def advance(state: SimState, to: float, params: ModelParams, on_end: OnEnd) -> None:
    """Bring ``state`` to time ``to``, the host deaths due by then striking in their order."""
    due = sorted((at, host) for host, at in state.host_deaths.items() if at <= to)
    for at, host in due:
        _step(state, max(state.now, at), params, on_end)
        _kill_host(state, host, on_end)
        del state.host_deaths[host]
    _step(state, to, params, on_end)


def _step(state: SimState, to: float, params: ModelParams, on_end: OnEnd) -> None:
    if to <= state.now:
        return
    active = [t for t in state.transfers.values() if not MigrationStatus(t.status).is_terminal]
    ends = {name for t in active for name in (t.source, t.dest) if name in state.hosts}
    nic = {name: state.hosts[name].nic_bytes_per_s for name in ends}  # not every host's
    tr.advance(active, nic, state.now, to, params, on_finish=lambda t: finish(state, t, on_end))
    state.now = to


def finish(state: SimState, t: tr.Transfer, on_end: OnEnd) -> None:
    """``t`` has just ended: its instance lands on the destination, stays, or is lost."""
    on_end(t)
    inst = state.instances.get(t.instance_id)
    if inst is None:
        return
    status = MigrationStatus(t.status)
    if status is MigrationStatus.COMPLETED:
        inst = replace(inst, host=HostName(t.dest or t.source), task_state=None)
    elif status is MigrationStatus.FINISHED:  # cold: resized on the destination
        inst = replace(
            inst, host=HostName(t.dest or t.source), vm_state=VmState.RESIZED, task_state=None
        )
    elif t.postcopy:  # a post-copy that failed has lost the guest
        inst = replace(inst, vm_state=VmState.ERROR, task_state=None)
    else:
        inst = replace(inst, task_state=None)
    state.instances[inst.id] = inst


def _kill_host(state: SimState, name: str, on_end: OnEnd) -> None:
    host = state.hosts.get(name)
    if host is None:
        return
    state.hosts[name] = replace(host, state=ServiceState.DOWN)
    for t in state.transfers.values():
        if MigrationStatus(t.status).is_terminal or name not in (t.source, t.dest):
            continue
        if t.kind == MigrationKind.EVACUATION.value and t.source == name:
            continue  # an evacuation rebuilds elsewhere: it never needed the source
        side = "destination" if t.dest == name else "source"
        tr.fail(t, state.now, f"{side} host {name} died during the migration")
        finish(state, t, on_end)
