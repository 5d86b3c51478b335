"""Plan: one task per instance from the preflight (a drain), or from what the drains of this
maintenance moved away (exit with ``--restore``)."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind, Planned
from vacate.domain.jobs import JobPhase, JobStatus, Outcome, Task, Verdict
from vacate.domain.maintenance import MaintenanceState
from vacate.engine.preflight import plan_for, tasks_from
from vacate.engine.record import close, finish_task, note, set_state
from vacate.engine.restore import restore_tasks
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick
from vacate.planning.preflight import DrainPlan

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
    """``restores_state``: the job put the host in a maintenance state, which a refused plan
    puts back."""

    restores_state: bool = True
    phase: JobPhase = JobPhase.PREFLIGHT
    action: str = "planning"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        tasks = list(job.tasks)
        changes = Changes()
        if not tasks:
            plan = plan_for(tick.snapshot, job.host, job.options)
            if not plan.ok and not job.options.allow_partial:
                return StepResult(changes=self._refuse(tick, plan))
            tasks = tasks_from(job, plan.items)
            moving = sum(1 for t in tasks if t.verdict.moves)
            changes = Changes(new_tasks=tuple(tasks)) + note(
                EventKind.JOB_PLANNED,
                f"{len(tasks)} instance(s) on {job.host}: {moving} to move, "
                f"{len(tasks) - moving} skipped or blocked",
                payload=Planned(instances=len(tasks), moving=moving),
            )
        # Again after a crash that came half-way: what will not move keeps its outcome.
        unmoving = close_unmoving(tasks or job.tasks, at=tick.now)
        return StepResult(changes=changes + unmoving, done=True)

    def _refuse(self, tick: Tick, plan: DrainPlan) -> Changes:
        """Blocked instances appeared since the command checked the plan: stop before anything
        is disabled or moved, and put the host back as the job found it."""
        job = tick.job
        blocked = "; ".join(f"{i.instance.name} ({i.reason})" for i in plan.blocked)
        message = (
            f"the plan is not ready, nothing was disabled or moved: {blocked}; apply the "
            "overrides it suggests, or pass --allow-partial"
        )
        changes = Changes(new_tasks=tuple(tasks_from(job, plan.items)))
        changes += close_unmoving(list(changes.new_tasks), at=tick.now)
        for task in changes.new_tasks:
            if task.verdict.moves:
                changes += finish_task(
                    task, Outcome.SKIPPED, "not started: the plan is not ready", at=None
                )
        if self.restores_state:
            changes += set_state(
                tick.store,
                job,
                MaintenanceState(job.found_state),
                job.found_reason,
                force=True,
            )
        return changes + close(JobStatus.FAILED, message, at=tick.now)


@dataclass(frozen=True)
class PlanRestore:
    phase: JobPhase = JobPhase.PREFLIGHT
    action: str = "planning"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        tasks = restore_tasks(tick, job) if job.options.restore and not job.tasks else []
        moving = sum(1 for t in tasks if t.verdict.moves)
        left = f", {len(tasks) - moving} left where they are" if len(tasks) > moving else ""
        changes = Changes(new_tasks=tuple(tasks)) + note(
            EventKind.JOB_PLANNED,
            f"enable {job.host}; {moving} instance(s) to move back{left}",
            payload=Planned(instances=len(tasks), moving=moving),
        )
        # Again after a crash that came half-way: what will not move keeps its outcome.
        unmoving = close_unmoving(tasks or job.tasks, at=tick.now)
        return StepResult(changes=changes + unmoving, done=True)
