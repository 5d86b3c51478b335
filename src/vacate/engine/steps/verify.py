"""Verify: the host is empty of everything that had to move — then ``maintenance`` (or the
job's success), otherwise ``error`` with each remaining instance's reason, or a rollback.

Moves *into* the host started before it was disabled are waited for, and what they brought is
drained too: a host is never declared empty with an instance on its way in.
"""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes, JobChange
from vacate.domain.events import EventKind, Planned
from vacate.domain.jobs import JobPhase, JobStatus, Outcome, Verdict
from vacate.domain.maintenance import MaintenanceState, is_vacate_reason, vacate_reason
from vacate.domain.model import Instance
from vacate.engine.preflight import plan_for, tasks_from
from vacate.engine.record import close, note, set_state
from vacate.engine.steps.base import StepResult
from vacate.engine.steps.plan import close_unmoving
from vacate.engine.tick import Tick
from vacate.planning.policy import is_live_guest

#: How long verify waits for moves into the host that other jobs or tools started before it
#: was disabled; past that, the host ends in ``error`` naming them.
INBOUND_WAIT_S = 900.0


def _inbound(tick: Tick) -> list[str]:
    return [
        f"{m.instance_id} (still moving in from {m.source}: migration {m.id} did not finish)"
        for m in tick.snapshot.in_flight
        if m.dest == tick.job.host
    ]


def _still_here(tick: Tick) -> list[str]:
    """Instances that had to move and are still on the host, each with its reason."""
    job = tick.job
    tasks = {t.instance_id: t for t in job.tasks}
    left = []
    for inst in tick.snapshot.instances_on(job.host):
        if inst.is_gone:
            continue
        task = tasks.get(inst.id)
        if task is not None and task.outcome is Outcome.SKIPPED and task.verdict is Verdict.SKIP:
            continue
        why = task.reason if task is not None else "appeared on the host during the drain"
        left.append(f"{inst.name} ({why})")
    return left


def _left_by_policy(tick: Tick) -> list[Instance]:
    """What the policy skipped and is still on the host (never hidden behind "empty")."""
    skipped = {t.instance_id for t in tick.job.tasks if t.verdict is Verdict.SKIP}
    return [
        i for i in tick.snapshot.instances_on(tick.job.host) if i.id in skipped and not i.is_gone
    ]


def _kept_note(kept: list[Instance], where: str) -> str:
    running = [i for i in kept if is_live_guest(i)]
    return (
        f"{len(kept)} instance(s) left {where} by policy, {len(running)} of them running: "
        + ", ".join(f"{i.name} ({i.power_state.value})" for i in kept)
    )


def _arrivals(tick: Tick) -> StepResult | None:
    """Wait for moves into the host; plan what they brought. None: nothing is coming."""
    job = tick.job
    inbound = _inbound(tick)
    waited = tick.now - job.waiting_since if job.waiting_since is not None else 0.0
    if inbound and waited < INBOUND_WAIT_S:
        if job.waiting_since is not None:
            return StepResult(wait=True)
        names = ", ".join(i.split(" ")[0] for i in inbound)
        return StepResult(
            changes=Changes(job=JobChange(waiting_since=tick.now))
            + note(EventKind.JOB_WAITING, f"waiting for moves into {job.host}: {names}"),
            wait=True,
        )
    known = {t.instance_id for t in job.tasks}
    if not any(i.id not in known and not i.is_gone for i in tick.snapshot.instances_on(job.host)):
        return None
    plan = plan_for(tick.snapshot, job.host, job.options)
    first = max((t.order for t in job.tasks), default=0) + 1
    added = [
        t for t in tasks_from(job, plan.items, first_order=first) if t.instance_id not in known
    ]
    changes = (
        Changes(new_tasks=tuple(added), job=JobChange(phase=JobPhase.MOVE))
        + note(
            EventKind.JOB_PLANNED,
            f"{len(added)} instance(s) arrived on {job.host}: moving",
            payload=Planned(instances=len(added), moving=sum(t.verdict.moves for t in added)),
        )
        + close_unmoving(added, at=tick.now)
    )
    return StepResult(changes=changes)


def _disable_again(tick: Tick) -> StepResult | None:
    """Someone enabled the service behind the drain's back: a host in maintenance never has an
    enabled service, so disable it again and look once more for what may have landed."""
    job = tick.job
    host = tick.snapshot.host(job.host)
    if not host.is_enabled:
        return None
    reason = vacate_reason(job.options.reason or "maintenance")
    tick.cloud.disable_service(job.host, reason)
    return StepResult(
        changes=note(
            EventKind.SERVICE_DISABLED,
            f"compute service on {job.host} was enabled during the drain; disabled again",
        )
    )


@dataclass(frozen=True)
class Verify:
    """``maintenance=True``: the host ends in ``maintenance`` (enter); else only the job's
    status says how the drain went (migrate instances)."""

    maintenance: bool = True
    phase: JobPhase = JobPhase.VERIFY
    action: str = "verifying the host is empty"

    def run(self, tick: Tick) -> StepResult:
        if self.maintenance:
            reenabled = _disable_again(tick)
            if reenabled is not None:
                return reenabled
        arrived = _arrivals(tick)
        if arrived is not None:
            return arrived
        job = tick.job
        left = _still_here(tick) + _inbound(tick)
        cancelled = job.cancel_requested
        if not self.maintenance:
            status = (
                JobStatus.CANCELLED
                if cancelled
                else JobStatus.SUCCEEDED
                if not left
                else JobStatus.FAILED
            )
            message = "all instances moved" if not left else f"{len(left)} instance(s) left: "
            message += "; ".join(left)
            kept = _left_by_policy(tick)
            if not left and kept:
                message = (
                    f"every instance that had to move moved; {_kept_note(kept, f'on {job.host}')}"
                )
            return StepResult(changes=close(status, message, at=tick.now))
        if not left and not cancelled:
            kept = _left_by_policy(tick)
            message = f"{job.host} is empty and in maintenance"
            if kept:
                message = f"{job.host} is in maintenance; {_kept_note(kept, 'on it')}"
            return StepResult(
                changes=set_state(
                    tick.store,
                    job,
                    MaintenanceState.MAINTENANCE,
                    job.options.reason or "maintenance",
                )
                + close(JobStatus.SUCCEEDED, message, at=tick.now)
            )
        why = (
            "cancelled by the operator" if cancelled else f"{len(left)} instance(s) could not move"
        )
        detail = f"{why}: " + "; ".join(left) if left else why
        status = JobStatus.CANCELLED if cancelled else JobStatus.FAILED
        if job.options.rollback_on_error:
            changes = Changes()
            host = tick.snapshot.host(job.host)
            if not host.is_enabled and is_vacate_reason(host.disabled_reason):
                tick.cloud.enable_service(job.host)
                changes = note(
                    EventKind.SERVICE_ENABLED, f"compute service on {job.host} enabled again"
                )
            changes += set_state(
                tick.store, job, MaintenanceState.OPERATIONAL, f"rolled back: {detail}"
            )
            moved = sum(t.outcome is Outcome.MOVED for t in job.tasks)
            stay = (
                f"; the {moved} instance(s) this drain moved stay where they went" if moved else ""
            )
            return StepResult(
                changes=changes + close(status, f"rolled back ({detail}){stay}", at=tick.now)
            )
        changes = set_state(tick.store, job, MaintenanceState.ERROR, detail)
        return StepResult(changes=changes + close(status, detail, at=tick.now))


@dataclass(frozen=True)
class FinishExit:
    phase: JobPhase = JobPhase.FINISH
    action: str = "finishing"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        failed = [t for t in job.tasks if t.outcome in (Outcome.FAILED, Outcome.BLOCKED)]
        message = f"{job.host} is back in service"
        if failed:
            message += f"; {len(failed)} instance(s) could not move back"
        left = [t for t in job.tasks if t.verdict is Verdict.SKIP]
        if left:
            names = ", ".join(t.instance_name for t in left[:5]) + (", …" if len(left) > 5 else "")
            message += f"; {len(left)} left where they are, moved or deleted since ({names})"
        status = (
            JobStatus.CANCELLED
            if job.cancel_requested
            else JobStatus.FAILED
            if failed
            else JobStatus.SUCCEEDED
        )
        changes = set_state(tick.store, job, MaintenanceState.OPERATIONAL, "back in service")
        return StepResult(changes=changes + close(status, message, at=tick.now))
