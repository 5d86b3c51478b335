"""Watch a running live migration: its progress, and the escalation ladder when it will not
converge (the decision is ``planning.escalation.next_step``; this only measures and acts)."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from vacate.domain.errors import Conflict, NotFound
from vacate.domain.events import Escalated, EventKind
from vacate.domain.jobs import EscalationStep, JobOptions, Method, Task, TaskStatus
from vacate.engine.book import Book
from vacate.engine.tick import Tick
from vacate.planning.escalation import (
    Action,
    Capabilities,
    LadderPolicy,
    MigrationProgress,
    next_step,
    planned_step,
)
from vacate.planning.schedule import limit_within
from vacate.ports.cloud import Migration, MigrationStatus


def _track(tick: Tick, migration: Migration) -> float | None:
    """The migration's throughput since the last look (the ladder skips rungs that cannot
    help)."""
    seen, rates = tick.memory.seen, tick.memory.rates
    before = seen.get(migration.id)
    seen[migration.id] = (tick.now, migration.memory_processed_bytes)
    if migration.status is MigrationStatus.RUNNING:
        if before is None:  # first look: a lower bound, since the setup time is included
            before = (migration.created_at, 0.0)
        elapsed = tick.now - before[0]
        if elapsed > 0 and migration.memory_processed_bytes > before[1]:
            rates[migration.id] = (migration.memory_processed_bytes - before[1]) / elapsed
    return rates.get(migration.id)


def _abort_undelivered(book: Book, tick: Tick, task: Task, migration: Migration) -> bool:
    """An abort decided earlier that has not taken effect (refused, or its worker died between
    recording and sending it) is sent again: a decision is only done when it is done. True if
    the task has an abort on record."""
    aborts = [s.at for s in task.escalations if s.action == Action.ABORT.value]
    if not aborts or migration.created_at > max(aborts):
        return False
    book.save(task)
    if tick.now - max(aborts) >= tick.ladder.patience_s:
        with contextlib.suppress(Conflict, NotFound):
            tick.cloud.abort_migration(migration.id)
            book.event(EventKind.TASK_ABORT_RESENT, f"{task.instance_name}: abort sent again", task)
    return True


def watch(book: Book, tick: Tick, task: Task, migration: Migration) -> None:
    bandwidth = _track(tick, migration)
    total = max(migration.memory_total_bytes, 1.0)
    progress = min(
        0.99, migration.memory_processed_bytes / (total + migration.memory_remaining_bytes)
    )
    task = replace(task, progress=progress)
    if task.method is Method.LIVE and _send_pending(book, tick, task, migration):
        return
    if task.method is not Method.LIVE or migration.status in (
        MigrationStatus.QUEUED,
        MigrationStatus.PREPARING,
    ):
        book.save(task)
        return
    if _abort_undelivered(book, tick, task, migration):
        return
    caps = tick.cloud.capabilities
    opts = book.job.options
    state = MigrationProgress(
        started_at=migration.created_at,
        now=tick.now,
        running=migration.status is MigrationStatus.RUNNING,
        post_copy=migration.status is MigrationStatus.POST_COPY,
        passes=migration.passes,
        pass_remaining=migration.pass_remaining,
        remaining_bytes=migration.memory_remaining_bytes,
        memory_bytes=migration.memory_total_bytes,
        downtime_limit_ms=migration.downtime_limit_ms,
        bandwidth=bandwidth,
    )
    steps = [s for s in task.escalations if s.at >= migration.created_at]
    capabilities = Capabilities(
        downtime_control=caps.downtime_control,
        auto_converge=caps.auto_converge,
        post_copy=caps.post_copy and book.job.options.allow_post_copy,
        # A pause lasts as long as the copy it forces: never under --max-downtime.
        force_complete=caps.force_complete and opts.max_downtime_ms is None,
        abort=caps.abort,
    )
    limit = planned_limit_ms(task, opts)
    step = planned_step(
        state, task.prediction, steps, capabilities, downtime_limit_ms=limit
    ) or next_step(state, steps, capabilities, ladder_for(tick, opts))
    if step is None:
        book.save(task)
        return
    action, detail = step
    task = book.save(
        task.with_step(EscalationStep(action=action.value, at=tick.now, detail=detail, sent=False))
    )
    payload = Escalated(action=action.value, migration_id=migration.id)
    book.event(
        EventKind.TASK_ESCALATED, f"{task.instance_name}: {action.value} — {detail}", task, payload
    )


def has_unsent(task: Task) -> bool:
    return any(not s.sent for s in task.escalations)


def _send_pending(book: Book, tick: Tick, task: Task, migration: Migration) -> bool:
    """Carry out a rung recorded on an earlier tick. True if there was one."""
    pending = [i for i, s in enumerate(task.escalations) if not s.sent]
    if not pending:
        return False
    steps = list(task.escalations)
    for index in pending:
        steps[index] = replace(steps[index], sent=True)
    book.save(replace(task, escalations=tuple(steps)))
    for index in pending:
        action = Action(task.escalations[index].action)
        try:
            _send(tick, action, migration, task, book.job.options)
        except (Conflict, NotFound) as exc:
            book.event(
                EventKind.TASK_ESCALATION_REFUSED,
                f"{task.instance_name}: {action.value} refused: {exc}",
                task,
                Escalated(action=action.value, migration_id=migration.id),
            )
    return True


def planned_limit_ms(task: Task, opts: JobOptions) -> float | None:
    """The downtime limit a migration starts with: the schedule's, within ``--max-downtime``."""
    ceiling = opts.max_downtime_ms
    limits = [None if ceiling is None else limit_within(ceiling / 1000) * 1000]
    limits.append(task.prediction.downtime_limit_ms if task.prediction is not None else None)
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def planned_throttle(task: Task, tick: Tick) -> float | None:
    """The first throttle the schedule chose for this guest, where the backend takes one."""
    if task.prediction is None or not tick.cloud.capabilities.throttle_initial:
        return None
    return task.prediction.throttle_initial


def ladder_for(tick: Tick, opts: JobOptions) -> LadderPolicy:
    """The ladder with its downtime ceiling held to ``--max-downtime``."""
    if opts.max_downtime_ms is None:
        return tick.ladder
    ceiling = limit_within(opts.max_downtime_ms / 1000) * 1000
    return replace(tick.ladder, max_downtime_ms=min(tick.ladder.max_downtime_ms, ceiling))


def _send(tick: Tick, action: Action, migration: Migration, task: Task, opts: JobOptions) -> None:
    mig = migration.id
    planned = planned_limit_ms(task, opts)
    if action is Action.SET_DOWNTIME and planned is not None:
        tick.cloud.set_downtime_limit(mig, planned)
    elif action is Action.RAISE_DOWNTIME:
        tick.cloud.set_downtime_limit(mig, ladder_for(tick, opts).max_downtime_ms)
    elif action is Action.AUTO_CONVERGE:
        tick.cloud.enable_auto_converge(mig, initial=planned_throttle(task, tick))
    elif action is Action.POST_COPY:
        tick.cloud.start_post_copy(mig)
    elif action is Action.FORCE_COMPLETE:
        tick.cloud.force_complete(mig)
    else:
        tick.cloud.abort_migration(mig)


def abort_for_cancel(book: Book, tick: Tick) -> None:
    """A cancelled job aborts its running pre-copy migrations (post-copy cannot go back).
    Recorded now, sent on the next tick; if it does not take, ``_abort_undelivered`` sends it
    again."""
    for task in book.tasks:
        if (
            task.status is not TaskStatus.MIGRATING
            or not task.migration_id
            or task.method is not Method.LIVE
            or any(s.action == Action.ABORT.value for s in task.escalations)
        ):
            continue
        with contextlib.suppress(Conflict, NotFound):
            migration = tick.snapshot.migration(task.migration_id)
            if migration.status.is_terminal or migration.status is MigrationStatus.POST_COPY:
                continue
            step = EscalationStep(
                action=Action.ABORT.value, at=tick.now, detail="job cancelled", sent=False
            )
            book.save(task.with_step(step))
