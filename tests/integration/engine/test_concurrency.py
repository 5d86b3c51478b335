"""Bounded concurrency and leases: never more moves at once than the operator allowed, and two
workers never act on one job.

Concurrency is measured on the cloud's side, twice: by sampling the cloud's unfinished
migrations after every engine step (the observer hook), and by rebuilding every migration's
[accepted, ended) interval from the cloud's record afterwards. A migration counts from the
moment the cloud accepted it: Nova's own limit holds its slot through the pre-migration setup.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable

import pytest

from vacate.domain.jobs import Job, JobPhase, JobStatus, Outcome
from vacate.domain.model import ServiceStatus
from vacate.engine.runner import run_one
from vacate.ports.cloud import Migration

from .rig import Rig, RigFactory, cloud_of, hot_vm, vm

NAMES = [f"vm-{n:02d}" for n in range(10)]
DESTINATIONS = ("d1", "d2", "d3", "d4")


def most_at_once(migrations: Iterable[Migration], key: Callable[[Migration], object]) -> Counter:
    """For each key, the most migrations whose [created_at, finished_at) intervals overlap."""
    edges: list[tuple[float, int, object]] = []
    for m in migrations:
        end = m.finished_at if m.finished_at is not None else float("inf")
        edges += [(m.created_at, 1, key(m)), (end, -1, key(m))]
    edges.sort(key=lambda e: (e[0], e[1]))  # an end and a start at one instant do not overlap
    now: Counter = Counter()
    most: Counter = Counter()
    for _, step, k in edges:
        now[k] += step
        most[k] = max(most[k], now[k])
    return most


class Sampler:
    """Observer: the most unfinished migrations seen at once, per source, destination, overall."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.per_source: Counter = Counter()
        self.per_dest: Counter = Counter()
        self.overall = 0

    def __call__(self, job: Job) -> None:
        running = self.rig.running_migrations()
        self.overall = max(self.overall, len(running))
        for key, seen in ((lambda m: m.source, self.per_source), (lambda m: m.dest, self.per_dest)):
            for k, n in Counter(key(m) for m in running).items():
                seen[k] = max(seen[k], n)


def drain_with_limits(make_rig: RigFactory, **limits: int) -> tuple[Rig, Job, Sampler]:
    rig = make_rig(cloud_of([vm(n) for n in NAMES], destinations=DESTINATIONS))
    sampler = Sampler(rig)
    rig.observers.append(sampler)
    job = rig.drain("src", **limits)
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert len(rig.migrations()) == len(NAMES)
    return rig, job, sampler


@pytest.mark.parametrize("per_source", [1, 2, 3])
def test_never_more_migrations_from_the_source_at_once_than_max_per_source(
    make_rig: RigFactory, per_source: int
) -> None:
    rig, _, sampler = drain_with_limits(
        make_rig, max_parallel=8, max_per_source=per_source, max_per_destination=8
    )
    assert most_at_once(rig.migrations(), lambda m: m.source)["src"] <= per_source
    assert sampler.per_source["src"] <= per_source


def test_never_more_migrations_at_once_than_max_parallel(make_rig: RigFactory) -> None:
    rig, _, sampler = drain_with_limits(
        make_rig, max_parallel=2, max_per_source=8, max_per_destination=8
    )
    assert max(most_at_once(rig.migrations(), lambda m: "all").values()) <= 2
    assert sampler.overall <= 2


@pytest.mark.parametrize("per_dest", [1, 2])
def test_never_more_migrations_into_a_destination_at_once_than_max_per_destination(
    make_rig: RigFactory, per_dest: int
) -> None:
    rig, _, sampler = drain_with_limits(
        make_rig, max_parallel=8, max_per_source=8, max_per_destination=per_dest
    )
    most = most_at_once(rig.migrations(), lambda m: m.dest)
    assert set(most) <= set(DESTINATIONS)
    assert max(most.values()) <= per_dest
    assert max(sampler.per_dest.values()) <= per_dest
    assert max(most.values()) == per_dest, "the limit should be used, not just respected"


def test_the_limits_are_used_to_move_in_parallel(make_rig: RigFactory) -> None:
    """The other side of the bound: with room for three at once, moves do overlap."""
    rig, _, _ = drain_with_limits(make_rig, max_parallel=3, max_per_source=3, max_per_destination=3)
    assert most_at_once(rig.migrations(), lambda m: m.source)["src"] >= 3


def test_a_second_runner_does_nothing_while_the_first_holds_the_lease_and_finishes_after(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b")]))
    job = rig.enter("src")
    assert rig.store.acquire_lease(job.id, "runner-a", ttl_s=3600, now=time.time())
    events_before = rig.store.list_events(job.id)

    runner_b = rig.worker("runner-b")
    assert run_one(runner_b, job.id) is None

    untouched = rig.store.get_job(job.id)
    assert (untouched.status, untouched.phase, untouched.tasks) == (
        JobStatus.QUEUED,
        JobPhase.PREFLIGHT,
        (),
    )
    assert rig.store.list_events(job.id) == events_before
    assert rig.migrations() == []
    assert rig.cloud.get_host("src").service_status is ServiceStatus.ENABLED
    assert {i.host for i in rig.cloud.list_instances()} == {"src"}

    # Runner A dies without releasing its lease; an hour later it has expired.
    later = rig.worker("runner-b", wall=lambda: time.time() + 3601)
    finished = run_one(later, job.id)

    assert finished is not None and finished.status is JobStatus.SUCCEEDED, finished
    assert rig.on("src") == []
    assert len(rig.migrations()) == 2


def test_a_runner_that_loses_its_lease_stops_at_once(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm(n) for n in NAMES[:4]]))
    job = rig.enter("src")
    seen: list[JobPhase] = []

    def steal_after_disable(current: Job) -> None:
        seen.append(current.phase)
        if current.phase is JobPhase.MOVE and len(seen) == 2:
            # Runner A's lease expired in A's eyes... and runner C took the job over.
            assert rig.store.acquire_lease(job.id, "runner-c", ttl_s=3600, now=time.time() + 10_000)

    rig.observers.append(steal_after_disable)
    assert run_one(rig.ctx, job.id) is None

    stolen = rig.store.get_job(job.id)
    assert stolen.phase is JobPhase.MOVE and stolen.status is JobStatus.RUNNING
    assert all(t.outcome is None for t in stolen.tasks)
    assert rig.migrations() == [], "no move may start after the lease was lost"
    assert not any(t.outcome is Outcome.MOVED for t in stolen.tasks)
    assert rig.store.acquire_lease(job.id, "test", ttl_s=15, now=time.time()) is False


def test_a_guest_that_does_not_converge_holds_its_slot_while_it_escalates(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot"), vm("calm-1"), vm("calm-2")]))
    sending: Counter = Counter()

    def sample(job: Job) -> None:
        running = [m for m in rig.running_migrations() if m.status.value == "running"]
        sending["most"] = max(sending["most"], len(running))

    rig.observers.append(sample)
    job = rig.drain("src", max_parallel=1, max_per_source=1, max_per_destination=1)

    assert job.status is JobStatus.SUCCEEDED, job.message
    (hot,) = rig.migrations("hot")
    assert hot.finished_at is not None
    others = [m for m in rig.migrations() if m.instance_id != "hot"]
    assert all(m.created_at >= hot.finished_at for m in others), "a move overtook the hot guest"
    assert sending["most"] == 1
