"""The engine runs the drain schedule: the approach chosen up front, the stream count, and
predictions kept with each task that the simulated cloud then bears out."""

from __future__ import annotations

from pathlib import Path

import pytest
from benches import load_bench

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import from_mapping
from vacate.clouds.sim.state import MemoryState
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job, JobOptions, JobStatus, Method, Outcome
from vacate.domain.prediction import Approach
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.ports.cloud import MigrationStatus
from vacate.store import open_store

from .rig import RigFactory, cloud_of, hot_vm, vm

TESTER = Actor(name="tester")


def test_hot_guests_go_post_copy_at_once_without_waiting_for_a_stall(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot-1"), hot_vm("hot-2"), vm("calm")]))
    job = rig.drain("src")

    assert job.status is JobStatus.SUCCEEDED, job.message
    hot = [t for t in job.tasks if t.instance_name.startswith("hot")]
    for task in hot:
        assert task.outcome is Outcome.MOVED, task.reason
        assert task.prediction is not None and task.prediction.approach is Approach.POST_COPY
        assert [s.action for s in task.escalations] == ["post-copy"]
        assert task.escalations[0].detail.startswith("planned")
        (migration,) = rig.migrations(task.instance_id)
        assert migration.status is MigrationStatus.COMPLETED
        assert migration.passes == 0, "no pre-copy pass was re-sent"
    (calm,) = [t for t in job.tasks if t.instance_name == "calm"]
    assert calm.prediction is not None and calm.prediction.approach is Approach.PRE_COPY
    assert "post-copy" not in [s.action for s in calm.escalations]


def test_without_post_copy_hot_guests_are_throttled_from_the_start(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([hot_vm("hot-1"), hot_vm("hot-2")]))
    job = rig.drain("src", allow_post_copy=False)

    assert job.status is JobStatus.SUCCEEDED, job.message
    for task in job.tasks:
        assert task.prediction is not None
        assert task.prediction.approach is Approach.AUTO_CONVERGE
        first = next(s for s in task.escalations if s.action != "set-downtime")
        assert first.action == "auto-converge" and first.detail.startswith("planned")
        (migration,) = rig.migrations(task.instance_id)
        assert migration.auto_converge
        assert "post-copy" not in [s.action for s in task.escalations]


def test_without_post_copy_the_planned_first_throttle_reaches_the_migration(
    make_rig: RigFactory,
) -> None:
    """The schedule's first throttle is sent with auto-converge, and it pays: the same drain
    on a backend that takes no first throttle re-sends more and takes longer."""
    guests = [hot_vm("hot-1"), hot_vm("hot-2")]
    tuned = make_rig(cloud_of(guests))
    job = tuned.drain("src", allow_post_copy=False)
    plain = make_rig(cloud_of(guests))
    plain.cloud.lacking = {"throttle_initial": False}
    plain_job = plain.drain("src", allow_post_copy=False)

    assert job.status is plain_job.status is JobStatus.SUCCEEDED, (job.message, plain_job.message)
    sent = {}
    for rig, done in ((tuned, job), (plain, plain_job)):
        total = 0.0
        for task in done.tasks:
            (migration,) = rig.migrations(task.instance_id)
            assert task.prediction is not None and migration.auto_converge
            total += migration.memory_processed_bytes
            if rig is tuned:
                first = task.prediction.throttle_initial
                assert first is not None and first > 0.2, task.prediction
                assert migration.throttle >= first
                step = next(s for s in task.escalations if s.action == "auto-converge")
                assert step.detail.endswith(f"from {first:.0%}"), step.detail
            else:
                assert task.prediction.throttle_initial is None
        sent[rig is tuned] = total
    assert sent[True] < sent[False]
    assert _makespan(job) < _makespan(plain_job)


def _makespan(job: Job) -> float:
    starts = [t.started_at for t in job.tasks if t.started_at is not None]
    ends = [t.ended_at for t in job.tasks if t.ended_at is not None]
    return max(ends) - min(starts)


def test_the_predictions_are_kept_with_the_job_and_its_stream_count_is_obeyed(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm(f"v{n}") for n in range(8)]))
    job = rig.drain("src")
    stored = rig.store.get_job(job.id)
    predictions = [t.prediction for t in stored.tasks]
    assert all(p is not None for p in predictions)
    streams = {p.streams for p in predictions if p is not None}
    assert len(streams) == 1
    (limit,) = streams
    spans = [(t.started_at, t.ended_at) for t in stored.tasks]
    for start, _ in spans:
        assert start is not None
        running = [1 for s, e in spans if s is not None and e is not None and s <= start < e]
        assert len(running) <= limit


@pytest.mark.parametrize(
    "name,seed,post_copy",
    [("mixed", 12, True), ("hot", 13, True), ("mixed", 12, False), ("hot", 13, False)],
)
def test_the_predicted_makespan_is_within_ten_percent_of_the_simulated_drain(
    tmp_path: Path, name: str, seed: int, post_copy: bool
) -> None:
    bench = load_bench("drain")
    spec = bench.scenario(name, seed)
    cloud = SimCloud(MemoryState(from_mapping(spec)), speed=None)
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    ctx = Context(cloud=cloud, store=store, clock=cloud.clock, owner="t", poll_s=2.0)
    options = JobOptions(reason="bench", allow_post_copy=post_copy)
    plan = commands.preflight(ctx, bench.SOURCE, options)
    assert plan.makespan_s is not None
    job = commands.migrate_instances(ctx, bench.SOURCE, options, actor=TESTER)
    assert run_one(ctx, job.id) is not None
    done = store.get_job(job.id)
    assert all(t.outcome is Outcome.MOVED for t in done.tasks)
    starts = [t.started_at for t in done.tasks if t.started_at is not None]
    ends = [t.ended_at for t in done.tasks if t.ended_at is not None]
    makespan = max(ends) - min(starts)
    assert abs(makespan - plan.makespan_s) <= 0.10 * makespan, (makespan, plan.makespan_s)


def test_max_downtime_holds_every_limit_and_forbids_pausing_a_guest(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([hot_vm("hot-1"), hot_vm("hot-2"), vm("calm")]))
    job = rig.drain("src", allow_post_copy=False, max_downtime_ms=120.0, allow_cold_fallback=True)

    assert not job.status.is_active
    for task in job.tasks:
        actions = [s.action for s in task.escalations]
        assert "force-complete" not in actions and "post-copy" not in actions
        for migration in rig.migrations(task.instance_id):
            if migration.kind.value == "live":
                assert migration.downtime_limit_ms <= 120.0
        if task.downtime_s is not None and task.method is Method.LIVE:
            assert task.downtime_s <= 0.120 * 1.05  # the switch-over included


@pytest.mark.parametrize("poll_s", [1.0, 4.0])
def test_max_downtime_is_in_force_from_the_first_byte_of_short_migrations(
    make_rig: RigFactory, poll_s: float
) -> None:
    """Small guests finish a few seconds after their setup: a limit sent once the engine first
    sees them running would come after their final copy, under the backend's 300 ms."""
    small = [vm(f"v{n}", flavor="m1.small") for n in range(8)]
    rig = make_rig(cloud_of(small), poll_s=poll_s)
    job = rig.drain("src", max_downtime_ms=100.0)

    assert job.status is JobStatus.SUCCEEDED, job.message
    for task in job.tasks:
        (migration,) = rig.migrations(task.instance_id)
        assert migration.downtime_limit_ms <= 100.0 - 50.0, (task.instance_name, migration)
        assert task.downtime_s is not None and task.downtime_s <= 0.100, task
