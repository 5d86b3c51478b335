"""Cancelling a drain: running pre-copy migrations are aborted, nothing new starts, no instance
is lost, and the host ends in a state that says where things stand."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vacate.domain.actors import Actor
from vacate.domain.errors import Conflict
from vacate.domain.jobs import Job, JobStatus, Outcome
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, ServiceStatus, VmState
from vacate.engine import commands
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus

from .rig import Rig, RigFactory, cloud_of, vm

NAMES = [f"vm-{n}" for n in range(6)]


@dataclass
class CancelMidDrain:
    """Observer: cancel the job once one move has finished and another is in pre-copy."""

    rig: Rig
    at: float | None = None
    running: list[Migration] = field(default_factory=list)

    def __call__(self, job: Job) -> None:
        if self.at is not None:
            return
        moved = [t for t in job.tasks if t.outcome is Outcome.MOVED]
        precopy = [m for m in self.rig.running_migrations() if m.status is MigrationStatus.RUNNING]
        if moved and precopy:
            self.running = self.rig.running_migrations()
            self.at = self.rig.cloud.clock.now()
            commands.cancel(self.rig.ctx, job.id, actor=Actor(name="tester"))


def drain_and_cancel(make_rig: RigFactory, **options: object) -> tuple[Rig, Job, CancelMidDrain]:
    rig = make_rig(cloud_of([vm(n) for n in NAMES]))
    canceller = CancelMidDrain(rig)
    rig.observers.append(canceller)
    job = rig.drain("src", max_parallel=2, max_per_source=2, **options)
    assert canceller.at is not None, "the scenario never reached a cancellable moment"
    return rig, job, canceller


def test_cancelling_mid_drain_aborts_running_migrations_and_loses_no_instance(
    make_rig: RigFactory,
) -> None:
    rig, job, cancel = drain_and_cancel(make_rig)

    assert job.status is JobStatus.CANCELLED
    assert "cancelled by the operator" in job.message
    assert cancel.running and all(m.kind is MigrationKind.LIVE for m in cancel.running)
    for before in cancel.running:
        (now,) = [m for m in rig.migrations() if m.id == before.id]
        assert now.status is MigrationStatus.CANCELLED, f"{before.id} was not aborted"
        assert now.finished_at == pytest.approx(cancel.at)
    assert all(m.created_at <= cancel.at for m in rig.migrations()), "a move started after cancel"

    instances = rig.instances()
    assert set(instances) == set(NAMES)
    for task in job.tasks:
        inst = instances[task.instance_id]
        assert inst.vm_state is VmState.ACTIVE and inst.task_state is None
        assert task.reason
        if task.outcome is Outcome.MOVED:
            assert inst.host == task.destination != "src"
        else:
            assert task.outcome is Outcome.SKIPPED
            assert inst.host == "src"
    aborted = {m.instance_id for m in cancel.running}
    for task in job.tasks:
        if task.instance_id in aborted:
            assert task.outcome is Outcome.SKIPPED and "cancelled" in task.reason
            assert task.escalations[-1].action == "abort"
    not_started = [t for t in job.tasks if not rig.migrations(t.instance_id)]
    assert not_started, "the scenario should leave some moves not started"
    assert all("not started" in t.reason for t in not_started)

    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.ERROR and "cancelled" in record.reason
    assert rig.cloud.get_host("src").service_status is ServiceStatus.DISABLED


def test_cancelling_mid_drain_with_rollback_brings_the_host_back_into_service(
    make_rig: RigFactory,
) -> None:
    rig, job, _ = drain_and_cancel(make_rig, rollback_on_error=True)

    assert job.status is JobStatus.CANCELLED
    assert rig.cloud.get_host("src").service_status is ServiceStatus.ENABLED
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.OPERATIONAL
    assert set(rig.instances()) == set(NAMES)


def test_a_finished_job_cannot_be_cancelled(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    job = rig.drain("src")
    with pytest.raises(Conflict, match="already succeeded"):
        commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))
    assert rig.store.get_job(job.id).status is JobStatus.SUCCEEDED


def test_cancelling_a_queued_enter_leaves_the_host_operational_and_enterable(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    job = rig.enter("src")

    assert (
        commands.cancel(rig.ctx, job.id, actor=Actor(name="tester")).status is JobStatus.CANCELLED
    )

    assert rig.cloud.get_host("src").service_status is ServiceStatus.ENABLED
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.OPERATIONAL
    assert rig.drain("src").status is JobStatus.SUCCEEDED


def test_cancelling_a_queued_exit_leaves_the_host_in_maintenance_and_exitable(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    assert rig.drain("src").status is JobStatus.SUCCEEDED
    job = rig.exit("src")

    assert (
        commands.cancel(rig.ctx, job.id, actor=Actor(name="tester")).status is JobStatus.CANCELLED
    )

    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.MAINTENANCE
    assert rig.run(rig.exit("src")).status is JobStatus.SUCCEEDED


def test_cancelling_a_queued_enter_on_a_host_in_error_leaves_it_in_error(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("frozen", vm_state="suspended")]))
    assert rig.drain("src").status is JobStatus.FAILED
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.ERROR
    job = rig.enter("src")

    commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))

    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.ERROR
    assert rig.cloud.get_host("src").service_status is ServiceStatus.DISABLED


def test_cancelling_a_queued_enter_on_a_host_reported_down_leaves_it_down(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    # What a host-down report leaves behind: the service forced down, the host marked down.
    rig.cloud.force_down("src", True)
    rig.store.set_maintenance(HostName("src"), MaintenanceState.DOWN, reason="dead", at=0.0)
    job = rig.enter("src")

    commands.cancel(rig.ctx, job.id, actor=Actor(name="tester"))

    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.DOWN
