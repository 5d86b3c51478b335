"""The state Vacate shows for an instance, and where it comes from.

Nova has no call to record a server stopped; after a host-down report its servers keep
``vm_state active`` and report ``host_status: DOWN``. Vacate then shows them stopped, and
says that this comes from the host's status, never claiming a state it did not write.
"""

from __future__ import annotations

from vacate.domain.model import Instance, VmState

#: Where a shown state comes from.
RECORDED = "vm_state"
FROM_HOST = "host_status DOWN (the cloud records no stopped state)"


def shown_state(inst: Instance) -> tuple[str, str]:
    """``(state, source)``: the recorded ``vm_state``, or ``stopped`` from a DOWN host."""
    if (inst.host_status or "").upper() == "DOWN" and inst.vm_state is VmState.ACTIVE:
        return VmState.STOPPED.value, FROM_HOST
    return inst.vm_state.value, RECORDED
