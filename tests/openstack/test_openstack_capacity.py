"""Capacity against a real Nova and its Placement: allocations the servers do not explain take
room away, the servers themselves are not counted twice, and without Placement the hypervisors'
own figures give the same answer."""

from __future__ import annotations

import uuid

import pytest
from keystoneauth1 import adapter, session
from novacloud import Nova, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.clouds.openstack.api import Api, Retry
from vacate.domain.model import Host

HOST = "compute-2"
#: The fake hypervisor: 16 GiB, 512 MiB reserved for the host.
RAM_MB = 16384 - 512


def room(host: Host) -> tuple[int, int, int]:
    return (host.vcpus, host.ram_mb, host.disk_gb)


def test_an_allocation_no_server_explains_takes_room_and_a_server_is_not_counted_twice(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    wait_for(f"{HOST} to be empty", lambda: not cloud.list_instances(HOST), 60.0)
    before = cloud.get_host(HOST)
    # An earlier test may have left an allocation behind there: the figures are relative.
    assert before.ram_mb <= RAM_MB
    nova.boot("cap-1", HOST, flavor="2")  # the planner counts it from the instances
    assert room(cloud.get_host(HOST)) == room(before)

    consumer = str(uuid.uuid4())
    body = {
        "allocations": {nova.provider(HOST): {"resources": {"MEMORY_MB": 6144, "VCPU": 4}}},
        "project_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "consumer_generation": None,
        "consumer_type": "VACATE_TEST",
    }
    nova.placement("PUT", f"/allocations/{consumer}", body)
    try:
        held = {h.name: h for h in cloud.list_hosts()}[HOST]
        assert held.ram_mb == before.ram_mb - 6144
        # 4 allocated vCPUs at 4.0: one physical vCPU less (rounded down, never more room).
        assert held.vcpus == before.vcpus - 1
        assert held.cpu_allocation_ratio == pytest.approx(4.0)
        assert held.disk_gb == before.disk_gb
    finally:
        nova.placement("DELETE", f"/allocations/{consumer}")
    assert room(cloud.get_host(HOST)) == room(before)


def test_without_placement_the_hypervisors_give_the_same_room(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    mine = nova.boot("cap-2", HOST, flavor="2")
    # Servers of earlier tests still being deleted would change the figures between reads.
    wait_for(
        f"{HOST} to hold only cap-2",
        lambda: [i.id for i in cloud.list_instances(HOST)] == [mine],
        60.0,
    )
    nowhere = adapter.Adapter(
        session.Session(),
        service_type="placement",
        endpoint_override="http://127.0.0.1:9/placement",  # nothing listens on port 9
    )
    dead = Api(nowhere, microversion="1.14", retry=Retry(attempts=1))
    blind = OpenStackCloud(cloud.compute, dead)
    nova.requests(reset=True)
    without = {h.name: room(h) for h in blind.list_hosts()}
    calls = nova.requests()
    assert not [c for c in calls if c.startswith("GET /placement")], calls
    assert calls.get("GET /v2.1/os-hypervisors/detail") == 2, calls  # hosts, then their sizes

    # The same room from two sources (an allocation an earlier test left behind shows in both),
    # once both have caught up with the boot: Placement and the hypervisor report are updated
    # by the compute at different moments.
    def agree() -> bool:
        return room(cloud.get_host(HOST)) == room(blind.get_host(HOST))

    wait_for("Placement and the hypervisors to agree", agree, 60.0)
    without = {h.name: room(h) for h in blind.list_hosts()}
    assert all(got <= clean for got, clean in zip(without[HOST], (8, RAM_MB, 400), strict=True))
