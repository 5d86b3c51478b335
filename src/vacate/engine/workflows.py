"""The jobs, phase by phase: enter maintenance, migrate instances, exit maintenance.

Each phase is recorded on the job before the next starts, and each is safe to run again, so a
worker that resumes a job picks up at the recorded phase (DESIGN §3: a reconciler).
"""

from __future__ import annotations

from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError
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
    is_driver_reason,
    is_vacate_reason,
    vacate_reason,
)
from vacate.domain.model import HostName
from vacate.engine.context import Context
from vacate.engine.moves import Mover
from vacate.engine.preflight import plan_for
from vacate.engine.restore import restore_tasks


class LeaseLost(Exception):
    """Another worker holds this job now: stop acting on it at once."""


def run_job(ctx: Context, job: Job) -> Job:
    """Drive ``job`` to a final status (or until the lease is lost)."""
    if job.status is JobStatus.QUEUED:
        job = ctx.store.update_job(job.id, status=JobStatus.RUNNING, started_at=ctx.clock.now())
        ctx.store.append_event(
            job.id,
            at=ctx.clock.now(),
            kind="job.started",
            message=f"{job.kind.value} {job.host} started",
        )
    mover = Mover(ctx, job)  # one per run: it remembers throughput between ticks
    while True:
        _renew(ctx, job)
        job = ctx.store.get_job(job.id)
        if not job.status.is_active:
            return job
        if job.phase is JobPhase.DONE:
            return job
        try:
            _run_phase(ctx, job, mover)
        except (TemporaryError, Conflict) as exc:  # the cloud is busy: the step is retried
            _event(ctx, job, "job.retry", f"{job.phase.value}: {exc}; retrying")
            ctx.clock.sleep(exc.delay if isinstance(exc, TemporaryError) else ctx.poll_s)
        except (PermanentError, NotFound, ValueError) as exc:
            return fail_job(ctx, job, f"{job.phase.value} failed: {exc}")
        if ctx.observer is not None:
            ctx.observer(ctx.store.get_job(job.id))


def fail_job(ctx: Context, job: Job, message: str) -> Job:
    """End a job that cannot go on; a host it was taking into maintenance says why."""
    if job.kind is JobKind.ENTER_MAINTENANCE:
        _set_state(ctx, job, MaintenanceState.ERROR, message)
    _close(ctx, job, JobStatus.FAILED, message, ctx.clock.now())
    return ctx.store.get_job(job.id)


def _renew(ctx: Context, job: Job) -> None:
    if not ctx.store.acquire_lease(job.id, ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall()):
        raise LeaseLost(job.id)


def _event(ctx: Context, job: Job, kind: str, message: str) -> None:
    ctx.store.append_event(job.id, at=ctx.clock.now(), kind=kind, message=message)


def _run_phase(ctx: Context, job: Job, mover: Mover) -> None:
    if job.phase is JobPhase.PREFLIGHT:
        _preflight(ctx, job)
    elif job.phase is JobPhase.DISABLE:
        _disable(ctx, job)
    elif job.phase in (JobPhase.MOVE, JobPhase.RESTORE):
        _move(ctx, job, mover)
    elif job.phase is JobPhase.VERIFY:
        _verify(ctx, job)


def _preflight(ctx: Context, job: Job) -> None:
    if job.kind is JobKind.EXIT_MAINTENANCE:
        tasks = restore_tasks(ctx, job) if job.options.restore else []
        ctx.store.put_tasks(job.id, tasks)
        _event(ctx, job, "job.planned", f"enable {job.host}; {len(tasks)} instance(s) to move back")
        ctx.store.update_job(job.id, phase=JobPhase.DISABLE)
        return
    if not job.tasks:
        plan = plan_for(ctx.cloud, ctx.store, job.host, job.options)
        tasks = [
            Task(
                job_id=job.id,
                instance_id=item.instance.id,
                instance_name=item.instance.name,
                state_before=item.instance.vm_state.value,
                verdict=item.verdict,
                source=job.host,
                order=item.order,
                planned_destination=item.destination,
                method=Method.LIVE
                if item.verdict is Verdict.LIVE
                else Method.COLD
                if item.verdict is Verdict.COLD
                else None,
                reason="" if item.verdict.moves else item.reason,
            )
            for item in plan.items
        ]
        ctx.store.put_tasks(job.id, tasks)
        moving = sum(1 for t in tasks if t.verdict.moves)
        _event(
            ctx,
            job,
            "job.planned",
            f"{len(tasks)} instance(s) on {job.host}: {moving} to move, "
            f"{len(tasks) - moving} skipped or blocked",
        )
    # Close what will not move — again after a crash, if the first run died half-way.
    now = ctx.clock.now()
    outcomes = {Verdict.SKIP: Outcome.SKIPPED, Verdict.BLOCKED: Outcome.BLOCKED}
    for task in ctx.store.get_job(job.id).tasks:
        if task.verdict in outcomes and not task.is_done:
            ctx.store.save_task(task.finish(outcomes[task.verdict], task.reason, at=now))
    next_phase = JobPhase.DISABLE if job.kind is JobKind.ENTER_MAINTENANCE else JobPhase.MOVE
    ctx.store.update_job(job.id, phase=next_phase)


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
        ctx.store.update_job(job.id, phase=JobPhase.RESTORE)
        return
    reason = vacate_reason(job.options.reason or "maintenance")
    if not host.is_enabled and not is_vacate_reason(host.disabled_reason):
        # Disabled by someone else already: the scheduler keeps away either way, and their
        # reason stays, so a rollback never re-enables what Vacate did not disable.
        _event(ctx, job, "service.note", f"already disabled: {host.disabled_reason!r}")
    elif host.disabled_reason != reason or host.is_enabled:
        ctx.cloud.disable_service(job.host, reason)
        _event(ctx, job, "service.disabled", f"compute service on {job.host} disabled: {reason}")
    ctx.store.update_job(job.id, phase=JobPhase.MOVE)


def _move(ctx: Context, job: Job, mover: Mover) -> None:
    if not mover.tick():
        ctx.clock.sleep(ctx.poll_s)
        return
    job = ctx.store.get_job(job.id)
    if job.kind is JobKind.EXIT_MAINTENANCE:
        _finish_exit(ctx, job)
    else:
        ctx.store.update_job(job.id, phase=JobPhase.VERIFY)


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


def _verify(ctx: Context, job: Job) -> None:
    left = _still_here(ctx, job)
    now = ctx.clock.now()
    if job.kind is JobKind.MIGRATE_INSTANCES:
        status = JobStatus.SUCCEEDED if not left else JobStatus.FAILED
        message = (
            "all instances moved"
            if not left
            else f"{len(left)} instance(s) left: " + "; ".join(left)
        )
        _close(ctx, job, status, message, now)
        return
    cancelled = job.cancel_requested
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


def _set_state(ctx: Context, job: Job, state: MaintenanceState, reason: str) -> None:
    current = ctx.store.get_maintenance(job.host)
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
        job.id, status=status, phase=JobPhase.DONE, message=message, finished_at=now
    )
    _event(ctx, job, f"job.{status.value}", message)
