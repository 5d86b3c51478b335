"""A failed host on a real Nova: force down, what servers report, evacuation, power, un-force.

compute-4's nova-compute is killed (its service stops and its heartbeat ages), as when a
hypervisor dies; it is restarted at the end, which is also what lets Nova un-force it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from novacloud import Nova, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.errors import Conflict
from vacate.domain.model import InstanceId, ServiceState, VmState
from vacate.ports.cloud import Migration, MigrationStatus

DEAD = "compute-4"


@pytest.fixture
def dead_host(cloud: OpenStackCloud, nova: Nova) -> Iterator[str]:
    """compute-4 with a killed nova-compute; restarted and un-forced afterwards."""
    yield DEAD
    nova.restart(DEAD)
    cloud.force_down(DEAD, False)
    wait_for(f"{DEAD} up", lambda: cloud.get_host(DEAD).is_up, 30.0)


def ended(cloud: OpenStackCloud, mid: str) -> Migration:
    found: Migration = wait_for(
        f"{mid} to end",
        lambda: (m := cloud.get_migration(mid)).status.is_terminal and m,  # type: ignore[arg-type]
        60.0,
        every=0.25,
    )
    return found


def test_evacuation_of_a_dead_host_ends_shutoff_and_vacate_starts_the_one_that_ran(
    cloud: OpenStackCloud, nova: Nova, dead_host: str
) -> None:
    ran = InstanceId(nova.boot("hd-ran", dead_host))
    off = InstanceId(nova.boot("hd-off", dead_host))
    nova.act(off, {"os-stop": None})
    nova.wait_status(off, "SHUTOFF")
    nova.kill(dead_host)
    cloud.force_down(dead_host, True)

    moves = {server: cloud.evacuate(server, None) for server in (ran, off)}
    for server, mid in moves.items():
        last = ended(cloud, mid)
        assert (last.status, last.source) == (MigrationStatus.COMPLETED, dead_host), last
        assert last.dest not in (None, dead_host)
        inst = cloud.get_instance(server)
        # Microversion 2.95: Nova leaves every evacuated server SHUTOFF on its new host.
        assert (inst.host, inst.vm_state, inst.host_status) == (
            last.dest,
            VmState.STOPPED,
            "UP",
        )
    cloud.start_instance(ran)
    nova.wait_status(ran, "ACTIVE")
    cloud.start_instance(ran)  # a retried start is not an error
    assert cloud.get_instance(ran).vm_state is VmState.ACTIVE
    assert cloud.get_instance(off).vm_state is VmState.STOPPED
    cloud.stop_instance(ran)
    nova.wait_status(ran, "SHUTOFF")
    cloud.stop_instance(ran)  # and neither is a retried stop


def test_force_down_makes_servers_report_down_and_un_forcing_is_refused_after_evacuation(
    cloud: OpenStackCloud, nova: Nova, dead_host: str
) -> None:
    server = InstanceId(nova.boot("hd-unforce", dead_host))
    assert cloud.get_instance(server).host_status == "UP"
    neighbour = InstanceId(nova.boot("hd-neighbour", "compute-3"))
    nova.kill(dead_host)
    cloud.force_down(dead_host, True)
    host = cloud.get_host(dead_host)
    assert host.forced_down and not host.is_up
    (seen,) = [i for i in cloud.list_instances(dead_host) if i.id == server]
    assert seen.host_status == "DOWN"
    assert cloud.get_instance(neighbour).host_status == "UP"
    # Nova has no call that sets vm_state: the port says nothing was marked, and the server
    # still reads as Nova has it.
    assert cloud.mark_stopped(server) is False
    assert cloud.get_instance(server).vm_state is VmState.ACTIVE
    # Nothing evacuated yet: Nova un-forces it. Its dead compute still reports down, but its
    # servers no longer say DOWN: Nova says DOWN only of a forced-down host, UNKNOWN of one
    # whose heartbeat merely stopped.
    cloud.force_down(dead_host, False)
    host = cloud.get_host(dead_host)
    assert (host.forced_down, host.state, host.is_up) == (False, ServiceState.DOWN, False)
    assert cloud.get_instance(server).host_status == "UNKNOWN"

    cloud.force_down(dead_host, True)
    assert ended(cloud, cloud.evacuate(server, None)).status is MigrationStatus.COMPLETED
    # Evacuated: Nova refuses to force it up until its compute restarts and cleans up.
    with pytest.raises(Conflict, match="restart its nova-compute"):
        cloud.force_down(dead_host, False)
    assert cloud.get_host(dead_host).forced_down
    nova.restart(dead_host)
    cloud.force_down(dead_host, False)
    wait_for(f"{dead_host} up", lambda: cloud.get_host(dead_host).is_up, 30.0)
    assert cloud.list_instances(dead_host) == []
