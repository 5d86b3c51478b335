"""Live migration against a real Nova: planned and scheduler-chosen destinations, progress
read while it runs, completion only when the record finished AND the host changed, and the
two controls Nova has (force-complete, abort)."""

from __future__ import annotations

import time

import pytest
from novacloud import Nova, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.errors import Conflict, TemporaryError
from vacate.domain.model import HostName, InstanceId, MigrationId, VmState
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus

MIB = 1024**2


def watch(cloud: OpenStackCloud, mid: MigrationId, timeout: float = 30.0) -> list[Migration]:
    """Every look at the migration until it ends, the way the engine polls it."""
    seen: list[Migration] = []

    def ended() -> bool:
        seen.append(cloud.get_migration(mid))
        return seen[-1].status.is_terminal or seen[-1].status is MigrationStatus.FINISHED

    wait_for(f"migration {mid} to end", ended, timeout, every=0.25)
    return seen


def assert_done_only_when_there(cloud: OpenStackCloud, seen: list[Migration]) -> None:
    done = [m for m in seen if m.status is MigrationStatus.COMPLETED]
    assert done, [m.status for m in seen]
    assert cloud.get_instance(done[0].instance_id).host == done[0].dest


def test_live_migration_to_the_planned_host_reports_progress_while_it_runs(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    server = InstanceId(nova.boot("lm-planned", "compute-1"))
    nova.plan_live_migration(server, seconds=3.0)
    mid = cloud.live_migrate(server, HostName("compute-2"))
    seen = watch(cloud, mid)
    running = [m for m in seen if m.status is MigrationStatus.RUNNING]
    assert len(running) >= 3, [m.status for m in seen]
    assert all(m.memory_total_bytes == 512 * MIB for m in running)
    processed = [m.memory_processed_bytes for m in running]
    assert processed == sorted(processed) and processed[-1] > processed[0]
    remaining = [m.memory_remaining_bytes for m in running]
    assert remaining == sorted(remaining, reverse=True) and remaining[0] > 0
    last = seen[-1]
    assert (last.status, last.kind, last.source, last.dest) == (
        MigrationStatus.COMPLETED,
        MigrationKind.LIVE,
        "compute-1",
        "compute-2",
    )
    assert last.finished_at is not None and last.finished_at >= last.created_at
    assert_done_only_when_there(cloud, seen)
    inst = cloud.get_instance(server)
    assert (inst.host, inst.vm_state, inst.task_state) == ("compute-2", VmState.ACTIVE, None)
    # The engine adopts migrations by listing them: the same id, the same end.
    listed = cloud.list_migrations(instance_id=server)
    assert [m.id for m in listed] == [mid] and listed[0].status is MigrationStatus.COMPLETED


def test_live_migration_without_a_host_lets_nova_choose(cloud: OpenStackCloud, nova: Nova) -> None:
    server = InstanceId(nova.boot("lm-any", "compute-3"))
    mid = cloud.live_migrate(server, None)
    seen = watch(cloud, mid)
    assert seen[-1].status is MigrationStatus.COMPLETED
    assert seen[-1].dest not in (None, "compute-3")
    assert_done_only_when_there(cloud, seen)


def test_a_paused_server_live_migrates_and_stays_paused(cloud: OpenStackCloud, nova: Nova) -> None:
    server = InstanceId(nova.boot("lm-paused", "compute-1"))
    nova.act(server, {"pause": None})
    nova.wait_status(server, "PAUSED")
    seen = watch(cloud, cloud.live_migrate(server, HostName("compute-2")))
    assert seen[-1].status is MigrationStatus.COMPLETED
    inst = cloud.get_instance(server)
    assert (inst.host, inst.vm_state) == ("compute-2", VmState.PAUSED)


def test_abort_stops_a_migration_that_cannot_converge(cloud: OpenStackCloud, nova: Nova) -> None:
    server = InstanceId(nova.boot("lm-abort", "compute-1"))
    nova.plan_live_migration(server, converge=False)
    mid = cloud.live_migrate(server, HostName("compute-2"))
    wait_for("running", lambda: cloud.get_migration(mid).status is MigrationStatus.RUNNING)
    cloud.abort_migration(mid)
    seen = watch(cloud, mid)
    assert seen[-1].status is MigrationStatus.CANCELLED
    inst = cloud.get_instance(server)
    assert (inst.host, inst.vm_state) == ("compute-1", VmState.ACTIVE)
    with pytest.raises((Conflict, TemporaryError)):
        cloud.abort_migration(mid)  # nothing left to abort


def test_force_complete_finishes_a_migration_that_cannot_converge(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    server = InstanceId(nova.boot("lm-force", "compute-1"))
    nova.plan_live_migration(server, converge=False)
    mid = cloud.live_migrate(server, HostName("compute-2"))
    wait_for("running", lambda: cloud.get_migration(mid).status is MigrationStatus.RUNNING)
    # Watch a few passes: the remaining bytes never shrink, the passes are counted.
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        mig = cloud.get_migration(mid)
        time.sleep(0.25)
    assert mig.status is MigrationStatus.RUNNING
    assert mig.passes >= 2 and len(mig.pass_remaining) == mig.passes
    assert min(mig.pass_remaining) > 0.25 * mig.memory_total_bytes
    cloud.force_complete(mid)
    seen = watch(cloud, mid)
    assert seen[-1].status is MigrationStatus.COMPLETED
    assert cloud.get_instance(server).host == "compute-2"
