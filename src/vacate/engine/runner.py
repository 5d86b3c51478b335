"""Workers: take queued jobs (or ones whose worker died) under a lease and run them, step by
step, committing each step's changes in one transaction.

Two runners on one database never act on the same job: every tick renews the lease first and
stops at once if it was lost. A runner killed at any line leaves a lease that expires; the next
runner takes the job over (and records that it did) and resumes it at its recorded step.
"""

from __future__ import annotations

from vacate.domain.changes import Changes, JobChange
from vacate.domain.errors import Conflict, LeaseLost, NotFound, PermanentError, TemporaryError
from vacate.domain.events import EventKind, Retry
from vacate.domain.jobs import Job, JobPhase, JobStatus
from vacate.domain.model import JobId
from vacate.engine.context import Context
from vacate.engine.record import close, note, set_state
from vacate.engine.snapshot import CloudSnapshot
from vacate.engine.tick import Memory, Tick
from vacate.engine.workflows import workflow

#: A busy or unreachable cloud is waited for, up to this delay between tries.
MAX_BACKOFF_S = 60.0


def run_one(ctx: Context, job_id: JobId) -> Job | None:
    """Run this job if its lease can be had; None if another live worker holds it."""
    if not ctx.store.acquire_lease(
        job_id, ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall(), at=ctx.clock.now()
    ):
        return None
    return _run_leased(ctx, ctx.store.get_job(job_id))


def _run_leased(ctx: Context, job: Job) -> Job | None:
    try:
        return run_job(ctx, job)
    except LeaseLost:
        return None
    finally:
        ctx.store.release_lease(job.id, ctx.owner)


def claimable_later(ctx: Context) -> bool:
    """Active jobs remain that another worker holds: wait for them (that worker may be dead;
    its lease then expires and this one takes the job over)."""
    return any(j.status.is_active for j in ctx.store.list_jobs(status=JobStatus.RUNNING)) or any(
        j.status.is_active for j in ctx.store.list_jobs(status=JobStatus.QUEUED)
    )


def run_until_idle(ctx: Context, *, wait_for_held: bool = True) -> list[Job]:
    """Run every job that can be claimed, one after the other, then return them. With
    ``wait_for_held``, also wait for jobs another worker holds, and take over those whose
    worker went silent once their lease expires."""
    done: list[Job] = []
    while True:
        job = ctx.store.claim_next(
            ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall(), at=ctx.clock.now()
        )
        if job is None:
            if wait_for_held and claimable_later(ctx):
                ctx.sleep_wall(min(1.0, ctx.lease_ttl_s / 4))
                continue
            return done
        finished = _run_leased(ctx, job)
        if finished is not None:
            done.append(finished)


def run_job(ctx: Context, job: Job) -> Job:
    """Drive ``job`` to a final status (or until the lease is lost)."""
    if job.status is JobStatus.QUEUED:
        try:  # only from queued: a cancel that landed after the claim wins
            job = ctx.store.commit(
                job.id,
                Changes(
                    job=JobChange(
                        status=JobStatus.RUNNING,
                        started_at=ctx.clock.now(),
                        expected_status=JobStatus.QUEUED,
                    )
                )
                + note(
                    EventKind.JOB_STARTED, f"{job.kind.value} {job.host} started by {ctx.owner}"
                ),
                at=ctx.clock.now(),
                owner=ctx.owner,
            )
        except LeaseLost:
            raise
        except Conflict:
            return ctx.store.get_job(job.id)
    memory = Memory()  # one per run: throughput between ticks
    backoff = 0
    while True:
        _renew(ctx, job)
        job = ctx.store.get_job(job.id)
        if not job.status.is_active or job.phase is JobPhase.DONE:
            return job
        outcome = tick_once(ctx, job, memory, backoff=backoff)
        if isinstance(outcome, Job):
            return outcome
        backoff = outcome
        if ctx.observer is not None:
            ctx.observer(ctx.store.get_job(job.id))


def tick_once(ctx: Context, job: Job, memory: Memory, *, backoff: int = 0) -> Job | int:
    """One tick of ``job``'s current step, committed: the job if it failed for good, else the
    back-off count for the next tick (0 after a tick that went through)."""
    flow = workflow(job.kind)
    step = flow.step(job)
    now = ctx.clock.now()
    tick = Tick(
        ctx=ctx, job=job, snapshot=CloudSnapshot(ctx.cloud, ctx.store), now=now, memory=memory
    )
    try:
        result = step.run(tick)
    except LeaseLost:
        raise
    except (TemporaryError, Conflict) as exc:  # the cloud is busy: the step is retried
        delay = exc.delay if isinstance(exc, TemporaryError) else ctx.poll_s
        delay = min(MAX_BACKOFF_S, delay * (2 ** min(backoff, 5)))
        _commit(
            ctx,
            job,
            note(
                EventKind.JOB_RETRY,
                f"{step.action}: {exc}; retrying in {delay:.0f} s",
                payload=Retry(attempt=backoff + 1, delay_s=delay),
            ),
            now,
        )
        ctx.clock.sleep(delay)
        return backoff + 1
    except (PermanentError, NotFound) as exc:
        return fail_job(ctx, job, f"{step.action} failed: {exc}")
    changes = result.changes
    if result.done:
        changes += Changes(job=JobChange(phase=flow.after(step.phase)))
    if not changes.empty:
        _commit(ctx, job, changes, now)
    if result.wait:
        ctx.clock.sleep(ctx.poll_s)
    return 0


def _commit(ctx: Context, job: Job, changes: Changes, now: float) -> None:
    try:
        ctx.store.commit(job.id, changes, at=now, owner=ctx.owner)
    except LeaseLost:
        raise
    except Conflict:
        # The host changed state under us (compare and set lost): nothing was written; the
        # step runs again on fresh truth.
        pass


def fail_job(ctx: Context, job: Job, message: str) -> Job:
    """End a job that cannot go on; the host it was changing says why."""
    flow = workflow(job.kind)
    changes = Changes()
    if flow.on_failure is not None:
        changes = set_state(ctx.store, job, flow.on_failure, message)
    now = ctx.clock.now()
    return ctx.store.commit(
        job.id, changes + close(JobStatus.FAILED, message, at=now), at=now, owner=ctx.owner
    )


def _renew(ctx: Context, job: Job) -> None:
    if not ctx.store.acquire_lease(
        job.id, ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall(), at=ctx.clock.now()
    ):
        raise LeaseLost(job.id)
