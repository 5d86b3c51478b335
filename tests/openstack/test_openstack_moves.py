"""Cold migration with confirm, and evacuation of a forced-down host, against a real Nova."""

from __future__ import annotations

import pytest
from novacloud import Nova, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.clouds.openstack.api import Retry
from vacate.domain.errors import PermanentError
from vacate.domain.model import HostName, InstanceId, MigrationId, VmState
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus


def until(cloud: OpenStackCloud, mid: MigrationId, *statuses: MigrationStatus) -> Migration:
    def reached() -> Migration | None:
        mig = cloud.get_migration(mid)
        return mig if mig.status in statuses else None

    found: Migration = wait_for(f"{mid} to reach {statuses}", reached, 30.0, every=0.25)
    return found


def test_cold_migration_finishes_then_confirm_completes_it(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    server = InstanceId(nova.boot("cold-1", "compute-1"))
    nova.act(server, {"os-stop": None})
    nova.wait_status(server, "SHUTOFF")
    mid = cloud.cold_migrate(server, HostName("compute-3"))
    finished = until(cloud, mid, MigrationStatus.FINISHED, MigrationStatus.FAILED)
    assert (finished.status, finished.kind, finished.dest) == (
        MigrationStatus.FINISHED,
        MigrationKind.COLD,
        "compute-3",
    )
    resized = cloud.get_instance(server)
    assert (resized.vm_state, resized.host) == (VmState.RESIZED, "compute-3")
    cloud.confirm_resize(server)
    done = until(cloud, mid, MigrationStatus.COMPLETED, MigrationStatus.FAILED)
    assert done.status is MigrationStatus.COMPLETED
    nova.wait_status(server, "SHUTOFF")
    moved = cloud.get_instance(server)
    assert (moved.vm_state, moved.host) == (VmState.STOPPED, "compute-3")
    cloud.confirm_resize(server)  # confirming again is a no-op, as a retried call must be


def test_evacuation_after_force_down(cloud: OpenStackCloud, nova: Nova) -> None:
    server = InstanceId(nova.boot("evac-1", "compute-4"))
    cloud.force_down("compute-4", True)
    try:
        assert not cloud.get_host("compute-4").is_up
        mid = cloud.evacuate(server, None)
        seen: list[Migration] = []

        def ended() -> bool:
            seen.append(cloud.get_migration(mid))
            return seen[-1].status.is_terminal

        wait_for("the evacuation", ended, 30.0, every=0.2)
        last = seen[-1]
        assert (last.status, last.kind, last.source) == (
            MigrationStatus.COMPLETED,
            MigrationKind.EVACUATION,
            "compute-4",
        )
        assert last.dest not in (None, "compute-4")
        # Never "done" while the server was still recorded on the dead host; at 2.95 Nova
        # leaves it SHUTOFF there.
        inst = cloud.get_instance(server)
        assert (inst.host, inst.vm_state) == (last.dest, VmState.STOPPED)
    finally:
        # Nova refuses to un-force a host with evacuated servers until its compute restarts
        # (and cleans them up).
        nova.restart("compute-4")
        cloud.force_down("compute-4", False)
    wait_for("compute-4 up", lambda: cloud.get_host("compute-4").is_up, 30.0)


def test_a_confirm_nova_cannot_take_reverts_the_cold_migration(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    server = InstanceId(nova.boot("cold-2", "compute-1"))
    mid = cloud.cold_migrate(server, HostName("compute-3"))
    until(cloud, mid, MigrationStatus.FINISHED)
    cloud.compute.retry = Retry(attempts=4, base_s=0.01)
    nova.unavailable(4)  # every try of the confirm is refused; the revert gets through
    with pytest.raises(PermanentError, match="reverted"):
        cloud.confirm_resize(server)
    reverted = until(cloud, mid, MigrationStatus.CANCELLED, MigrationStatus.FAILED)
    assert reverted.status is MigrationStatus.CANCELLED
    nova.wait_status(server, "ACTIVE")
    assert cloud.get_instance(server).host == "compute-1"
