"""The double-run guard: which instances evacuated from a host still run on it.

A host that comes back may still run its copies of the guests rebuilt elsewhere (on Nova the
compute service destroys them when it starts; elsewhere nobody does): until none does, the
host stays out of service. An instance counts by its id or, for a copy the hypervisor still
runs under the same name, by its name.
"""

from __future__ import annotations

from collections.abc import Iterable

from vacate.domain.jobs import JobKind, Outcome, TaskStatus
from vacate.domain.model import Instance, PowerState
from vacate.ports.store import Store


def still_running(store: Store, on_host: Iterable[Instance], host: str) -> list[str]:
    """``name (id)`` of every running instance on ``host`` that a host-down job of it evacuated
    (or is evacuating)."""
    ids: set[str] = set()
    names: set[str] = set()
    for job in store.list_jobs(host=host, limit=20):
        if job.kind is not JobKind.HOST_DOWN:
            continue
        for task in job.tasks:
            if task.outcome is Outcome.MOVED or task.status in (
                TaskStatus.MIGRATING,
                TaskStatus.CONFIRMING,
            ):
                ids.add(task.instance_id)
                names.add(task.instance_name)
    return [
        f"{i.name} ({i.id})"
        for i in on_host
        if i.power_state is PowerState.RUNNING and (i.id in ids or i.name in names)
    ]
