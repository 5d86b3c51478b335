"""A step's changes as one value, committed by the store in one transaction (a unit of work).

Steps and commands never write: they return ``Changes`` — job fields, new and updated tasks, a
host's maintenance state, events — and the store applies all of it or none of it. So a worker
killed at any line leaves either the state before the step or the state after it, each with
exactly its events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vacate.domain.events import NewEvent
from vacate.domain.jobs import JobOptions, JobPhase, JobStatus, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId


@dataclass(frozen=True, kw_only=True)
class JobChange:
    """Job fields to set (None: leave as is); ``expected_status`` makes it conditional."""

    status: JobStatus | None = None
    phase: JobPhase | None = None
    message: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    waiting_since: float | None = None
    #: The options as a whole (an operator's later assertion, e.g. ``fenced``).
    options: JobOptions | None = None
    expected_status: JobStatus | None = None

    def merged(self, later: JobChange) -> JobChange:
        values = {k: v for k, v in vars(later).items() if v is not None}
        return replace(self, **values)


@dataclass(frozen=True, kw_only=True)
class StateChange:
    """A host's maintenance state, written only if it still is ``expected`` (compare and set:
    two writers cannot both move a host out of the same state)."""

    host: HostName
    state: MaintenanceState
    reason: str
    expected: MaintenanceState


@dataclass(frozen=True, kw_only=True)
class Changes:
    job: JobChange | None = None
    new_tasks: tuple[Task, ...] = ()
    tasks: tuple[Task, ...] = ()
    state: StateChange | None = None
    events: tuple[NewEvent, ...] = ()

    @property
    def empty(self) -> bool:
        return (
            self.job is None
            and not self.new_tasks
            and not self.tasks
            and self.state is None
            and not self.events
        )

    def __add__(self, later: Changes) -> Changes:
        """Both, in order: the later one's job fields and task records win."""
        if self.state is not None and later.state is not None:
            raise ValueError("one step changes a host's maintenance state at most once")
        job = later.job if self.job is None else self.job.merged(later.job or JobChange())
        tasks: dict[InstanceId, Task] = {t.instance_id: t for t in self.tasks}
        tasks.update((t.instance_id, t) for t in later.tasks)
        return Changes(
            job=job,
            new_tasks=self.new_tasks + later.new_tasks,
            tasks=tuple(tasks.values()),
            state=self.state or later.state,
            events=self.events + later.events,
        )


NO_CHANGES = Changes()
