"""Building blocks of a step's changes: events, a host's state, a task's outcome, the job's end.

Each returns ``Changes`` (nothing is written here), so a step composes them with ``+`` and the
store commits the lot in one transaction.
"""

from __future__ import annotations

from vacate.domain.changes import Changes, JobChange, StateChange
from vacate.domain.events import (
    PAYLOADS,
    EventKind,
    JobEnded,
    NewEvent,
    Payload,
    StateChanged,
    TaskEnded,
)
from vacate.domain.jobs import Job, JobPhase, JobStatus, Outcome, Task
from vacate.domain.maintenance import MaintenanceState, allowed_from
from vacate.domain.model import HostName
from vacate.ports.store import Store

_TASK_ENDED = {
    Outcome.MOVED: EventKind.TASK_MOVED,
    Outcome.FAILED: EventKind.TASK_FAILED,
    Outcome.SKIPPED: EventKind.TASK_SKIPPED,
    Outcome.BLOCKED: EventKind.TASK_BLOCKED,
}
_JOB_ENDED = {
    JobStatus.SUCCEEDED: EventKind.JOB_SUCCEEDED,
    JobStatus.FAILED: EventKind.JOB_FAILED,
    JobStatus.CANCELLED: EventKind.JOB_CANCELLED,
}


def note(
    kind: EventKind, message: str, *, task: Task | None = None, payload: Payload | None = None
) -> Changes:
    event = NewEvent(
        kind=kind,
        message=message,
        instance_id=task.instance_id if task else None,
        payload=payload or PAYLOADS[kind](),
    )
    return Changes(events=(event,))


def finish_task(task: Task, outcome: Outcome, reason: str, *, at: float | None) -> Changes:
    """The task's outcome and its ``task.<outcome>`` event."""
    done = task.finish(outcome, reason, at=at)
    return Changes(tasks=(done,)) + note(
        _TASK_ENDED[outcome],
        f"{task.instance_name}: {reason}",
        task=done,
        payload=TaskEnded(
            outcome=outcome.value,
            destination=done.destination,
            duration_s=done.duration_s,
            downtime_s=done.downtime_s,
            bytes_sent=done.bytes_sent,
        ),
    )


def set_state(
    store: Store, job: Job, state: MaintenanceState, reason: str, *, force: bool = False
) -> Changes:
    """Move the host along the transition table (``force``: put back a recorded state). A host
    someone else moved on meanwhile is left where it is, and the event says so."""
    current = store.get_maintenance(job.host)
    if current.state is state and not force:
        return Changes()
    if not force and state not in allowed_from(current.state):
        return note(
            EventKind.STATE_CONFLICT,
            f"{job.host} is {current.state.value}: not moving it to {state.value}",
        )
    return Changes(
        state=StateChange(
            host=HostName(job.host), state=state, reason=reason, expected=current.state
        )
    ) + note(
        EventKind.STATE_CHANGED,
        f"{job.host}: {current.state.value} → {state.value}" + (f" ({reason})" if reason else ""),
        payload=StateChanged(before=current.state.value, after=state.value),
    )


def close(status: JobStatus, message: str, *, at: float) -> Changes:
    """The job's end and its ``job.<status>`` event."""
    return Changes(
        job=JobChange(status=status, phase=JobPhase.DONE, message=message, finished_at=at)
    ) + note(_JOB_ENDED[status], message, payload=JobEnded(status=status.value))
