"""Move: one pass over the job's tasks per tick — reconcile what is in flight, then start more
(or, once cancelled, start nothing and abort what can still be aborted)."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.jobs import JobPhase, Outcome, TaskStatus
from vacate.engine.book import Book
from vacate.engine.ladder import abort_for_cancel, has_unsent
from vacate.engine.reconcile import reconcile
from vacate.engine.starts import ACTIVE_STATUSES, start_more
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick


@dataclass(frozen=True)
class Move:
    phase: JobPhase = JobPhase.MOVE
    action: str = "moving instances"

    def run(self, tick: Tick) -> StepResult:
        book = Book(tick.job, tick.now)
        for task in book.tasks:
            if task.status in ACTIVE_STATUSES:
                reconcile(book, tick, task)
        if tick.job.cancel_requested:
            for task in book.tasks:
                if task.status is TaskStatus.PENDING:
                    book.finish(task, Outcome.SKIPPED, "not started: the job was cancelled")
            abort_for_cancel(book, tick)
        else:
            start_more(book, tick.snapshot)
        if book.all_done:
            return StepResult(changes=book.changes, done=True)
        # A recorded intent (a start, a confirm, a rung) is carried out on the very next tick;
        # otherwise time must pass.
        intent = any(
            t.status in (TaskStatus.STARTING, TaskStatus.CONFIRMING) or has_unsent(t)
            for t in book.tasks
        )
        return StepResult(changes=book.changes, wait=not intent)


@dataclass(frozen=True)
class Restore(Move):
    phase: JobPhase = JobPhase.RESTORE
    action: str = "moving instances back"
