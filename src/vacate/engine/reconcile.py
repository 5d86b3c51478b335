"""Reconcile one move in flight with the cloud's truth: started, watched, confirmed, finished.

The decisions (what a failure means, the next rung of the ladder) are pure functions in
``vacate.planning``; this module reads the snapshot, applies them and records the result.
"""

from __future__ import annotations

from dataclasses import replace

from vacate.domain.errors import NotFound
from vacate.domain.events import EventKind, Retry
from vacate.domain.jobs import Method, Outcome, Task, TaskStatus
from vacate.domain.model import HostName, VmState
from vacate.engine.book import Book
from vacate.engine.calls import send_start
from vacate.engine.ladder import watch
from vacate.engine.tick import Tick
from vacate.planning.escalation import Action
from vacate.planning.retry import DELETED, Next, after_failure
from vacate.ports.cloud import Migration, MigrationStatus


def reconcile(book: Book, tick: Tick, task: Task) -> None:
    if task.status is TaskStatus.STARTING:
        send_start(book, tick.snapshot, tick.cloud, task)
        return
    assert task.migration_id is not None
    try:
        migration = tick.snapshot.migration(task.migration_id)
    except NotFound:
        if _deleted(tick, task):
            book.finish(task, Outcome.SKIPPED, DELETED)
        else:
            book.finish(
                task, Outcome.FAILED, f"migration {task.migration_id} vanished from the cloud"
            )
        return
    try:
        if task.status is TaskStatus.CONFIRMING or migration.status is MigrationStatus.FINISHED:
            _confirm(book, tick, task, migration)
        elif migration.status is MigrationStatus.COMPLETED:
            _completed(book, tick, task, migration)
        elif migration.status in (MigrationStatus.FAILED, MigrationStatus.CANCELLED):
            _failed(book, tick, task, migration)
        else:
            watch(book, tick, task, migration)
    except NotFound as exc:
        if not _deleted(tick, task):
            raise
        book.finish(replace(task, reason=str(exc)), Outcome.SKIPPED, DELETED)


def _deleted(tick: Tick, task: Task) -> bool:
    try:
        return tick.snapshot.instance(task.instance_id).is_gone
    except NotFound:
        return True


def _confirm(book: Book, tick: Tick, task: Task, migration: Migration) -> None:
    """Record that the resize is to be confirmed; confirm it on the next tick (so a worker that
    dies after confirming finds the intent and just checks the result)."""
    if task.status is not TaskStatus.CONFIRMING:
        book.save(replace(task, status=TaskStatus.CONFIRMING))
        return
    if tick.snapshot.instance(task.instance_id).vm_state is VmState.RESIZED:
        tick.cloud.confirm_resize(task.instance_id)
        tick.snapshot.forget(task.instance_id)
    _completed(book, tick, task, tick.cloud.get_migration(migration.id))


def _completed(book: Book, tick: Tick, task: Task, migration: Migration) -> None:
    inst = tick.snapshot.instance(task.instance_id)
    if inst.host != migration.dest:
        book.finish(
            task, Outcome.FAILED, f"migration reported complete but the instance is on {inst.host}"
        )
        return
    end = migration.finished_at if migration.finished_at is not None else book.now
    downtime = migration.downtime_s
    if task.method is Method.COLD:
        was_running = task.state_before in (VmState.ACTIVE.value, VmState.PAUSED.value)
        # The guest stops when the cold migration starts, not when an aborted live
        # attempt before it did.
        downtime = (end - migration.created_at) if was_running else None
    done = replace(
        task,
        destination=HostName(migration.dest) if migration.dest else task.destination,
        downtime_s=downtime,
        bytes_sent=task.bytes_sent + migration.memory_processed_bytes,
        progress=1.0,
    )
    method = task.method.value if task.method else "?"
    # The schedule's own downtime setting is not a rescue: only the rungs taken are named.
    rungs = [s.action for s in task.escalations if s.action != Action.SET_DOWNTIME.value]
    steps = f" after {', '.join(rungs)}" if rungs else ""
    dt = f", {downtime:.2f} s downtime" if downtime is not None else ""
    book.finish(done, Outcome.MOVED, f"{method}-migrated to {migration.dest}{steps}{dt}", at=end)


def _failed(book: Book, tick: Tick, task: Task, migration: Migration) -> None:
    opts = book.job.options
    sent = task.bytes_sent + migration.memory_processed_bytes
    inst = tick.snapshot.instance(task.instance_id)
    decision = after_failure(
        error=migration.error or f"migration {migration.status.value}",
        instance_in_error=inst.vm_state is VmState.ERROR,
        aborted_by_us=any(s.action == Action.ABORT.value for s in task.escalations),
        cancelled=book.job.cancel_requested,
        live=task.method is Method.LIVE,
        cold_fallback=opts.allow_cold_fallback,
        escalations=tuple(s.action for s in task.escalations),
        attempt=task.attempt,
        max_attempts=opts.max_attempts,
        where=str(inst.host),
    )
    task = replace(task, bytes_sent=sent)
    if decision.next is Next.FALLBACK_COLD:
        book.event(EventKind.TASK_FALLBACK, f"{task.instance_name}: {decision.reason}", task)
        book.save(replace(task, status=TaskStatus.PENDING, method=Method.COLD, migration_id=None))
    elif decision.next is Next.RETRY:
        book.event(
            EventKind.TASK_RETRY,
            f"{task.instance_name}: {decision.reason}",
            task,
            Retry(attempt=task.attempt),
        )
        book.save(replace(task, status=TaskStatus.PENDING, migration_id=None))
    else:
        outcome = Outcome.SKIPPED if decision.next is Next.SKIP else Outcome.FAILED
        book.finish(task, outcome, decision.reason)
