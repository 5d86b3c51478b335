"""Mark stopped: every instance of the failed host is recorded ``stopped`` at once, each task
first keeping the state it had (so evacuation can restore it, even after a crash).

Two ticks, so the previous states are durable before any record changes: the first writes one
task per instance, the second marks them. Soft-deleted, deleted, resized and errored instances
are left alone (there is nothing safe to do with them) and their tasks say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind, Planned
from vacate.domain.jobs import Job, JobKind, JobPhase, JobStatus, Outcome, Task, Verdict
from vacate.domain.model import Instance, InstanceId, PowerState, VmState
from vacate.engine.record import close, finish_task, note
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick
from vacate.planning.priority import priority

#: Left exactly as they are: gone, mid-resize, or already broken.
LEFT_ALONE = (VmState.SOFT_DELETED, VmState.DELETED, VmState.RESIZED, VmState.ERROR)


def _task(
    job: Job, inst: Instance, order: int, earlier: Task | None, copy_of: Task | None = None
) -> Task:
    alone = inst.vm_state in LEFT_ALONE or copy_of is not None
    # Marked by an earlier report of this host (left behind then): what it had before that.
    state, power = inst.vm_state.value, inst.power_state.value
    if earlier is not None and _marked(inst):
        state, power = earlier.state_before, earlier.power_before
    return Task(
        job_id=job.id,
        instance_id=inst.id,
        instance_name=inst.name,
        state_before=state,
        power_before=power,
        verdict=Verdict.SKIP if alone else Verdict.EVACUATE,
        source=job.host,
        order=order,
        reason=_left_alone(inst, copy_of) if alone else "",
    )


def _left_alone(inst: Instance, copy_of: Task | None) -> str:
    if copy_of is not None:
        return (
            f"left alone: a copy of {copy_of.instance_name}, which an earlier report already "
            f"evacuated to {copy_of.destination}; evacuating it again would run it twice "
            "(power the host off; `vacate host recover` refuses while it runs)"
        )
    return f"left alone: it is {inst.vm_state.value}"


def _evacuated_before(tick: Tick) -> dict[str, Task]:
    """The instances earlier host-down jobs of this host evacuated, by name: what the host may
    still run as stale copies (the double-run guard's own matching)."""
    by_name: dict[str, Task] = {}
    for job in tick.store.list_jobs(host=tick.job.host, limit=20):  # newest first
        if job.kind is JobKind.HOST_DOWN and job.id != tick.job.id:
            for task in job.tasks:
                if task.outcome is Outcome.MOVED:
                    by_name.setdefault(task.instance_name, task)
    return by_name


def _copy_of(inst: Instance, evacuated: dict[str, Task]) -> Task | None:
    """The evacuation ``inst`` is a stale copy of: same name, another id (the instance itself,
    moved back here since, is not a copy)."""
    task = evacuated.get(inst.name)
    return task if task is not None and task.instance_id != inst.id else None


def _marked(inst: Instance) -> bool:
    return inst.vm_state is VmState.STOPPED and inst.power_state is PowerState.SHUTDOWN


def _earlier_tasks(tick: Tick) -> dict[InstanceId, Task]:
    """The newest earlier host-down task of each instance of this host."""
    found: dict[InstanceId, Task] = {}
    for job in tick.store.list_jobs(host=tick.job.host, limit=20):  # newest first
        if job.kind is JobKind.HOST_DOWN and job.id != tick.job.id:
            for task in job.tasks:
                if task.power_before:
                    found.setdefault(task.instance_id, task)
    return found


@dataclass(frozen=True)
class MarkStopped:
    phase: JobPhase = JobPhase.MARK_STOPPED
    action: str = "marking instances stopped"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        if not job.tasks:
            return StepResult(changes=self._record(tick))
        changes = Changes()
        written = 0
        for task in job.tasks:
            if task.verdict is not Verdict.EVACUATE:
                if not task.is_done:
                    changes += finish_task(task, Outcome.SKIPPED, task.reason, at=tick.now)
                continue
            inst = tick.snapshot.instances.get(task.instance_id)
            if inst is None or inst.host != job.host or _marked(inst):
                continue
            wrote = tick.cloud.mark_stopped(inst.id)
            written += wrote
            how = (
                "marked stopped"
                if wrote
                else "shown stopped by Vacate: the cloud reports its host DOWN "
                "(it has no call to record a stopped state)"
            )
            changes += note(
                EventKind.TASK_MARKED_STOPPED,
                f"{inst.name}: {how} (was {task.state_before}, {task.power_before})",
                task=task,
            )
        if not job.options.evacuate:
            return StepResult(changes=changes + self._stop_here(tick))
        return StepResult(changes=changes, done=True)

    def _record(self, tick: Tick) -> Changes:
        job = tick.job
        found = list(tick.snapshot.instances_on(job.host))
        ordered = sorted(found, key=lambda i: (-priority(i), i.name, i.id))
        earlier = _earlier_tasks(tick)
        evacuated = _evacuated_before(tick)
        tasks = tuple(
            _task(job, inst, n, earlier.get(inst.id), _copy_of(inst, evacuated))
            for n, inst in enumerate(ordered)
        )
        moving = sum(t.verdict is Verdict.EVACUATE for t in tasks)
        return Changes(new_tasks=tasks) + note(
            EventKind.JOB_PLANNED,
            f"{len(tasks)} instance(s) on {job.host}: {moving} to mark stopped and evacuate, "
            f"{len(tasks) - moving} left alone",
            payload=Planned(instances=len(tasks), moving=moving),
        )

    def _stop_here(self, tick: Tick) -> Changes:
        job = tick.job
        changes = Changes()
        for task in job.tasks:
            if task.verdict is Verdict.EVACUATE and not task.is_done:
                changes += finish_task(
                    task, Outcome.SKIPPED, "not evacuated (--no-evacuate): marked stopped", at=None
                )
        marked = sum(t.verdict is Verdict.EVACUATE for t in job.tasks)
        return changes + close(
            JobStatus.SUCCEEDED,
            f"{job.host} is down; {marked} instance(s) marked stopped, not evacuated "
            "(--no-evacuate)",
            at=tick.now,
        )
