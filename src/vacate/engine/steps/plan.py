"""Plan: one task per instance from the preflight (a drain), or from what the drains of this
maintenance moved away (exit with ``--restore``)."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind, Planned
from vacate.domain.jobs import JobPhase, Outcome, Task, Verdict
from vacate.engine.preflight import plan_for, tasks_from
from vacate.engine.record import finish_task, note
from vacate.engine.restore import restore_tasks
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick

_CLOSED = {Verdict.SKIP: Outcome.SKIPPED, Verdict.BLOCKED: Outcome.BLOCKED}


def close_unmoving(tasks: tuple[Task, ...] | list[Task], *, at: float) -> Changes:
    """Give what will not move its outcome (again after a crash that came half-way)."""
    changes = Changes()
    for task in tasks:
        if task.verdict in _CLOSED and not task.is_done:
            changes += finish_task(task, _CLOSED[task.verdict], task.reason, at=at)
    return changes


@dataclass(frozen=True)
class PlanDrain:
    phase: JobPhase = JobPhase.PREFLIGHT
    action: str = "planning"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        tasks = list(job.tasks)
        changes = Changes()
        if not tasks:
            tasks = tasks_from(job, plan_for(tick.snapshot, job.host, job.options).items)
            moving = sum(1 for t in tasks if t.verdict.moves)
            changes = Changes(new_tasks=tuple(tasks)) + note(
                EventKind.JOB_PLANNED,
                f"{len(tasks)} instance(s) on {job.host}: {moving} to move, "
                f"{len(tasks) - moving} skipped or blocked",
                payload=Planned(instances=len(tasks), moving=moving),
            )
        return StepResult(changes=changes + close_unmoving(tasks, at=tick.now), done=True)


@dataclass(frozen=True)
class PlanRestore:
    phase: JobPhase = JobPhase.PREFLIGHT
    action: str = "planning"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        tasks = restore_tasks(tick, job) if job.options.restore and not job.tasks else []
        changes = Changes(new_tasks=tuple(tasks)) + note(
            EventKind.JOB_PLANNED,
            f"enable {job.host}; {len(tasks)} instance(s) to move back",
            payload=Planned(instances=len(tasks), moving=len(tasks)),
        )
        return StepResult(changes=changes, done=True)
