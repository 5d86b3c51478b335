"""What an operator can ask for — the one service layer the CLI, the API and the dashboard share.

Each command validates against the cloud and the store (unknown host → ``NotFound``; illegal
transition or a job already active → ``Conflict`` naming the current state), then queues a job.
Running it is a worker's business (``vacate.engine.runner``).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from vacate.domain.errors import Conflict
from vacate.domain.jobs import Job, JobKind, JobOptions, JobStatus
from vacate.domain.maintenance import MaintenanceState, transition
from vacate.domain.model import HostName, JobId
from vacate.engine.context import Context
from vacate.engine.found import QUEUED_EVENT, found_data, state_found
from vacate.engine.preflight import plan_for
from vacate.planning.policy import parse_state_policy
from vacate.planning.preflight import DrainPlan


def _exact_host(ctx: Context, host: str) -> HostName:
    """Exact names only: prefix matching has drained the wrong host before."""
    return HostName(ctx.cloud.get_host(host).name)


def _checked(ctx: Context, host: HostName, options: JobOptions) -> JobOptions:
    """Refuse, before anything is queued, what the job could only fail on later."""
    parse_state_policy(options.state_policy)  # ValueError names the bad override
    if options.target is not None:
        target = _exact_host(ctx, options.target)  # NotFound names it
        if target == host:
            raise ValueError(f"--target {target} is the host being drained")
    return options


def _queue(
    ctx: Context,
    kind: JobKind,
    host: HostName,
    options: JobOptions,
    user: str,
    new_state: MaintenanceState | None,
) -> Job:
    current = ctx.store.get_maintenance(host)
    if new_state is not None:
        transition(host, current.state, new_state)
    job = ctx.store.create_job(
        kind=kind, host=host, options=options, created_at=ctx.clock.now(), created_by=user
    )
    if new_state is not None:
        try:
            ctx.store.set_maintenance(
                host,
                new_state,
                reason=options.reason,
                at=ctx.clock.now(),
                job_id=job.id,
                expected=current.state,
            )
        except Conflict:
            ctx.store.request_cancel(job.id)
            raise
    ctx.store.append_event(
        job.id,
        at=ctx.clock.now(),
        kind=QUEUED_EVENT,
        message=f"{kind.value} {host} queued by {user or 'unknown'}",
        # What the job found, so a cancel before it starts can put it back.
        data=found_data(current.state, current.reason),
    )
    return job


def enter_maintenance(ctx: Context, host: str, options: JobOptions, *, user: str = "") -> Job:
    name = _exact_host(ctx, host)
    options = _checked(ctx, name, options)
    return _queue(ctx, JobKind.ENTER_MAINTENANCE, name, options, user, MaintenanceState.ENTERING)


def exit_maintenance(ctx: Context, host: str, *, restore: bool = False, user: str = "") -> Job:
    name = _exact_host(ctx, host)
    options = JobOptions(reason="back in service", restore=restore, target=name)
    return _queue(ctx, JobKind.EXIT_MAINTENANCE, name, options, user, MaintenanceState.EXITING)


def migrate_instances(ctx: Context, host: str, options: JobOptions, *, user: str = "") -> Job:
    """Drain without the maintenance flag (the Horizon "Migrate instances" button)."""
    name = _exact_host(ctx, host)
    options = _checked(ctx, name, options)
    return _queue(
        ctx, JobKind.MIGRATE_INSTANCES, name, replace(options, rollback_on_error=False), user, None
    )


def preflight(ctx: Context, host: str, options: JobOptions) -> DrainPlan:
    """The plan alone: what a drain would do now, touching nothing (``--dry-run``)."""
    name = _exact_host(ctx, host)
    return plan_for(ctx.cloud, ctx.store, name, _checked(ctx, name, options))


def cancel(ctx: Context, job_id: str) -> Job:
    """Cancel a job: a queued one at once (its host goes back where it was), a running one at
    its next step (no new moves, running pre-copy migrations aborted)."""
    before = ctx.store.get_job(JobId(job_id))
    job = ctx.store.request_cancel(JobId(job_id))
    ctx.store.append_event(
        job.id, at=ctx.clock.now(), kind="job.cancel-requested", message="cancel requested"
    )
    if before.status is JobStatus.QUEUED and job.status is JobStatus.CANCELLED:
        _undo_queued(ctx, job)
    return job


def _undo_queued(ctx: Context, job: Job) -> None:
    """A job cancelled before it started leaves the host as the job found it."""
    if job.kind is JobKind.ENTER_MAINTENANCE:
        expected = MaintenanceState.ENTERING
    elif job.kind is JobKind.EXIT_MAINTENANCE:
        expected = MaintenanceState.EXITING
    else:
        return
    back, reason = state_found(ctx.store, job)
    with contextlib.suppress(Conflict):  # someone moved the host on meanwhile: leave it
        ctx.store.set_maintenance(
            job.host,
            back,
            reason=reason,
            at=ctx.clock.now(),
            job_id=job.id,
            expected=expected,
        )
