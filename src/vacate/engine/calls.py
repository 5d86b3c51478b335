"""The thin part that acts: ask the cloud to start a recorded move, and classify its answer."""

from __future__ import annotations

from dataclasses import replace

from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError
from vacate.domain.events import EventKind, Retry, TaskStarted
from vacate.domain.jobs import Method, Outcome, Task, TaskStatus
from vacate.domain.model import MigrationId
from vacate.engine.book import Book
from vacate.engine.ladder import planned_limit_ms
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.placement import sent_destination
from vacate.planning.retry import Next, Refusal, after_refusal
from vacate.ports.cloud import Cloud, MigrationStatus


def _refusal(exc: Exception) -> tuple[Refusal, float]:
    if isinstance(exc, TemporaryError):
        return Refusal.TEMPORARY, exc.delay
    if isinstance(exc, NotFound):
        return Refusal.GONE, 0.0
    if isinstance(exc, Conflict):
        return Refusal.CONFLICT, 0.0
    return Refusal.PERMANENT, 0.0


def send_start(book: Book, snapshot: CloudSnapshot, cloud: Cloud, task: Task) -> None:
    """A ``starting`` task: adopt the migration the cloud already accepted for it (a worker
    died between asking and recording), or ask now."""
    since = task.started_at or 0.0
    # A failed or cancelled migration belongs to an earlier attempt: this one's is live
    # (or done), or the cloud never got the call.
    accepted = [
        m
        for m in snapshot.migrations_of(task.instance_id)
        if m.created_at >= since
        and m.source == task.source
        and m.status not in (MigrationStatus.FAILED, MigrationStatus.CANCELLED)
    ]
    if accepted:
        mig = accepted[-1]
        adopted = book.save(
            replace(task, status=TaskStatus.MIGRATING, migration_id=mig.id, destination=mig.dest)
        )
        book.event(
            EventKind.TASK_ADOPTED,
            f"{task.instance_name}: resumed watching {mig.id}",
            adopted,
            TaskStarted(
                migration_id=mig.id,
                method=(task.method or Method.LIVE).value,
                destination=mig.dest,
                attempt=task.attempt,
            ),
        )
        return
    assert task.destination is not None and task.method is not None
    method = task.method
    dest = sent_destination(
        book.job.options, cloud.capabilities.default_placement, task.destination
    )
    # The schedule's limit (within --max-downtime) from the first byte: sent later, a short
    # migration could end, or stop for its final copy, under the backend's default first.
    limit = (
        planned_limit_ms(task, book.job.options) if cloud.capabilities.downtime_control else None
    )
    try:
        if method is Method.LIVE:
            mig_id: MigrationId = cloud.live_migrate(
                task.instance_id, dest, downtime_limit_ms=limit
            )
        else:
            mig_id = cloud.cold_migrate(task.instance_id, dest)
    except (TemporaryError, Conflict, PermanentError, NotFound) as exc:
        refused(book, task, exc)
        return
    snapshot.forget(task.instance_id)
    started = book.save(replace(task, status=TaskStatus.MIGRATING, migration_id=mig_id))
    where = (
        f"to {task.destination}"
        if dest is not None
        else f"(the cloud's scheduler chooses; the plan predicted {task.destination})"
    )
    with_limit = (
        f", downtime limit {limit:.0f} ms" if limit is not None and method is Method.LIVE else ""
    )
    book.event(
        EventKind.TASK_STARTED,
        f"{task.instance_name}: {method.value} migration {where} started{with_limit}",
        started,
        TaskStarted(
            migration_id=mig_id,
            method=method.value,
            destination=task.destination,
            attempt=task.attempt,
        ),
    )


def refused(book: Book, task: Task, exc: Exception) -> None:
    """The cloud would not start the move: retry later (counting the attempt) or end it."""
    refusal, delay = _refusal(exc)
    method = (task.method or Method.LIVE).value
    decision = after_refusal(
        refusal,
        attempt=task.attempt,
        max_attempts=book.job.options.max_attempts,
        message=str(exc),
        method=method,
        delay_s=delay,
    )
    if decision.next is Next.SKIP:
        book.finish(task, Outcome.SKIPPED, decision.reason)
    elif decision.next is Next.RETRY:
        retry = book.save(
            replace(
                task,
                status=TaskStatus.PENDING,
                destination=None,
                reason=decision.reason,
                not_before=book.now + decision.delay_s if decision.delay_s else None,
            )
        )
        wait = f"; retrying in {decision.delay_s:.0f} s" if decision.delay_s else "; retrying"
        book.event(
            EventKind.TASK_RETRY,
            f"{task.instance_name}: {exc}{wait}",
            retry,
            Retry(attempt=task.attempt, delay_s=decision.delay_s),
        )
    else:
        book.finish(task, Outcome.FAILED, decision.reason)
