"""Workers: take queued jobs (or ones whose worker died) under a lease and run them.

Two runners on one database never act on the same job: every step renews the lease first and
stops at once if it was lost. A runner killed at any line leaves a lease that expires; the next
runner started takes the job over and resumes it at its recorded phase.
"""

from __future__ import annotations

from vacate.domain.errors import LeaseLost
from vacate.domain.jobs import Job
from vacate.domain.model import JobId
from vacate.engine.context import Context
from vacate.engine.workflows import run_job


def run_one(ctx: Context, job_id: JobId) -> Job | None:
    """Run this job if its lease can be had; None if another live worker holds it."""
    if not ctx.store.acquire_lease(job_id, ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall()):
        return None
    return _run_leased(ctx, ctx.store.get_job(job_id))


def _run_leased(ctx: Context, job: Job) -> Job | None:
    try:
        return run_job(ctx, job)
    except LeaseLost:
        return None
    finally:
        ctx.store.release_lease(job.id, ctx.owner)


def run_until_idle(ctx: Context) -> list[Job]:
    """Run every job that can be claimed, one after the other, then return them."""
    done: list[Job] = []
    while True:
        job = ctx.store.claim_next(ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall())
        if job is None:
            return done
        finished = _run_leased(ctx, job)
        if finished is not None:
            done.append(finished)
