"""Hosts and compute services against a real Nova: exact names, reasons, forced down."""

from __future__ import annotations

import pytest
from novacloud import Nova

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.errors import NotFound
from vacate.domain.model import ServiceState, ServiceStatus


def test_hosts_are_every_compute_service_with_placement_capacity(cloud: OpenStackCloud) -> None:
    hosts = {h.name: h for h in cloud.list_hosts()}
    assert {"compute-1", "compute-10"} <= set(hosts)
    assert "conductor" not in hosts  # only nova-compute services are hosts
    one = hosts["compute-1"]
    assert one.service_status is ServiceStatus.ENABLED and one.state is ServiceState.UP
    # The fake hypervisor: 8 vCPU, 16 GiB (512 MiB reserved for the host), 400 GB.
    assert (one.vcpus, one.ram_mb, one.disk_gb) == (8, 16384 - 512, 400)
    assert one.cpu_allocation_ratio == pytest.approx(4.0)
    assert one.ram_allocation_ratio == pytest.approx(1.0)
    assert one.az == "nova"


def test_listing_hosts_costs_the_same_few_calls_whatever_the_number_of_hosts(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    cloud.list_hosts()  # warms the inventories
    nova.requests(reset=True)
    hosts = cloud.list_hosts()
    calls = nova.requests()
    assert len(hosts) >= 5
    # services, hypervisors, servers, aggregates, and Placement's usage summary
    assert sum(calls.values()) == 5, calls
    assert calls.get("GET /placement/allocation_candidates") == 1, calls
    assert not [c for c in calls if "compute-" in c or "/resource_providers/" in c], calls


def test_a_host_is_found_by_its_exact_name_only(cloud: OpenStackCloud) -> None:
    assert cloud.get_host("compute-1").name == "compute-1"
    assert cloud.get_host("compute-10").name == "compute-10"
    for near in ("compute", "compute-", "ompute-1", "compute-1 ", "COMPUTE-1"):
        with pytest.raises(NotFound):
            cloud.get_host(near)
        with pytest.raises(NotFound):
            cloud.disable_service(near, "vacate: never")


def test_disabling_compute_1_never_touches_compute_10(cloud: OpenStackCloud) -> None:
    try:
        cloud.disable_service("compute-1", "vacate: maintenance ticket 42")
        hosts = {h.name: h for h in cloud.list_hosts()}
        assert hosts["compute-1"].service_status is ServiceStatus.DISABLED
        assert hosts["compute-1"].disabled_reason == "vacate: maintenance ticket 42"
        assert hosts["compute-10"].service_status is ServiceStatus.ENABLED
        assert hosts["compute-10"].disabled_reason is None
    finally:
        cloud.enable_service("compute-1")
    back = cloud.get_host("compute-1")
    assert back.service_status is ServiceStatus.ENABLED and back.disabled_reason is None


def test_force_down_and_back(cloud: OpenStackCloud) -> None:
    try:
        cloud.force_down("compute-3", True)
        down = cloud.get_host("compute-3")
        assert down.forced_down and not down.is_up
        assert cloud.get_host("compute-1").is_up
    finally:
        cloud.force_down("compute-3", False)
    assert cloud.get_host("compute-3").is_up
