"""Evacuate: rebuild each instance of the fenced host elsewhere, highest priority first, and
give it back the power state it had (an evacuated server can come back stopped: the ones that
ran are started).

Destinations are chosen like a drain's (the same filters, capacity and server-group rules, an
optional list of reserved hosts tried first). A start is recorded before the cloud is asked
and adopted after a crash, so nothing is evacuated twice. If the host's service reports up
again before an instance has left, that instance is not evacuated: its guest may be running
there, and rebuilding it elsewhere would run it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError
from vacate.domain.events import EventKind, Retry, TaskStarted
from vacate.domain.jobs import JobPhase, Method, Outcome, Task, TaskStatus, Verdict
from vacate.domain.model import GroupId, HostName, Instance, InstanceId, PowerState, ServiceState
from vacate.engine.book import Book
from vacate.engine.calls import refused
from vacate.engine.starts import groups_for, members_of, still_on_source
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick
from vacate.planning.hoststate import HostState
from vacate.planning.replacement import choose
from vacate.planning.retry import DELETED
from vacate.planning.scheduler import Placement
from vacate.ports.cloud import MigrationKind, MigrationStatus

_ACTIVE = (TaskStatus.STARTING, TaskStatus.MIGRATING, TaskStatus.CONFIRMING)


def came_back(tick: Tick) -> bool:
    """The host's service reports up again though it was down when reported."""
    job = tick.job
    return not job.options.service_up and tick.snapshot.host(job.host).state is ServiceState.UP


def _send(book: Book, tick: Tick, task: Task) -> None:
    """Adopt the evacuation the cloud already accepted for this attempt, or ask for it."""
    since = task.started_at or 0.0
    accepted = [
        m
        for m in tick.snapshot.migrations_of(task.instance_id)
        if m.kind is MigrationKind.EVACUATION
        and m.created_at >= since
        and m.source == task.source
        and m.status not in (MigrationStatus.FAILED, MigrationStatus.CANCELLED)
    ]
    if accepted:
        mig = accepted[-1]
        book.save(replace(task, status=TaskStatus.MIGRATING, migration_id=mig.id))
        book.event(EventKind.TASK_ADOPTED, f"{task.instance_name}: resumed watching {mig.id}")
        return
    try:
        mig_id = tick.cloud.evacuate(task.instance_id, task.destination)
    except (TemporaryError, Conflict, PermanentError, NotFound) as exc:
        refused(book, task, exc)
        return
    tick.snapshot.forget(task.instance_id)
    started = book.save(replace(task, status=TaskStatus.MIGRATING, migration_id=mig_id))
    book.event(
        EventKind.TASK_STARTED,
        f"{task.instance_name}: evacuation to {task.destination} started",
        started,
        TaskStarted(
            migration_id=mig_id,
            method=Method.EVACUATE.value,
            destination=task.destination,
            attempt=task.attempt,
        ),
    )


def _watch(book: Book, tick: Tick, task: Task) -> None:
    assert task.migration_id is not None
    try:
        mig = tick.snapshot.migration(task.migration_id)
    except NotFound:
        book.finish(task, Outcome.FAILED, f"evacuation {task.migration_id} vanished from the cloud")
        return
    if mig.status is MigrationStatus.COMPLETED:
        dest = HostName(mig.dest) if mig.dest else task.destination
        book.save(replace(task, status=TaskStatus.CONFIRMING, destination=dest, progress=1.0))
        return
    if mig.status not in (MigrationStatus.FAILED, MigrationStatus.CANCELLED):
        return
    error = mig.error or f"evacuation {mig.status.value}"
    if task.attempt < book.job.options.max_attempts:
        retry = book.save(
            replace(task, status=TaskStatus.PENDING, migration_id=None, destination=None)
        )
        book.event(
            EventKind.TASK_RETRY,
            f"{task.instance_name}: {error}; trying again",
            retry,
            Retry(attempt=task.attempt),
        )
        return
    book.finish(task, Outcome.FAILED, f"evacuation failed: {error}; it stays on {task.source}")


def _restore_power(book: Book, tick: Tick, task: Task) -> None:
    """Back to the power state it had before the report (idempotent: a crash re-runs it)."""
    try:
        inst = tick.snapshot.instance(task.instance_id)
    except NotFound:
        book.finish(task, Outcome.SKIPPED, DELETED)
        return
    if inst.host != task.destination:
        book.finish(
            task, Outcome.FAILED, f"evacuation reported complete but the instance is on {inst.host}"
        )
        return
    was_running = task.power_before == PowerState.RUNNING.value
    is_running = inst.power_state is PowerState.RUNNING
    try:
        if was_running and not is_running:
            tick.cloud.start_instance(inst.id)
        elif not was_running and is_running:
            tick.cloud.stop_instance(inst.id)
    except (TemporaryError, Conflict) as exc:
        book.event(EventKind.TASK_RETRY, f"{task.instance_name}: {exc}; trying again", task)
        return
    if was_running != is_running:
        verb = "started again" if was_running else "stopped again"
        book.event(
            EventKind.TASK_POWER_RESTORED,
            f"{task.instance_name}: {verb} on {task.destination} (it was {task.power_before})",
            task,
        )
    power = _power_after(task, was_running)
    book.finish(task, Outcome.MOVED, f"evacuated to {task.destination}; {power}")


def _power_after(task: Task, was_running: bool) -> str:
    """What the results say of the power state: exactly what the guest is now. A paused or
    suspended guest is rebuilt from its disk, so its memory is gone: it stays stopped, and the
    line says so rather than claiming it is as it was."""
    before = task.power_before or "stopped"
    if was_running:
        return "running"
    if before in ("shutdown", "stopped", "shutoff", "nostate", "crashed"):
        return f"stopped, as it was ({before})"
    return f"stopped (shutdown): it was {before}, and evacuation rebuilds a guest from its disk"


def _place(
    tick: Tick,
    task: Task,
    inst: Instance,
    states: Mapping[HostName, HostState],
    members: Mapping[GroupId, frozenset[HostName]],
) -> Placement:
    """The first reserved host that fits, else the scheduler's best."""

    def on(target: HostName | None) -> Placement:
        return choose(
            inst,
            source=task.source,
            planned=None,
            target=target,
            states=states,
            groups=groups_for(tick.snapshot, inst),
            hosts_of_groups=members,
        )

    for reserved in tick.job.options.reserved:
        placement = on(reserved)
        if placement.host is not None:
            return placement
    return on(None)


def _start_more(book: Book, tick: Tick) -> None:
    job = book.job
    active = [t for t in book.tasks if t.status in _ACTIVE]
    pending = [
        t
        for t in book.tasks
        if t.status is TaskStatus.PENDING
        and t.verdict is Verdict.EVACUATE
        and (t.not_before is None or t.not_before <= book.now)
    ]
    if not pending:
        return
    inflight: dict[InstanceId, HostName] = {
        t.instance_id: t.destination for t in active if t.destination is not None
    }
    states = tick.snapshot.host_states(inflight)
    for task in pending:
        if len(active) >= job.options.max_parallel:
            return
        inst = still_on_source(book, task, tick.snapshot.known(task.instance_id))
        if inst is None:
            continue
        members = members_of(tick.snapshot, inst, task.source, inflight)
        placement = _place(tick, task, inst, states, members)
        if placement.host is None:
            if not active:
                book.finish(
                    task,
                    Outcome.BLOCKED,
                    f"not evacuated, no room: {placement.reason}; it stays on {task.source}, "
                    "stopped",
                )
            continue
        dest = placement.host
        started = book.save(
            replace(
                task,
                status=TaskStatus.STARTING,
                method=Method.EVACUATE,
                destination=dest,
                attempt=task.attempt + 1,
                started_at=task.started_at if task.started_at is not None else book.now,
                not_before=None,
                reason="",
            )
        )
        active.append(started)
        inflight[inst.id] = dest
        states[dest] = states[dest].with_instance(inst)


def _hold_back(book: Book, tick: Tick) -> None:
    """The host came back: what has not left yet stays, so it never runs twice."""
    for task in book.tasks:
        if task.status is TaskStatus.PENDING and task.verdict is Verdict.EVACUATE:
            book.finish(
                task,
                Outcome.SKIPPED,
                f"not evacuated: the compute service on {task.source} reported up again before "
                "it left, so its guest may be running there (evacuating it would run it twice)",
            )


@dataclass(frozen=True)
class Evacuate:
    phase: JobPhase = JobPhase.EVACUATE
    action: str = "evacuating instances"

    def run(self, tick: Tick) -> StepResult:
        book = Book(tick.job, tick.now)
        for task in book.tasks:
            if task.status is TaskStatus.STARTING:
                _send(book, tick, task)
            elif task.status is TaskStatus.MIGRATING:
                _watch(book, tick, task)
        for task in book.tasks:
            if task.status is TaskStatus.CONFIRMING:
                _restore_power(book, tick, task)
        if tick.job.cancel_requested:
            for task in book.tasks:
                if task.status is TaskStatus.PENDING and task.verdict is Verdict.EVACUATE:
                    book.finish(task, Outcome.SKIPPED, "not evacuated: the job was cancelled")
        elif came_back(tick):
            _hold_back(book, tick)
        else:
            _start_more(book, tick)
        if book.all_done:
            return StepResult(changes=book.changes, done=True)
        intent = any(t.status in (TaskStatus.STARTING, TaskStatus.CONFIRMING) for t in book.tasks)
        return StepResult(changes=book.changes, wait=not intent)
