"""A worker that dies at the worst moment: the intent to move is recorded, the cloud may or may
not have accepted the move. A fresh worker must finish the job without moving anything twice
and without forgetting anything (DESIGN §3: the engine is a reconciler)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from vacate.domain.jobs import Job, JobPhase, JobStatus, Method, Outcome, TaskStatus
from vacate.domain.model import HostName, InstanceId, MigrationId
from vacate.engine.runner import run_one
from vacate.ports.cloud import MigrationKind, MigrationStatus

from .rig import Rig, RigFactory, cloud_of, completed, vm

NAMES = ["vm-a", "vm-b", "vm-c"]


class WorkerDied(BaseException):
    """The process was killed: not an error the engine may catch."""


def die_when(rig: Rig, phase: JobPhase) -> None:
    def observer(job: Job) -> None:
        if job.phase is phase:
            raise WorkerDied(phase.value)

    rig.observers.append(observer)


def fresh_worker_finishes(rig: Rig, job: Job) -> Job:
    rig.observers.clear()
    finished = run_one(rig.worker("worker-2"), job.id)
    assert finished is not None
    return finished


def assert_moved_once_each(rig: Rig, job: Job) -> None:
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert rig.on("src") == []
    for task in job.tasks:
        assert task.outcome is Outcome.MOVED, task.reason
        migrations = rig.migrations(task.instance_id)
        live = [m for m in migrations if m.kind is MigrationKind.LIVE]
        assert len(completed(live)) == 1, f"{task.instance_name} moved {len(live)} times"
        assert len(migrations) == 1, f"{task.instance_name}: {migrations}"
        assert rig.cloud.get_instance(task.instance_id).host == task.destination


def test_a_task_left_starting_before_the_cloud_call_is_moved_exactly_once(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm(n) for n in NAMES]))
    job = rig.enter("src")
    die_when(rig, JobPhase.MOVE)  # planned and disabled; nothing moved yet
    with pytest.raises(WorkerDied):
        run_one(rig.ctx, job.id)
    planned = rig.store.get_job(job.id)
    assert [t.status for t in planned.tasks] == [TaskStatus.PENDING] * 3
    # The dead worker had recorded its intent for vm-a and not called the cloud yet.
    victim = planned.task(InstanceId("vm-a"))
    rig.store.save_task(
        replace(
            victim,
            status=TaskStatus.STARTING,
            attempt=1,
            method=Method.LIVE,
            destination=victim.planned_destination,
            started_at=rig.cloud.clock.now(),
        )
    )

    finished = fresh_worker_finishes(rig, job)

    assert_moved_once_each(rig, finished)
    assert finished.task(InstanceId("vm-a")).attempt == 1


def test_a_worker_killed_right_after_the_cloud_accepted_a_move_is_adopted_not_repeated(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(cloud_of([vm(n) for n in NAMES]))
    real = rig.cloud.live_migrate
    accepted: list[MigrationId] = []

    def accept_then_die(instance_id: InstanceId, dest: HostName | None, **kw: Any) -> MigrationId:
        migration = real(instance_id, dest, **kw)
        accepted.append(migration)
        if len(accepted) == 1:
            raise WorkerDied(f"killed after {migration} was accepted")
        return migration

    monkeypatch.setattr(rig.cloud, "live_migrate", accept_then_die)
    job = rig.enter("src")
    with pytest.raises(WorkerDied):
        run_one(rig.ctx, job.id)
    (first,) = [m for m in rig.migrations() if m.id == accepted[0]]
    orphan = rig.store.get_job(job.id).task(first.instance_id)
    assert orphan.status is TaskStatus.STARTING
    assert orphan.migration_id is None, "the store never heard of the accepted migration"
    assert [m.id for m in rig.migrations(orphan.instance_id)] == accepted

    finished = fresh_worker_finishes(rig, job)

    assert_moved_once_each(rig, finished)
    adopted = finished.task(orphan.instance_id)
    assert adopted.migration_id == accepted[0]
    events = [e for e in rig.store.list_events(job.id) if e.kind == "task.adopted"]
    assert [e.instance_id for e in events] == [orphan.instance_id]


def test_a_worker_killed_after_the_cloud_finished_the_move_records_it_as_moved(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dead worker's move completes while no worker runs; the next one adopts the result."""
    rig = make_rig(cloud_of([vm("vm-a")]))
    real = rig.cloud.live_migrate

    def accept_then_die(instance_id: InstanceId, dest: HostName | None, **kw: Any) -> MigrationId:
        real(instance_id, dest, **kw)
        raise WorkerDied("killed")

    monkeypatch.setattr(rig.cloud, "live_migrate", accept_then_die)
    job = rig.enter("src")
    with pytest.raises(WorkerDied):
        run_one(rig.ctx, job.id)
    monkeypatch.undo()
    rig.cloud.advance_by(600)  # the cloud carries on without Vacate
    assert completed(rig.migrations("vm-a"))

    finished = fresh_worker_finishes(rig, job)

    assert_moved_once_each(rig, finished)


def test_a_retry_interrupted_before_the_cloud_call_is_asked_again_not_failed(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(cloud_of([vm("vm-a")]))
    rig.cloud.inject_migration_failure(InstanceId("vm-a"), count=1)
    real = rig.cloud.live_migrate
    calls: list[Any] = []

    def die_on_the_retry(instance_id: InstanceId, dest: HostName | None, **kw: Any) -> MigrationId:
        calls.append(instance_id)
        if len(calls) == 2:
            raise WorkerDied("killed between recording attempt 2 and asking the cloud")
        return real(instance_id, dest, **kw)

    monkeypatch.setattr(rig.cloud, "live_migrate", die_on_the_retry)
    job = rig.enter("src")
    with pytest.raises(WorkerDied):
        run_one(rig.ctx, job.id)
    (task,) = rig.store.get_job(job.id).tasks
    assert (task.status, task.attempt) == (TaskStatus.STARTING, 2)
    assert [m.status for m in rig.migrations("vm-a")] == [MigrationStatus.FAILED]
    monkeypatch.undo()

    finished = fresh_worker_finishes(rig, job)

    assert finished.status is JobStatus.SUCCEEDED, finished.message
    (task,) = finished.tasks
    assert task.outcome is Outcome.MOVED and task.attempt == 2
    assert [m.status for m in rig.migrations("vm-a")] == [
        MigrationStatus.FAILED,
        MigrationStatus.COMPLETED,
    ]


def test_a_job_resumed_at_every_phase_ends_the_same(make_rig: RigFactory) -> None:
    """Kill the worker after each phase in turn; a fresh worker always finishes the drain."""
    for phase in (JobPhase.DISABLE, JobPhase.MOVE, JobPhase.VERIFY):
        rig = make_rig(cloud_of([vm(n) for n in NAMES]))
        job = rig.enter("src")
        die_when(rig, phase)
        with pytest.raises(WorkerDied):
            run_one(rig.ctx, job.id)
        assert rig.store.get_job(job.id).phase is phase

        finished = fresh_worker_finishes(rig, job)

        assert_moved_once_each(rig, finished)


def test_a_worker_killed_between_confirming_a_cold_move_and_recording_it_finishes_cleanly(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(cloud_of([vm("off", vm_state="stopped")]))
    real = rig.cloud.confirm_resize

    def confirm_then_die(instance_id: InstanceId) -> None:
        real(instance_id)
        raise WorkerDied("killed after confirming")

    monkeypatch.setattr(rig.cloud, "confirm_resize", confirm_then_die)
    job = rig.enter("src")
    with pytest.raises(WorkerDied):
        run_one(rig.ctx, job.id)
    (task,) = rig.store.get_job(job.id).tasks
    assert task.status is TaskStatus.CONFIRMING
    monkeypatch.undo()

    finished = fresh_worker_finishes(rig, job)

    assert finished.status is JobStatus.SUCCEEDED, finished.message
    (task,) = finished.tasks
    assert task.outcome is Outcome.MOVED and task.method is Method.COLD
    (migration,) = rig.migrations("off")
    assert migration.kind is MigrationKind.COLD and migration.status is MigrationStatus.COMPLETED
    off = rig.cloud.get_instance(InstanceId("off"))
    assert off.host == task.destination and off.vm_state.value == "stopped"
