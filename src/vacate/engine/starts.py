"""Start more moves, within the limits: the decision half of starting a move.

A start is only *recorded* here (the task becomes ``starting`` with its destination and
attempt); the next tick's reconcile makes the cloud call. So the intent is always committed
before the cloud is asked, and a worker that dies in between finds, on restart, either the
migration the cloud accepted (and adopts it) or none (and asks again): an instance is never
moved twice nor forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from vacate.domain.jobs import Method, Outcome, Task, TaskStatus
from vacate.domain.model import GroupId, HostName, Instance, InstanceId, ServerGroup
from vacate.engine.book import Book
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.filters import group_hosts
from vacate.planning.replacement import choose
from vacate.planning.retry import DELETED
from vacate.planning.slots import Limits, Slots

ACTIVE_STATUSES = (TaskStatus.STARTING, TaskStatus.MIGRATING, TaskStatus.CONFIRMING)


def still_on_source(book: Book, task: Task, inst: Instance | None) -> Instance | None:
    """The instance when it is still on the task's source host; otherwise the task ends
    skipped, saying why (deleted meanwhile, or already moved off by someone else)."""
    if inst is None or inst.is_gone:
        book.finish(task, Outcome.SKIPPED, DELETED)
        return None
    if inst.host != task.source:
        book.finish(task, Outcome.SKIPPED, f"already off {task.source} (now on {inst.host})")
        return None
    return inst


def planned_streams(tasks: list[Task] | tuple[Task, ...]) -> int | None:
    """How many moves the plan's schedule runs at once (``None``: planned without a model)."""
    return max((t.prediction.streams for t in tasks if t.prediction is not None), default=None)


def _slots(book: Book, snapshot: CloudSnapshot, active: list[Task]) -> Slots:
    """The job's limits are ceilings; the schedule's stream count runs under them."""
    opts = book.job.options
    streams = planned_streams(book.tasks) or opts.max_parallel
    unaccepted = [t for t in active if t.status is TaskStatus.STARTING]
    flights = [(m.source, m.dest) for m in snapshot.in_flight]
    flights += [(t.source, t.destination) for t in unaccepted]
    return Slots.counting(
        Limits(
            max_parallel=min(opts.max_parallel, streams),
            max_per_source=min(opts.max_per_source, streams),
            max_per_destination=opts.max_per_destination,
        ),
        active=len(active),
        flights=flights,
    )


def members_of(
    snapshot: CloudSnapshot,
    inst: Instance,
    source: HostName,
    inflight: Mapping[InstanceId, HostName],
) -> dict[GroupId, frozenset[HostName]]:
    """Where the other members of ``inst``'s server groups are: every instance is listed only
    for a member of a group, so a tick that starts ungrouped instances never lists them."""
    if not inst.server_groups:
        return {}
    return group_hosts(inst, snapshot.instances.values(), source=source, inflight=inflight)


def groups_for(snapshot: CloudSnapshot, inst: Instance) -> Mapping[GroupId, ServerGroup]:
    """The server groups a placement of ``inst`` reads: none unless it is in one (the filters
    and weighers only look up the instance's own groups), so they are listed only then."""
    return snapshot.groups if inst.server_groups else {}


def start_more(book: Book, snapshot: CloudSnapshot) -> None:
    """Record as many starts as the limits allow, best planned destination first."""
    opts = book.job.options
    active = [t for t in book.tasks if t.status in ACTIVE_STATUSES]
    pending = [
        t
        for t in book.tasks
        if t.status is TaskStatus.PENDING
        and t.verdict.moves
        and (t.not_before is None or t.not_before <= book.now)
    ]
    if not pending:
        return
    slots = _slots(book, snapshot, active)
    if slots.full:
        return
    inflight: dict[InstanceId, HostName] = {
        t.instance_id: t.destination for t in active if t.destination is not None
    }
    states = snapshot.host_states(inflight)
    for task in pending:
        if slots.full:
            break
        if not slots.source_free(task.source):
            continue
        inst = still_on_source(book, task, snapshot.known(task.instance_id))
        if inst is None:
            continue
        members = members_of(snapshot, inst, task.source, inflight)
        # A retry goes wherever fits best now: the planned host may be why it failed.
        planned = task.planned_destination if task.attempt == 0 else None
        placement = choose(
            inst,
            source=task.source,
            planned=planned,
            target=opts.target,
            states=states,
            groups=groups_for(snapshot, inst),
            hosts_of_groups=members,
        )
        if placement.host is None:
            if slots.active == 0:
                book.finish(task, Outcome.BLOCKED, placement.reason)
            continue  # room may free up when running moves finish
        if not slots.dest_free(placement.host):
            if opts.target is not None:
                continue  # pinned: wait for a slot there
            # The planned host is busy: the next best one with a free slot beats waiting.
            placement = choose(
                inst,
                source=task.source,
                planned=None,
                target=None,
                states={n: s for n, s in states.items() if slots.dest_free(n)},
                groups=groups_for(snapshot, inst),
                hosts_of_groups=members,
            )
        dest = placement.host
        if dest is None:
            continue
        method = task.method or (Method.LIVE if task.verdict.value == "live" else Method.COLD)
        book.save(
            replace(
                task,
                status=TaskStatus.STARTING,
                method=method,
                destination=dest,
                attempt=task.attempt + 1,
                started_at=task.started_at if task.started_at is not None else book.now,
                not_before=None,
                reason="",
            )
        )
        slots.take(task.source, dest)
        inflight[inst.id] = dest
        states[dest] = states[dest].with_instance(inst)
