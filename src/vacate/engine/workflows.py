"""The jobs, phase by phase: enter maintenance, migrate instances, exit maintenance.

Each phase is recorded on the job before the next starts, and each is safe to run again, so a
worker that resumes a job picks up at the recorded phase (DESIGN §3: a reconciler).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vacate.domain.errors import Conflict, LeaseLost, NotFound, PermanentError, TemporaryError
from vacate.domain.jobs import (
    Job,
    JobKind,
    JobPhase,
    JobStatus,
    Method,
    Outcome,
    Task,
    Verdict,
)
from vacate.domain.maintenance import (
    MaintenanceState,
    allowed_from,
    is_driver_reason,
    is_vacate_reason,
    vacate_reason,
)
from vacate.domain.model import HostName
from vacate.engine.context import Context
from vacate.engine.found import state_found
from vacate.engine.moves import Mover
from vacate.engine.preflight import plan_for
from vacate.engine.restore import restore_tasks
from vacate.planning.preflight import PlanItem
from vacate.ports.cloud import MigrationStatus

#: How long verify waits for moves into the host that other jobs or tools started before it
#: was disabled; past that, the host ends in ``error`` naming them.
INBOUND_WAIT_S = 900.0

#: What each phase does, per kind of job, for messages a person reads.
_ACTIONS = {
    JobPhase.PREFLIGHT: "planning",
    JobPhase.DISABLE: "disabling the service",
    JobPhase.MOVE: "moving instances",
    JobPhase.RESTORE: "moving instances back",
    JobPhase.VERIFY: "verifying the host is empty",
}


def _action(job: Job) -> str:
    if job.kind is JobKind.EXIT_MAINTENANCE and job.phase is JobPhase.DISABLE:
        return "enabling the service"
    return _ACTIONS.get(job.phase, job.phase.value)


def run_job(ctx: Context, job: Job) -> Job:
    """Drive ``job`` to a final status (or until the lease is lost)."""
    if job.status is JobStatus.QUEUED:
        try:  # only from queued: a cancel that landed after the claim wins
            job = ctx.store.update_job(
                job.id,
                status=JobStatus.RUNNING,
                started_at=ctx.clock.now(),
                owner=ctx.owner,
                expected_status=JobStatus.QUEUED,
            )
        except LeaseLost:
            raise
        except Conflict:
            return ctx.store.get_job(job.id)
        _event(ctx, job, "job.started", f"{job.kind.value} {job.host} started")
    mover = Mover(ctx, job)  # one per run: it remembers throughput between ticks
    while True:
        _renew(ctx, job)
        job = ctx.store.get_job(job.id)
        if not job.status.is_active or job.phase is JobPhase.DONE:
            return job
        try:
            _run_phase(ctx, job, mover)
        except LeaseLost:
            raise
        except (TemporaryError, Conflict) as exc:  # the cloud is busy: the step is retried
            _event(ctx, job, "job.retry", f"{_action(job)}: {exc}; retrying")
            ctx.clock.sleep(exc.delay if isinstance(exc, TemporaryError) else ctx.poll_s)
        except (PermanentError, NotFound, ValueError) as exc:
            return fail_job(ctx, job, f"{_action(job)} failed: {exc}")
        if ctx.observer is not None:
            ctx.observer(ctx.store.get_job(job.id))


def fail_job(ctx: Context, job: Job, message: str) -> Job:
    """End a job that cannot go on; the host it was changing says why (``error``)."""
    if job.kind is not JobKind.MIGRATE_INSTANCES:
        _set_state(ctx, job, MaintenanceState.ERROR, message)
    _close(ctx, job, JobStatus.FAILED, message, ctx.clock.now())
    return ctx.store.get_job(job.id)


def _renew(ctx: Context, job: Job) -> None:
    if not ctx.store.acquire_lease(job.id, ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall()):
        raise LeaseLost(job.id)


def _event(ctx: Context, job: Job, kind: str, message: str) -> None:
    ctx.store.append_event(job.id, at=ctx.clock.now(), kind=kind, message=message)


def _run_phase(ctx: Context, job: Job, mover: Mover) -> None:
    if job.cancel_requested and job.phase in (JobPhase.PREFLIGHT, JobPhase.DISABLE):
        _cancel_before_moves(ctx, job)
    elif job.phase is JobPhase.PREFLIGHT:
        _preflight(ctx, job)
    elif job.phase is JobPhase.DISABLE:
        _disable(ctx, job)
    elif job.phase in (JobPhase.MOVE, JobPhase.RESTORE):
        _move(ctx, job, mover)
    elif job.phase is JobPhase.VERIFY:
        _verify(ctx, job)


def _cancel_before_moves(ctx: Context, job: Job) -> None:
    """Nothing has moved yet: put the host back as the job found it."""
    if job.kind is not JobKind.MIGRATE_INSTANCES:
        state, reason = state_found(ctx.store, job)
        host = ctx.cloud.get_host(job.host)
        if (
            job.kind is JobKind.ENTER_MAINTENANCE
            and state is MaintenanceState.OPERATIONAL
            and not host.is_enabled
            and is_vacate_reason(host.disabled_reason)
        ):
            ctx.cloud.enable_service(job.host)
            _event(ctx, job, "service.enabled", f"compute service on {job.host} enabled again")
        _set_state(ctx, job, state, reason or "the job was cancelled", force=True)
    outcomes = {t.instance_id for t in job.tasks if not t.is_done}
    for task in job.tasks:
        if task.instance_id in outcomes:
            ctx.store.save_task(
                task.finish(Outcome.SKIPPED, "not started: the job was cancelled", at=None),
                owner=ctx.owner,
            )
    _close(ctx, job, JobStatus.CANCELLED, "cancelled before anything moved", ctx.clock.now())


def _tasks_from(job: Job, items: Sequence[PlanItem]) -> list[Task]:
    return [
        Task(
            job_id=job.id,
            instance_id=item.instance.id,
            instance_name=item.instance.name,
            state_before=item.instance.vm_state.value,
            verdict=item.verdict,
            source=job.host,
            order=item.order,
            planned_destination=item.destination,
            method=_METHODS.get(item.verdict),
            reason="" if item.verdict.moves else item.reason,
        )
        for item in items
    ]


_METHODS = {Verdict.LIVE: Method.LIVE, Verdict.COLD: Method.COLD}
_CLOSED = {Verdict.SKIP: Outcome.SKIPPED, Verdict.BLOCKED: Outcome.BLOCKED}


def _close_unmoving(ctx: Context, job: Job) -> None:
    """Give what will not move its outcome — again after a crash that came half-way."""
    now = ctx.clock.now()
    for task in ctx.store.get_job(job.id).tasks:
        if task.verdict in _CLOSED and not task.is_done:
            ctx.store.save_task(
                task.finish(_CLOSED[task.verdict], task.reason, at=now), owner=ctx.owner
            )


def _preflight(ctx: Context, job: Job) -> None:
    if job.kind is JobKind.EXIT_MAINTENANCE:
        tasks = restore_tasks(ctx, job) if job.options.restore else []
        ctx.store.put_tasks(job.id, tasks)
        _event(ctx, job, "job.planned", f"enable {job.host}; {len(tasks)} instance(s) to move back")
        ctx.store.update_job(job.id, owner=ctx.owner, phase=JobPhase.DISABLE)
        return
    if not job.tasks:
        tasks = _tasks_from(job, plan_for(ctx.cloud, ctx.store, job.host, job.options).items)
        ctx.store.put_tasks(job.id, tasks)
        moving = sum(1 for t in tasks if t.verdict.moves)
        _event(
            ctx,
            job,
            "job.planned",
            f"{len(tasks)} instance(s) on {job.host}: {moving} to move, "
            f"{len(tasks) - moving} skipped or blocked",
        )
    _close_unmoving(ctx, job)
    next_phase = JobPhase.DISABLE if job.kind is JobKind.ENTER_MAINTENANCE else JobPhase.MOVE
    ctx.store.update_job(job.id, owner=ctx.owner, phase=next_phase)


def _disable(ctx: Context, job: Job) -> None:
    host = ctx.cloud.get_host(job.host)
    if job.kind is JobKind.EXIT_MAINTENANCE:
        if not host.is_enabled and is_driver_reason(host.disabled_reason):
            # The compute driver disabled it (libvirt lost) and re-enables it when healthy.
            _event(
                ctx,
                job,
                "service.note",
                f"left disabled: the compute driver's own reason {host.disabled_reason!r}",
            )
        elif not host.is_enabled:
            ctx.cloud.enable_service(job.host)
            _event(ctx, job, "service.enabled", f"compute service on {job.host} enabled")
        # Back in service before anything moves back: the scheduler may use the host again.
        _set_state(ctx, job, MaintenanceState.OPERATIONAL, "back in service")
        ctx.store.update_job(job.id, owner=ctx.owner, phase=JobPhase.RESTORE)
        return
    reason = vacate_reason(job.options.reason or "maintenance")
    if not host.is_enabled and not is_vacate_reason(host.disabled_reason):
        # Disabled by someone else already: the scheduler keeps away either way, and their
        # reason stays, so a rollback never re-enables what Vacate did not disable.
        _event(ctx, job, "service.note", f"already disabled: {host.disabled_reason!r}")
    elif host.disabled_reason != reason or host.is_enabled:
        ctx.cloud.disable_service(job.host, reason)
        _event(ctx, job, "service.disabled", f"compute service on {job.host} disabled: {reason}")
    ctx.store.update_job(job.id, owner=ctx.owner, phase=JobPhase.MOVE)


def _move(ctx: Context, job: Job, mover: Mover) -> None:
    if not mover.tick():
        ctx.clock.sleep(ctx.poll_s)
        return
    job = ctx.store.get_job(job.id)
    if job.kind is JobKind.EXIT_MAINTENANCE:
        _finish_exit(ctx, job)
    else:
        ctx.store.update_job(job.id, owner=ctx.owner, phase=JobPhase.VERIFY)


def _still_here(ctx: Context, job: Job) -> list[str]:
    """Instances that had to move and are still on the host, each with its reason."""
    reasons = {t.instance_id: t for t in job.tasks}
    left = []
    for inst in ctx.cloud.list_instances(job.host):
        if inst.is_gone:
            continue
        task = reasons.get(inst.id)
        if task is not None and task.outcome is Outcome.SKIPPED and task.verdict is Verdict.SKIP:
            continue
        why = task.reason if task is not None else "appeared on the host during the drain"
        left.append(f"{inst.name} ({why})")
    return left


def _arrivals(ctx: Context, job: Job) -> bool:
    """Moves *into* the host started before it was disabled: wait for them, then drain what
    they brought (a host is never declared empty with an instance on its way in)."""
    inbound = [
        m
        for m in ctx.cloud.list_migrations()
        if m.dest == job.host
        and not m.status.is_terminal
        and m.status is not MigrationStatus.FINISHED
    ]
    waits = [e for e in ctx.store.list_events(job.id) if e.kind == "job.waiting"]
    if inbound and (not waits or ctx.clock.now() - waits[0].at < INBOUND_WAIT_S):
        if not waits:
            names = ", ".join(m.instance_id for m in inbound)
            _event(ctx, job, "job.waiting", f"waiting for moves into {job.host}: {names}")
        ctx.clock.sleep(ctx.poll_s)
        return True
    known = {t.instance_id for t in job.tasks}
    if not any(i.id not in known and not i.is_gone for i in ctx.cloud.list_instances(job.host)):
        return False
    plan = plan_for(ctx.cloud, ctx.store, job.host, job.options)
    first = max((t.order for t in job.tasks), default=0) + 1
    added = [
        replace(task, order=first + task.order)
        for task in _tasks_from(job, plan.items)
        if task.instance_id not in known
    ]
    ctx.store.put_tasks(job.id, added)
    _event(ctx, job, "job.planned", f"{len(added)} instance(s) arrived on {job.host}: moving")
    _close_unmoving(ctx, job)
    ctx.store.update_job(job.id, owner=ctx.owner, phase=JobPhase.MOVE)
    return True


def _still_coming(ctx: Context, job: Job) -> list[str]:
    return [
        f"{m.instance_id} (still moving in from {m.source}: migration {m.id} did not finish)"
        for m in ctx.cloud.list_migrations()
        if m.dest == job.host
        and not m.status.is_terminal
        and m.status is not MigrationStatus.FINISHED
    ]


def _verify(ctx: Context, job: Job) -> None:
    if _arrivals(ctx, job):
        return
    left = _still_here(ctx, job) + _still_coming(ctx, job)
    now = ctx.clock.now()
    cancelled = job.cancel_requested
    if job.kind is JobKind.MIGRATE_INSTANCES:
        status = (
            JobStatus.CANCELLED
            if cancelled
            else JobStatus.SUCCEEDED
            if not left
            else JobStatus.FAILED
        )
        message = "all instances moved" if not left else f"{len(left)} instance(s) left: "
        message += "; ".join(left)
        _close(ctx, job, status, message, now)
        return
    if not left and not cancelled:
        _set_state(ctx, job, MaintenanceState.MAINTENANCE, job.options.reason or "maintenance")
        _close(ctx, job, JobStatus.SUCCEEDED, f"{job.host} is empty and in maintenance", now)
        return
    why = "cancelled by the operator" if cancelled else f"{len(left)} instance(s) could not move"
    detail = f"{why}: " + "; ".join(left) if left else why
    if job.options.rollback_on_error:
        if is_vacate_reason(ctx.cloud.get_host(job.host).disabled_reason):
            ctx.cloud.enable_service(job.host)
        _set_state(ctx, job, MaintenanceState.OPERATIONAL, f"rolled back: {detail}")
        detail = f"rolled back ({detail})"
    else:
        _set_state(ctx, job, MaintenanceState.ERROR, detail)
    _close(ctx, job, JobStatus.CANCELLED if cancelled else JobStatus.FAILED, detail, now)


def _finish_exit(ctx: Context, job: Job) -> None:
    failed = [t for t in job.tasks if t.outcome in (Outcome.FAILED, Outcome.BLOCKED)]
    _set_state(ctx, job, MaintenanceState.OPERATIONAL, "back in service")
    message = f"{job.host} is back in service"
    if failed:
        message += f"; {len(failed)} instance(s) could not move back"
    status = (
        JobStatus.CANCELLED
        if job.cancel_requested
        else JobStatus.FAILED
        if failed
        else JobStatus.SUCCEEDED
    )
    _close(ctx, job, status, message, ctx.clock.now())


def _set_state(
    ctx: Context, job: Job, state: MaintenanceState, reason: str, *, force: bool = False
) -> None:
    """Move the host along the transition table (``force``: put back a recorded state)."""
    current = ctx.store.get_maintenance(job.host)
    if current.state is state and not force:
        return
    if not force and state not in allowed_from(current.state):
        _event(
            ctx,
            job,
            "state.conflict",
            f"{job.host} is {current.state.value}: not moving it to {state.value}",
        )
        return
    try:
        ctx.store.set_maintenance(
            HostName(job.host),
            state,
            reason=reason,
            at=ctx.clock.now(),
            job_id=job.id,
            expected=current.state,
        )
    except Conflict:
        _event(ctx, job, "state.conflict", f"{job.host} changed state meanwhile; left as it is")


def _close(ctx: Context, job: Job, status: JobStatus, message: str, now: float) -> None:
    ctx.store.update_job(
        job.id,
        status=status,
        phase=JobPhase.DONE,
        message=message,
        finished_at=now,
        owner=ctx.owner,
    )
    _event(ctx, job, f"job.{status.value}", message)
