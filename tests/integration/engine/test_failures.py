"""Migrations that fail: retried within ``max_attempts``, then reported; a destination that dies
mid-migration is replaced, and nothing lands on it."""

from __future__ import annotations

from collections.abc import Callable

from vacate.domain.jobs import Job, JobOptions, JobPhase, JobStatus, Outcome
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, ServiceState, VmState
from vacate.engine import commands
from vacate.ports.cloud import MigrationStatus

from .rig import Rig, RigFactory, cloud_of, vm

INJECTED = "injected migration failure"


def test_a_migration_that_fails_once_is_retried_and_then_moved(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("flaky"), vm("steady")]))
    rig.cloud.inject_migration_failure(InstanceId("flaky"), count=1, at_fraction=0.5)

    job = rig.drain("src")

    assert job.status is JobStatus.SUCCEEDED, job.message
    task = job.task(InstanceId("flaky"))
    assert task.outcome is Outcome.MOVED and task.attempt == 2
    first, second = rig.migrations("flaky")
    assert (first.status, first.error) == (MigrationStatus.FAILED, INJECTED)
    assert second.status is MigrationStatus.COMPLETED and second.dest == task.destination
    assert second.created_at >= first.finished_at  # type: ignore[operator]
    assert task.bytes_sent == first.memory_processed_bytes + second.memory_processed_bytes
    assert first.memory_processed_bytes > 0, "the failed attempt's bytes count too"
    assert rig.cloud.get_instance(task.instance_id).host == task.destination
    assert job.task(InstanceId("steady")).attempt == 1
    retries = [e for e in rig.store.list_events(job.id) if e.kind == "task.retry"]
    assert [e.instance_id for e in retries] == ["flaky"] and INJECTED in retries[0].message


def test_a_migration_that_fails_on_every_attempt_is_reported_failed_with_the_reason(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("doomed"), vm("steady")]))
    rig.cloud.inject_migration_failure(InstanceId("doomed"), count=10)

    job = rig.drain("src", max_attempts=2)

    assert job.status is JobStatus.FAILED
    task = job.task(InstanceId("doomed"))
    assert task.outcome is Outcome.FAILED and task.attempt == 2
    assert INJECTED in task.reason and "after 2 attempts" in task.reason
    assert "still on src" in task.reason
    migrations = rig.migrations("doomed")
    assert [m.status for m in migrations] == [MigrationStatus.FAILED] * 2
    doomed = rig.cloud.get_instance(InstanceId("doomed"))
    assert doomed.host == "src" and doomed.vm_state is VmState.ACTIVE
    assert job.task(InstanceId("steady")).outcome is Outcome.MOVED
    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.ERROR and "doomed" in record.reason


def test_max_attempts_bounds_the_retries(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("flaky")]))
    rig.cloud.inject_migration_failure(InstanceId("flaky"), count=2)

    job = rig.drain("src", max_attempts=3)

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert job.task(InstanceId("flaky")).attempt == 3
    statuses = [m.status for m in rig.migrations("flaky")]
    assert statuses == [MigrationStatus.FAILED, MigrationStatus.FAILED, MigrationStatus.COMPLETED]


def test_a_destination_dying_mid_migration_fails_over_to_another_host(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a")], destinations=("d1", "d2")))
    (item,) = commands.preflight(rig.ctx, "src", JobOptions()).items
    doomed = item.destination
    assert doomed is not None
    # Past the 5 s setup, while pre-copy is sending.
    rig.cloud.schedule_host_death(doomed, after_s=6.0)

    job = rig.drain("src")

    assert job.status is JobStatus.SUCCEEDED, job.message
    (task,) = job.tasks
    assert task.outcome is Outcome.MOVED and task.attempt == 2
    assert task.destination not in (None, doomed, "src")
    first, second = rig.migrations("a")
    assert first.dest == doomed and first.status is MigrationStatus.FAILED
    assert first.error is not None and f"destination host {doomed} died" in first.error
    assert second.dest == task.destination and second.status is MigrationStatus.COMPLETED
    assert rig.cloud.get_instance(InstanceId("a")).host == task.destination
    assert rig.cloud.get_host(doomed).state is ServiceState.DOWN


def test_nothing_lands_on_a_destination_that_died_during_the_drain(make_rig: RigFactory) -> None:
    names = [f"vm-{n}" for n in range(6)]
    rig = make_rig(cloud_of([vm(n) for n in names], destinations=("d1", "d2", "d3")))
    plan = commands.preflight(rig.ctx, "src", JobOptions())
    assert "d1" in {i.destination for i in plan.items}
    rig.cloud.schedule_host_death("d1", after_s=6.0)

    job = rig.drain("src", max_parallel=6, max_per_source=6, max_per_destination=2)

    died_at = 6.0
    into_d1 = [m for m in rig.migrations() if m.dest == "d1"]
    assert into_d1, "the scenario needs a migration under way to d1 when it dies"
    assert all(m.created_at < died_at for m in into_d1)
    assert all(m.status is MigrationStatus.FAILED for m in into_d1)
    assert rig.on("d1") == []
    for task in job.tasks:
        assert task.destination != "d1" or task.outcome is not Outcome.MOVED
        if task.outcome is Outcome.MOVED:
            assert rig.cloud.get_instance(task.instance_id).host == task.destination
        else:
            assert task.reason, f"{task.instance_name} was not moved and says nothing"
            assert rig.cloud.get_instance(task.instance_id).host == "src"
    assert {i.id for i in rig.cloud.list_instances()} == set(names)


def stop_after_planning(rig: Rig, then: Callable[[], None]) -> None:
    """Observer: once the plan is recorded and the host disabled, change the world once."""
    fired: list[bool] = []

    def observer(job: Job) -> None:
        if job.phase is JobPhase.MOVE and not fired:
            fired.append(True)
            then()

    rig.observers.append(observer)


def test_a_planned_destination_disabled_after_planning_is_replaced_by_another(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a")], destinations=("d1", "d2")))
    (item,) = commands.preflight(rig.ctx, "src", JobOptions()).items
    planned = item.destination
    assert planned is not None
    stop_after_planning(rig, lambda: rig.cloud.disable_service(planned, "AUTO: lost"))

    job = rig.drain("src")

    assert job.status is JobStatus.SUCCEEDED, job.message
    (task,) = job.tasks
    assert task.planned_destination == planned
    assert task.outcome is Outcome.MOVED and task.destination not in (planned, "src")
    assert [m.dest for m in rig.migrations("a")] == [task.destination]


def test_an_instance_whose_only_destination_went_away_is_blocked_with_the_filters_reason(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a")], destinations=("d1",)))
    stop_after_planning(rig, lambda: rig.cloud.disable_service("d1", "AUTO: lost"))

    job = rig.drain("src")

    assert job.status is JobStatus.FAILED
    (task,) = job.tasks
    assert task.outcome is Outcome.BLOCKED
    assert "ComputeFilter" in task.reason and "d1" in task.reason
    assert rig.migrations() == []
    assert rig.cloud.get_instance(InstanceId("a")).host == "src"
    assert "a (" in rig.store.get_maintenance(HostName("src")).reason
