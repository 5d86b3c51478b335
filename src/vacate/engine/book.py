"""The move step's working copy of a job's tasks: updated in place as the tick decides, so a
later decision in the same tick sees an earlier one, and turned into ``Changes`` at the end."""

from __future__ import annotations

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind, Payload
from vacate.domain.jobs import Job, Outcome, Task
from vacate.domain.model import InstanceId
from vacate.engine.record import finish_task, note


class Book:
    def __init__(self, job: Job, now: float) -> None:
        self.job = job
        self.now = now
        self._tasks: dict[InstanceId, Task] = {t.instance_id: t for t in job.tasks}
        self._changes = Changes()

    @property
    def tasks(self) -> list[Task]:
        return sorted(self._tasks.values(), key=lambda t: (t.order, t.instance_name))

    @property
    def changes(self) -> Changes:
        return self._changes

    def save(self, task: Task) -> Task:
        self._tasks[task.instance_id] = task
        self._changes += Changes(tasks=(task,))
        return task

    def event(
        self,
        kind: EventKind,
        message: str,
        task: Task | None = None,
        payload: Payload | None = None,
    ) -> None:
        self._changes += note(kind, message, task=task, payload=payload)

    def finish(self, task: Task, outcome: Outcome, reason: str, *, at: float | None = None) -> None:
        """The outcome; ``at`` is when the cloud says it ended (else now)."""
        changes = finish_task(task, outcome, reason, at=at if at is not None else self.now)
        self._tasks[task.instance_id] = changes.tasks[0]
        self._changes += changes

    @property
    def all_done(self) -> bool:
        return all(t.is_done for t in self._tasks.values())
