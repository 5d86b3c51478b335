"""Regressions for the defects a review found, one scenario (or a few) each: stale workers,
aborts that never reached the cloud, cancels that race a claim or land before anything moved,
moves into a host being drained, failed exits, the per-destination limit, restore after a
retried drain, the simulated clock shared by processes, and cancelled migrate jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import generate
from vacate.clouds.sim.state import FileState
from vacate.domain import errors
from vacate.domain.actors import Actor
from vacate.domain.errors import Conflict, PermanentError, TemporaryError
from vacate.domain.jobs import Job, JobOptions, JobPhase, JobStatus, Outcome, Task, Verdict
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, MigrationId, VmState
from vacate.engine import commands, preflight
from vacate.engine.runner import run_one, run_until_idle, tick_once
from vacate.engine.steps import verify
from vacate.engine.tick import Memory
from vacate.planning.escalation import LadderPolicy
from vacate.planning.preflight import DrainPlan
from vacate.ports.cloud import MigrationStatus

from .rig import Rig, RigFactory, cloud_of, hot_vm, vm

TESTER = Actor(name="tester", origin="test")

#: Every scenario here ends within minutes of simulated time. The old code looped for ever in
#: some of them, so they stop at this, well before the rig's own watchdog.
SIM_BUDGET_S = 600.0

#: The completion timeout comes quickly (5 s per GiB to send: half a minute for a hot guest)
#: and the abort is the only rung taken.
QUICK_ABORT = LadderPolicy(use_ladder=False, completion_timeout_s_per_gib=5)


class Crash(BaseException):
    """The worker process dies at this line (SIGKILL): nothing after it runs."""


class StuckScenario(AssertionError):
    """The engine kept going far beyond what the scenario needs."""


@dataclass
class Wall:
    """A wall clock the test moves: leases and real-speed simulated time read it."""

    t: float = 1000.0

    def __call__(self) -> float:
        return self.t


def with_budget(rig: Rig, seconds: float = SIM_BUDGET_S) -> Rig:
    """Fail (instead of spinning) once a job has run ``seconds`` of simulated time."""

    def guard(job: Job) -> None:
        if rig.cloud.clock.now() > seconds:
            raise StuckScenario(
                f"job {job.id} still {job.status.value}/{job.phase.value} "
                f"at {rig.cloud.clock.now():.0f} simulated seconds"
            )

    rig.observers.append(guard)
    return rig


def with_wall(rig: Rig) -> Wall:
    wall = Wall()
    rig.ctx.wall = wall
    return wall


def moving_into(rig: Rig, host: str) -> list[MigrationId]:
    return [m.id for m in rig.running_migrations() if m.dest == host]


def state_of(rig: Rig, host: str) -> MaintenanceState:
    return rig.store.get_maintenance(HostName(host)).state


def event_kinds(rig: Rig, job: Job) -> list[str]:
    return [e.kind for e in rig.store.list_events(job.id)]


# -- 1. a worker that stalled past its lease -------------------------------------------------


def test_a_worker_that_lost_its_lease_can_write_neither_tasks_nor_the_job(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a1")]))
    wall = with_wall(rig)
    job = rig.enter("src", reason="fw")
    planned = Task(
        job_id=job.id,
        instance_id=InstanceId("a1"),
        instance_name="a1",
        state_before=VmState.ACTIVE.value,
        verdict=Verdict.LIVE,
        source=HostName("src"),
    )
    rig.store.put_tasks(job.id, [planned])
    assert rig.store.acquire_lease(job.id, "stale", ttl_s=15, now=wall())
    wall.t += 60  # the first worker stalls past its lease and another one takes the job
    assert rig.store.acquire_lease(job.id, "successor", ttl_s=15, now=wall())
    (task,) = rig.store.get_job(job.id).tasks

    with pytest.raises(errors.LeaseLost):
        rig.store.save_task(replace(task, reason="by the stale worker"), owner="stale")
    with pytest.raises(errors.LeaseLost):
        rig.store.update_job(job.id, owner="stale", message="by the stale worker")

    record = rig.store.get_job(job.id)
    assert record.tasks[0].reason == "" and record.message != "by the stale worker"
    rig.store.save_task(replace(task, reason="by the holder"), owner="successor")
    rig.store.update_job(job.id, owner="successor", message="by the holder")
    record = rig.store.get_job(job.id)
    assert record.tasks[0].reason == record.message == "by the holder"


def test_a_worker_stalled_past_its_lease_leaves_its_successors_move_alone_and_it_moves_once(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1")])))
    wall = with_wall(rig)
    job = rig.enter("src", reason="fw")
    real_live_migrate = rig.cloud.live_migrate
    successor = rig.worker("successor")
    stalled: list[bool] = []
    taken_over: list[Task] = []

    def stalled_live_migrate(
        instance_id: InstanceId, dest: HostName | None, **kw: Any
    ) -> MigrationId:
        if not stalled:  # the first worker's call hangs for a minute, past its 15 s lease ...
            stalled.append(True)
            wall.t += 60
            assert rig.store.acquire_lease(job.id, "successor", ttl_s=15, now=wall())
            tick_once(successor, rig.store.get_job(job.id), Memory())  # ... it starts it
            taken_over.append(rig.store.get_job(job.id).tasks[0])
        return real_live_migrate(instance_id, dest, **kw)  # then the stale call reaches the cloud

    monkeypatch.setattr(rig.cloud, "live_migrate", stalled_live_migrate)
    assert run_one(rig.ctx, job.id) is None, "the stale worker should have stopped"
    monkeypatch.setattr(rig.cloud, "live_migrate", real_live_migrate)

    (successors,) = taken_over
    assert successors.migration_id is not None
    assert rig.store.get_job(job.id).tasks[0] == successors, "the stale worker overwrote it"

    wall.t += 60  # the successor dies too; a third worker finishes the job
    finished = rig.run(job, rig.worker("third"))

    assert finished.status is JobStatus.SUCCEEDED, finished.message
    (task,) = finished.tasks
    assert task.outcome is Outcome.MOVED and task.migration_id == successors.migration_id
    (migration,) = rig.migrations("a1")
    assert migration.status is MigrationStatus.COMPLETED
    assert rig.cloud.get_instance(InstanceId("a1")).host == task.destination == migration.dest
    assert state_of(rig, "src") is MaintenanceState.MAINTENANCE


# -- 2. an abort recorded but never delivered -----------------------------------------------


def test_an_abort_recorded_by_a_worker_that_died_before_sending_it_is_sent_by_the_next(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = with_budget(make_rig(cloud_of([hot_vm("hot")]), ladder=QUICK_ABORT))
    wall = with_wall(rig)
    job = rig.enter("src", reason="fw", fixed_limits=True)

    def die(migration_id: MigrationId) -> None:
        raise Crash("killed just before the abort reached the cloud")

    monkeypatch.setattr(rig.cloud, "abort_migration", die)
    with pytest.raises(Crash):
        run_one(rig.ctx, job.id)
    monkeypatch.undo()
    recorded = rig.store.get_job(job.id).tasks[0]
    assert [s.action for s in recorded.escalations] == ["abort"]
    (migration,) = rig.migrations("hot")
    assert not migration.status.is_terminal, "the abort was never sent"

    wall.t += 100  # the dead worker's lease has expired
    finished = rig.run(job, rig.worker("next"))

    assert finished.status is JobStatus.FAILED
    (task,) = finished.tasks
    assert task.outcome is Outcome.FAILED and "abort" in task.reason
    assert "abort" in finished.message
    (migration,) = rig.migrations("hot")
    assert migration.status is MigrationStatus.CANCELLED
    hot = rig.cloud.get_instance(InstanceId("hot"))
    assert hot.host == "src" and hot.vm_state is VmState.ACTIVE
    assert state_of(rig, "src") is MaintenanceState.ERROR


def test_an_abort_the_cloud_refused_is_sent_again_until_it_takes(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = with_budget(make_rig(cloud_of([hot_vm("hot")]), ladder=QUICK_ABORT))
    real_abort = rig.cloud.abort_migration
    tries: list[float] = []

    def refuse_once(migration_id: MigrationId) -> None:
        tries.append(rig.cloud.clock.now())
        if len(tries) == 1:
            raise Conflict("migration is in a state that cannot be aborted")
        real_abort(migration_id)

    monkeypatch.setattr(rig.cloud, "abort_migration", refuse_once)
    job = rig.drain("src", reason="fw", fixed_limits=True)

    assert job.status is JobStatus.FAILED and "abort" in job.message
    assert len(tries) == 2 and tries[1] - tries[0] >= QUICK_ABORT.patience_s
    (migration,) = rig.migrations("hot")
    assert migration.status is MigrationStatus.CANCELLED
    assert rig.cloud.get_instance(InstanceId("hot")).host == "src"


# -- 3. a cancel between a worker's claim and its start --------------------------------------


def test_a_job_cancelled_after_a_worker_claimed_it_but_before_it_started_stays_cancelled(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1"), vm("a2")])))
    job = rig.enter("src", reason="fw")
    real_claim = rig.store.claim_next

    def claim_then_operator_cancels(
        owner: str, *, ttl_s: float, now: float, at: float
    ) -> Job | None:
        claimed = real_claim(owner, ttl_s=ttl_s, now=now, at=at)
        if claimed is not None and claimed.status is JobStatus.QUEUED:
            commands.cancel(
                rig.ctx, claimed.id, actor=Actor(name="tester")
            )  # the CLI, concurrently
        return claimed

    monkeypatch.setattr(rig.store, "claim_next", claim_then_operator_cancels)
    run_until_idle(rig.ctx)

    record = rig.store.get_job(job.id)
    assert record.status is JobStatus.CANCELLED
    assert "job.started" not in event_kinds(rig, record)
    assert rig.migrations() == []
    assert rig.cloud.get_host("src").is_enabled
    assert state_of(rig, "src") is MaintenanceState.OPERATIONAL
    assert rig.enter("src", reason="again").status is JobStatus.QUEUED


# -- 4. a move into the host in flight when the host enters maintenance -----------------------


def test_a_host_entering_maintenance_waits_for_a_move_into_it_then_drains_what_arrived(
    make_rig: RigFactory,
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("b1", host="s2")], source="s2")))
    rig.cloud.live_migrate(InstanceId("b1"), HostName("d1"))  # another tool, just before

    job = rig.drain("d1", reason="fw")

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert state_of(rig, "d1") is MaintenanceState.MAINTENANCE
    assert rig.on("d1") == [] and moving_into(rig, "d1") == []
    assert job.task(InstanceId("b1")).outcome is Outcome.MOVED
    rig.cloud.clock.sleep(600)
    assert rig.on("d1") == [], "an instance landed on a host in maintenance"


def test_a_move_into_the_host_that_never_finishes_leaves_the_host_in_error_naming_it(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("b1", host="s2")], source="s2"))
    with_budget(rig, verify.INBOUND_WAIT_S + SIM_BUDGET_S)
    migration = rig.cloud.live_migrate(InstanceId("b1"), HostName("d1"))  # never converges

    job = rig.drain("d1", reason="fw")

    assert job.status is JobStatus.FAILED
    record = rig.store.get_maintenance(HostName("d1"))
    assert record.state is MaintenanceState.ERROR
    assert "b1" in record.reason and migration in record.reason
    assert rig.cloud.clock.now() >= verify.INBOUND_WAIT_S


# -- 5. a failed exit ------------------------------------------------------------------------


def test_an_exit_the_cloud_refuses_to_enable_ends_in_error_and_can_be_retried(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1")])))
    assert rig.drain("src", reason="fw").status is JobStatus.SUCCEEDED

    def refuse(host: str) -> None:
        raise PermanentError("policy does not allow os_compute_api:os-services:update")

    monkeypatch.setattr(rig.cloud, "enable_service", refuse)
    failed = rig.run(rig.exit("src"))
    monkeypatch.undo()

    assert failed.status is JobStatus.FAILED
    assert "enabling the service" in failed.message
    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.ERROR and "enabling the service" in record.reason

    retried = rig.run(rig.exit("src"))

    assert retried.status is JobStatus.SUCCEEDED, retried.message
    assert state_of(rig, "src") is MaintenanceState.OPERATIONAL
    assert rig.cloud.get_host("src").is_enabled


# -- 6. a cancel before anything moved --------------------------------------------------------


def _cancel_while_planning(rig: Rig, job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    def plan_for(*args: Any, **kwargs: Any) -> DrainPlan:
        commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))
        return preflight.plan_for(*args, **kwargs)

    monkeypatch.setattr("vacate.engine.steps.plan.plan_for", plan_for)


def _cancel_once_planned(rig: Rig, job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    def cancel_after_preflight(seen: Job) -> None:
        if seen.phase is JobPhase.DISABLE and not seen.cancel_requested:
            commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))

    rig.observers.append(cancel_after_preflight)


def _cancel_while_disabling(rig: Rig, job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    real_disable = rig.cloud.disable_service

    def disable_then_lose_the_answer(host: str, reason: str) -> None:
        real_disable(host, reason)
        if not rig.store.get_job(job.id).cancel_requested:
            commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))
        raise TemporaryError("the answer timed out", delay=1.0)

    monkeypatch.setattr(rig.cloud, "disable_service", disable_then_lose_the_answer)


@pytest.mark.parametrize(
    "cancel",
    [_cancel_while_planning, _cancel_once_planned, _cancel_while_disabling],
    ids=["while-planning", "once-planned", "while-disabling"],
)
def test_a_drain_cancelled_before_anything_moved_puts_the_host_back_as_it_found_it(
    make_rig: RigFactory,
    monkeypatch: pytest.MonkeyPatch,
    cancel: Callable[[Rig, Job, pytest.MonkeyPatch], None],
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1"), vm("a2")])))
    job = rig.enter("src", reason="fw")
    cancel(rig, job, monkeypatch)

    finished = rig.run(job)

    assert finished.status is JobStatus.CANCELLED, finished.message
    assert rig.migrations() == []
    assert all(i.host == "src" for i in rig.instances().values())
    assert all(t.outcome in (None, Outcome.SKIPPED) for t in finished.tasks)
    host = rig.cloud.get_host("src")
    assert host.is_enabled, f"left disabled: {host.disabled_reason}"
    assert state_of(rig, "src") is MaintenanceState.OPERATIONAL


def test_a_drain_cancelled_before_anything_moved_leaves_a_service_someone_else_disabled(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1")])))
    rig.cloud.disable_service("src", "hardware ticket 4711")
    job = rig.enter("src", reason="fw")
    _cancel_while_planning(rig, job, monkeypatch)

    finished = rig.run(job)

    assert finished.status is JobStatus.CANCELLED, finished.message
    assert rig.migrations() == []
    host = rig.cloud.get_host("src")
    assert not host.is_enabled and host.disabled_reason == "hardware ticket 4711"
    assert state_of(rig, "src") is MaintenanceState.OPERATIONAL


# -- 7. the per-destination limit across jobs ------------------------------------------------


def test_two_drains_into_one_destination_never_have_more_moves_in_flight_there_than_the_limit(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = [vm(f"a{n}", host="s1", flavor="m1.small") for n in range(4)]
    small += [vm(f"b{n}", host="s2", flavor="m1.small") for n in range(4)]
    hosts = [{"name": "s1"}, {"name": "s2"}, {"name": "d1"}]
    rig = with_budget(make_rig(cloud_of(small, hosts=hosts)))
    first = rig.enter("s1", reason="fw", max_per_destination=3)
    second = rig.enter("s2", reason="fw", max_per_destination=3)
    real_live_migrate = rig.cloud.live_migrate
    peak: list[int] = []

    def counting_live_migrate(
        instance_id: InstanceId, dest: HostName | None, **kw: Any
    ) -> MigrationId:
        migration = real_live_migrate(instance_id, dest, **kw)
        peak.append(len(moving_into(rig, "d1")))
        return migration

    started: list[str] = []

    def second_worker_starts(job: Job) -> None:  # while the first job's moves are in flight
        if job.id == first.id and moving_into(rig, "d1") and second.id not in started:
            started.append(second.id)
            rig.run(second, rig.worker("w2"))

    monkeypatch.setattr(rig.cloud, "live_migrate", counting_live_migrate)
    rig.observers.append(second_worker_starts)
    done = rig.run(first, rig.worker("w1"))

    assert started, "the second drain never ran alongside the first"
    assert done.status is JobStatus.SUCCEEDED, done.message
    assert rig.store.get_job(second.id).status is JobStatus.SUCCEEDED
    assert len(rig.on("d1")) == 8
    assert max(peak) <= 3, f"up to {max(peak)} migrations into d1 at once"


# -- 8. exit --restore after a failed drain and its retry ------------------------------------


def test_exit_with_restore_brings_back_the_instances_of_a_failed_drain_and_of_its_retry(
    make_rig: RigFactory,
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1"), vm("lk", locked=True)])))
    first = rig.drain("src", reason="fw")
    assert first.status is JobStatus.FAILED
    assert first.task(InstanceId("a1")).outcome is Outcome.MOVED
    assert state_of(rig, "src") is MaintenanceState.ERROR
    retry = rig.drain("src", reason="fw", allow_locked=True)
    assert retry.status is JobStatus.SUCCEEDED, retry.message

    restored = rig.run(rig.exit("src", restore=True))

    assert restored.status is JobStatus.SUCCEEDED, restored.message
    assert {t.instance_id for t in restored.tasks} == {"a1", "lk"}
    assert all(t.outcome is Outcome.MOVED for t in restored.tasks)
    assert rig.hosts_of() == {"a1": "src", "lk": "src"}


# -- 9. one simulated clock for every process ------------------------------------------------


def test_times_seen_through_two_processes_at_different_speeds_never_go_backwards(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sim.json"
    FileState(path).write(generate(hosts=3, instances=4, seed=1))
    wall = Wall()
    worker = SimCloud(FileState(path), speed=20.0, wall=wall)
    cli = SimCloud(FileState(path), speed=1.0, wall=wall)
    seen: list[tuple[str, float]] = []

    def look(name: str, cloud: SimCloud, *, after: float = 0.0, call: bool = False) -> float:
        wall.t += after
        if call:
            cloud.list_hosts()
        seen.append((name, cloud.clock.now()))
        return seen[-1][1]

    look("worker", worker)
    look("worker", worker, after=10, call=True)
    look("cli", cli, after=1, call=True)  # the CLI re-anchors the shared clock at its speed
    look("worker", worker, after=10)
    look("worker", worker, call=True)
    look("cli", cli, after=5)
    look("worker", worker, after=5)

    times = [t for _, t in seen]
    assert times == sorted(times), f"time went backwards: {seen}"


def test_a_migration_is_never_created_before_a_time_the_other_process_recorded_just_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sim.json"
    FileState(path).write(generate(hosts=3, instances=4, seed=1))
    wall = Wall()
    worker = SimCloud(FileState(path), speed=20.0, wall=wall)
    cli = SimCloud(FileState(path), speed=1.0, wall=wall)
    worker.list_hosts()
    wall.t += 10
    worker.list_hosts()
    wall.t += 1
    cli.list_hosts()  # re-anchors the shared clock at the CLI's speed
    wall.t += 10

    started_at = worker.clock.now()  # the worker records a task as started ...
    movable = next(i for i in cli.list_instances() if i.vm_state is VmState.ACTIVE)
    migration = cli.get_migration(cli.live_migrate(movable.id, None))  # ... then it starts

    assert migration.created_at >= started_at


# -- 10. a cancelled migrate-instances job ---------------------------------------------------


def _cancel_mid_move(rig: Rig, job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    def cancel_after_the_first_move(seen: Job) -> None:
        if any(t.outcome is Outcome.MOVED for t in seen.tasks) and not seen.cancel_requested:
            commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))

    rig.observers.append(cancel_after_the_first_move)


@pytest.mark.parametrize(
    "cancel",
    [_cancel_while_planning, _cancel_mid_move],
    ids=["while-planning", "mid-move"],
)
def test_a_cancelled_migrate_instances_job_ends_cancelled_not_failed(
    make_rig: RigFactory,
    monkeypatch: pytest.MonkeyPatch,
    cancel: Callable[[Rig, Job, pytest.MonkeyPatch], None],
) -> None:
    rig = with_budget(make_rig(cloud_of([vm("a1"), vm("a2"), vm("a3")])))
    job = commands.migrate_instances(rig.ctx, "src", JobOptions(max_parallel=1), actor=TESTER)
    cancel(rig, job, monkeypatch)

    finished = rig.run(job)

    assert finished.cancel_requested
    assert finished.status is JobStatus.CANCELLED, finished.message
    assert any(i.host == "src" for i in rig.instances().values())
