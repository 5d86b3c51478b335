"""Host states: capacity with allocation ratios, reserve and release, what counts as usage."""

from __future__ import annotations

import pytest

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import GroupId, VmState

from .builders import host, state, states, vm


def test_capacity_applies_the_allocation_ratios_and_free_subtracts_usage() -> None:
    s = state(
        host("c2", vcpus=8, ram_mb=1000, disk_gb=100, cpu_ratio=4.0, ram_ratio=1.5, disk_ratio=2),
        vm("a", on="c2", vcpus=3, ram_mb=500, disk_gb=50),
    )
    assert (s.vcpus_capacity, s.ram_mb_capacity, s.disk_gb_capacity) == (32, 1500, 200)
    assert (s.vcpus_free, s.ram_mb_free, s.disk_gb_free) == (29, 1000, 150)
    assert s.instance_count == 1


def test_with_instance_reserves_and_without_instance_releases_including_groups() -> None:
    base = state(host("c2"))
    a = vm("a", on=None, vcpus=2, ram_mb=4096, disk_gb=10, groups=["g1", "g2"])
    reserved = base.with_instance(a)
    assert (reserved.vcpus_used, reserved.ram_mb_used, reserved.disk_gb_used) == (2, 4096, 10)
    assert reserved.members(GroupId("g1")) == 1 and reserved.instance_count == 1
    assert base.ram_mb_used == 0, "states are values: the original is unchanged"
    released = reserved.without_instance(a)
    assert released == base
    assert dict(released.group_members) == {}


@pytest.mark.parametrize(
    ("vm_state", "counts"),
    [
        pytest.param(VmState.ACTIVE, True, id="an active instance uses its host"),
        pytest.param(VmState.STOPPED, True, id="a stopped instance still uses its host"),
        pytest.param(VmState.SHELVED, True, id="a shelved not offloaded instance uses its host"),
        pytest.param(VmState.SHELVED_OFFLOADED, False, id="an offloaded instance uses nothing"),
        pytest.param(VmState.DELETED, False, id="a deleted instance uses nothing"),
        pytest.param(VmState.SOFT_DELETED, False, id="a soft deleted instance uses nothing"),
    ],
)
def test_usage_counts_instances_that_hold_resources(vm_state: VmState, counts: bool) -> None:
    result = states([host("c2")], [vm("a", on="c2", ram_mb=1024, vm_state=vm_state)])
    assert result["c2"].ram_mb_used == (1024 if counts else 0)


def test_instances_without_a_host_or_on_unknown_hosts_are_ignored_and_maintenance_defaults() -> (
    None
):
    result = states(
        [host("c3"), host("c2")],
        [vm("a", on=None), vm("b", on="c9")],
        {"c3": "maintenance"},
    )
    assert list(result) == ["c2", "c3"]
    assert result["c2"].instance_count == 0
    assert result["c2"].maintenance is MaintenanceState.OPERATIONAL
    assert result["c3"].maintenance is MaintenanceState.MAINTENANCE
