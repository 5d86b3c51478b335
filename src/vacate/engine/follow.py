"""Run a job here, or follow the worker that runs it — taking the job over if that worker dies.

The CLI's commands that start a job, ``vacate job watch`` and the API's event stream share
this: ``run_or_follow`` for the outcome, ``follow_events`` for the progress (events after a
sequence number, exactly once each, in order, ending with the job's end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from vacate.domain.events import Event
from vacate.domain.jobs import Job
from vacate.domain.model import JobId
from vacate.engine.context import Context, Observer
from vacate.engine.runner import run_one
from vacate.ports.store import Store

#: How often a follower looks at the store (wall seconds).
FOLLOW_POLL_S = 0.2

Say = Callable[[str], None]


def holder_alive(job: Job, now_wall: float) -> bool:
    """Whether a worker holds the job's lease now."""
    return job.owner is not None and job.lease_expires is not None and job.lease_expires >= now_wall


def run_or_follow(
    ctx: Context,
    job_id: JobId,
    *,
    observer: Observer | None = None,
    say: Say | None = None,
) -> Job:
    """Run the job in this process if no live worker holds it; else follow it to its end, and
    take it over as soon as its worker's lease expires. ``say`` hears what a person should
    know (who runs the job, a take-over)."""
    ctx.observer = observer
    finished = run_one(ctx, job_id)
    if finished is not None:
        return finished
    job = ctx.store.get_job(job_id)
    if say is not None:
        say(f"job {job_id} is run by worker {job.owner}; following it")
    while True:
        job = ctx.store.get_job(job_id)
        if observer is not None:
            observer(job)
        if not job.status.is_active:
            return job
        if not holder_alive(job, ctx.wall()):
            if say is not None:
                say(f"no live worker holds job {job_id} (was {job.owner}); taking it over")
            finished = run_one(ctx, job_id)
            if finished is not None:
                return finished
        ctx.sleep_wall(FOLLOW_POLL_S)


def follow_events(
    store: Store,
    job_id: JobId,
    *,
    after_seq: int = 0,
    sleep: Callable[[float], None],
    is_over: Callable[[], bool] | None = None,
) -> Iterator[Event]:
    """Every event of the job after ``after_seq``, in order, exactly once, as they are
    written; ends after the job's final event (or when ``is_over`` says so)."""
    last = after_seq
    while True:
        for event in store.list_events(job_id, after_seq=last):
            last = event.seq
            yield event
            if event.kind.ends_job:
                return
        if is_over is not None and is_over():
            return
        if not store.get_job(job_id).status.is_active and not store.list_events(
            job_id, after_seq=last
        ):
            return
        sleep(FOLLOW_POLL_S)
