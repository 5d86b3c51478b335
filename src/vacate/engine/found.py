"""What a job found when it was queued, so that undoing it puts the host back exactly there."""

from __future__ import annotations

from vacate.domain.jobs import Job
from vacate.domain.maintenance import MaintenanceState
from vacate.ports.store import Store

QUEUED_EVENT = "job.queued"


def found_data(state: MaintenanceState, reason: str) -> dict[str, object]:
    """The data the ``job.queued`` event carries."""
    return {"previous_state": state.value, "previous_reason": reason}


def state_found(store: Store, job: Job) -> tuple[MaintenanceState, str]:
    """The host's maintenance state and reason when ``job`` was queued."""
    queued = [e for e in store.list_events(job.id) if e.kind == QUEUED_EVENT]
    data = queued[0].data if queued else {}
    state = MaintenanceState(str(data.get("previous_state", MaintenanceState.OPERATIONAL.value)))
    return state, str(data.get("previous_reason", ""))
