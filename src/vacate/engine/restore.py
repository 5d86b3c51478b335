"""``exit --restore``: move instances back to the host they were drained from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from vacate.domain.errors import NotFound
from vacate.domain.jobs import Job, JobKind, JobOptions, Method, Outcome, Task, Verdict
from vacate.domain.model import HostName, Instance, VmState
from vacate.engine.tick import Tick
from vacate.planning.restore_schedule import MoveBack, schedule_restore
from vacate.ports.store import Store

#: How a drain was told its guests may move; moving them back obeys the same.
_CARRIED = (
    "allow_post_copy",
    "max_downtime_ms",
    "max_parallel",
    "max_per_source",
    "allow_cold_fallback",
    "fixed_limits",
)


def drains_of_this_maintenance(
    store: Store, host: str, *, before: Job | None = None
) -> Iterator[Job]:
    """The drains of ``host`` since it was last put back in service, newest first (only those
    older than ``before``, an exit job, when given)."""
    for earlier in store.list_jobs(host=host, limit=1000):  # newest first
        if before is not None and (
            earlier.id == before.id or earlier.created_at > before.created_at
        ):
            continue
        if earlier.kind is JobKind.EXIT_MAINTENANCE and not earlier.status.is_active:
            return  # the host was back in service then: older drains are history
        if earlier.kind is JobKind.ENTER_MAINTENANCE:
            yield earlier


def restore_options(store: Store, host: HostName, *, restore: bool) -> JobOptions:
    """An exit's options: back in service, and (``restore``) moved back under the move
    constraints of the newest drain (``--no-post-copy``, ``--max-downtime``, the limits…): the
    way back must not pause a guest longer, or use post-copy, where the way out might not."""
    newest = next(drains_of_this_maintenance(store, host), None) if restore else None
    carried = {} if newest is None else {n: getattr(newest.options, n) for n in _CARRIED}
    return JobOptions(reason="back in service", restore=restore, target=host, **carried)


def _moved_since_last_exit(tick: Tick, job: Job) -> list[Task]:
    """Every instance the drains since the host was last put back in service moved away (a
    failed attempt and its retry both count), the newest record per instance."""
    moved: dict[str, Task] = {}
    for drain in drains_of_this_maintenance(tick.store, job.host, before=job):
        for task in drain.tasks:
            if task.outcome is Outcome.MOVED and task.instance_id not in moved:
                moved[task.instance_id] = task
    return list(moved.values())


def _left(job: Job, moved: Task, order: int, why: str, inst: Instance | None) -> Task:
    """A task for an instance the drain moved that will not be brought back, saying why."""
    return Task(
        job_id=job.id,
        instance_id=moved.instance_id,
        instance_name=inst.name if inst is not None else moved.instance_name,
        state_before=inst.vm_state.value if inst is not None else moved.state_before,
        verdict=Verdict.SKIP,
        source=(inst.host if inst is not None else None) or moved.destination or job.host,
        order=order,
        reason=why,
    )


def restore_tasks(tick: Tick, job: Job) -> list[Task]:
    """One task per instance moved away by the drains of this maintenance: those still where
    their drain put them to move back, with the schedule's prediction (``schedule_restore``);
    the others skipped, saying where they are now (every instance gets its line)."""
    tasks = []
    back: list[MoveBack] = []
    for order, moved in enumerate(_moved_since_last_exit(tick, job)):
        try:
            inst: Instance | None = tick.snapshot.instance(moved.instance_id)
        except NotFound:
            inst = None
        if inst is None or inst.is_gone:
            tasks.append(_left(job, moved, order, "deleted since the drain", inst))
            continue
        if inst.host is None or inst.host != moved.destination:
            now = f"now on {inst.host}" if inst.host else "on no host now"
            why = f"moved since the drain put it on {moved.destination} ({now}): left there"
            tasks.append(_left(job, moved, order, why, inst))
            continue
        live = inst.vm_state in (VmState.ACTIVE, VmState.PAUSED)
        tasks.append(
            Task(
                job_id=job.id,
                instance_id=inst.id,
                instance_name=inst.name,
                state_before=inst.vm_state.value,
                verdict=Verdict.LIVE if live else Verdict.COLD,
                method=Method.LIVE if live else Method.COLD,
                source=inst.host,
                order=order,
                planned_destination=HostName(job.host),
            )
        )
        back.append(
            MoveBack(
                key=inst.id,
                instance=inst,
                now_on=inst.host,
                now_on_nic_bytes_per_s=_nic(tick, inst.host),
                live=live,
            )
        )
    caps = tick.cloud.capabilities
    predictions = schedule_restore(
        back,
        home_nic_bytes_per_s=_nic(tick, job.host),
        options=job.options,
        stream_cap_bytes_per_s=caps.stream_bytes_per_s,
        throttle_initial=caps.throttle_initial,
    )
    return [replace(t, prediction=predictions.get(t.instance_id)) for t in tasks]


def _nic(tick: Tick, host: str) -> float:
    """A host's NIC speed from the tick's one listing of hosts (0: unknown, or gone)."""
    found = tick.snapshot.hosts.get(HostName(host))
    return found.nic_bytes_per_s if found is not None else 0.0
