"""Stale guests: what a host that was never really off still runs after its instances were
evacuated elsewhere — the double run that fencing exists to prevent.

The simulated cloud keeps each as an instance of its own on the old host (id
``<instance id>@<host>``, same name, running), so every view, and Vacate's double-run guard,
sees it as an operator would see it on the hypervisor.
"""

from __future__ import annotations

from dataclasses import replace

from vacate.domain.model import Instance, InstanceId, PowerState, VmState

_MARK = "@"


def stale_copy(inst: Instance) -> Instance:
    """The copy of ``inst`` still running on its (alive) host while it is rebuilt elsewhere."""
    return replace(
        inst,
        id=InstanceId(f"{inst.id}{_MARK}{inst.host}"),
        vm_state=VmState.ACTIVE,
        power_state=PowerState.RUNNING,
        task_state=None,
    )


def is_stale(inst: Instance) -> bool:
    return _MARK in inst.id


def original_id(inst: Instance) -> InstanceId:
    """The instance a stale copy is a copy of (itself for a real one)."""
    return InstanceId(inst.id.split(_MARK, 1)[0])
