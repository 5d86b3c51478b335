"""Every filter, passing and failing, with the reason a person reads."""

from __future__ import annotations

import pytest

from vacate.domain.model import GroupPolicy
from vacate.planning.filters import (
    DEFAULT_FILTERS,
    FILTERS,
    FilterResult,
    RequestSpec,
    get_filters,
)
from vacate.planning.hoststate import HostState

from .builders import group, host, spec, state, vm

WEB = group("g-web", GroupPolicy.ANTI_AFFINITY, "web")
DB = group("g-db", GroupPolicy.AFFINITY, "db")
SOFT = group("g-soft", GroupPolicy.SOFT_ANTI_AFFINITY, "soft")

CASES = [
    # SourceHostFilter
    pytest.param(
        "SourceHostFilter",
        state(host("c1")),
        spec(source="c1"),
        False,
        ["c1 is the host being drained"],
        id="the host being drained is never a destination",
    ),
    pytest.param(
        "SourceHostFilter",
        state(host("c2")),
        spec(source="c1"),
        True,
        ["not the host"],
        id="any other host passes the source filter",
    ),
    # TargetHostFilter
    pytest.param(
        "TargetHostFilter",
        state(host("c2")),
        spec(target="c3"),
        False,
        ["c2 is not the requested target c3"],
        id="with a target every other host is removed",
    ),
    pytest.param(
        "TargetHostFilter",
        state(host("c3")),
        spec(target="c3"),
        True,
        ["requested target"],
        id="the requested target passes",
    ),
    pytest.param(
        "TargetHostFilter",
        state(host("c2")),
        spec(),
        True,
        ["no target"],
        id="without a target every host passes",
    ),
    # ComputeFilter
    pytest.param(
        "ComputeFilter",
        state(host("c2", enabled=False, disabled_reason="AUTO: libvirt down")),
        spec(),
        False,
        ["c2 is disabled", "AUTO: libvirt down", "enable it"],
        id="a disabled service is removed and its disabled reason shown",
    ),
    pytest.param(
        "ComputeFilter",
        state(host("c2", enabled=False)),
        spec(),
        False,
        ["no reason given"],
        id="a disabled service without a reason says so",
    ),
    pytest.param(
        "ComputeFilter",
        state(host("c2")),
        spec(),
        True,
        ["enabled"],
        id="an enabled service passes",
    ),
    # ServiceUpFilter
    pytest.param(
        "ServiceUpFilter",
        state(host("c2", up=False)),
        spec(),
        False,
        ["c2 is down"],
        id="a down service is removed",
    ),
    pytest.param(
        "ServiceUpFilter",
        state(host("c2", forced_down=True)),
        spec(),
        False,
        ["forced down", "unset forced_down"],
        id="a forced-down service is removed even if it reports up",
    ),
    pytest.param(
        "ServiceUpFilter",
        state(host("c2")),
        spec(),
        True,
        ["is up"],
        id="an up service passes",
    ),
    # MaintenanceFilter
    *[
        pytest.param(
            "MaintenanceFilter",
            state(host("c2"), maintenance=m),
            spec(),
            False,
            [f"maintenance state '{m}'", "only operational hosts"],
            id=f"a host in maintenance state {m} is removed",
        )
        for m in ("entering", "maintenance", "exiting", "error", "down")
    ],
    pytest.param(
        "MaintenanceFilter",
        state(host("c2")),
        spec(),
        True,
        ["operational"],
        id="an operational host passes the maintenance filter",
    ),
    # AvailabilityZoneFilter
    pytest.param(
        "AvailabilityZoneFilter",
        state(host("c2", az="az2")),
        spec(az="az1"),
        False,
        ["c2 is in zone 'az2'", "needs 'az1'"],
        id="a host in another zone is removed when a zone is required",
    ),
    pytest.param(
        "AvailabilityZoneFilter",
        state(host("c2", az="az1")),
        spec(az="az1"),
        True,
        ["az1"],
        id="a host in the required zone passes",
    ),
    pytest.param(
        "AvailabilityZoneFilter",
        state(host("c2", az="az2")),
        spec(),
        True,
        ["no availability"],
        id="without a required zone every zone passes",
    ),
    # VcpuFilter
    pytest.param(
        "VcpuFilter",
        state(host("c2", vcpus=8), vm("x", on="c2", vcpus=6)),
        spec(vm("a", vcpus=4)),
        False,
        ["needs 4 vCPUs, 2 free of 8 on c2"],
        id="too few free vCPUs are removed with the amounts",
    ),
    pytest.param(
        "VcpuFilter",
        state(host("c2", vcpus=8, cpu_ratio=4.0), vm("x", on="c2", vcpus=28)),
        spec(vm("a", vcpus=4)),
        True,
        ["4 free of 32"],
        id="the cpu allocation ratio multiplies the vcpus",
    ),
    # RamFilter
    pytest.param(
        "RamFilter",
        state(host("c2", ram_mb=16384), vm("x", on="c2", ram_mb=14336)),
        spec(vm("a", ram_mb=4096)),
        False,
        ["needs 4096 MB, 2048 MB free of 16384 MB on c2"],
        id="too little free RAM is removed with the amounts",
    ),
    pytest.param(
        "RamFilter",
        state(host("c2", ram_mb=16384), vm("x", on="c2", ram_mb=12288)),
        spec(vm("a", ram_mb=4096)),
        True,
        ["4096 MB fit"],
        id="exactly enough RAM passes",
    ),
    pytest.param(
        "RamFilter",
        state(host("c2", ram_mb=8192, ram_ratio=1.5)),
        spec(vm("a", ram_mb=12288)),
        True,
        ["free of 12288 MB"],
        id="the ram allocation ratio multiplies the memory",
    ),
    # DiskFilter
    pytest.param(
        "DiskFilter",
        state(host("c2", disk_gb=100), vm("x", on="c2", disk_gb=90)),
        spec(vm("a", disk_gb=40)),
        False,
        ["needs 40 GB disk, 10 GB free of 100 GB on c2"],
        id="too little free disk is removed with the amounts",
    ),
    pytest.param(
        "DiskFilter",
        state(host("c2", disk_gb=100, disk_ratio=2.0), vm("x", on="c2", disk_gb=150)),
        spec(vm("a", disk_gb=40)),
        True,
        ["50 GB free of 200 GB"],
        id="the disk allocation ratio multiplies the disk",
    ),
    # AffinityFilter
    pytest.param(
        "AffinityFilter",
        state(host("c2")),
        spec(vm("a", groups=["g-db"]), server_groups=[DB], group_hosts={"g-db": ["c3"]}),
        False,
        ["group 'db' (affinity) has its members on c3", "split the group"],
        id="a hard affinity member must join its group on another host",
    ),
    pytest.param(
        "AffinityFilter",
        state(host("c3")),
        spec(vm("a", groups=["g-db"]), server_groups=[DB], group_hosts={"g-db": ["c3"]}),
        True,
        [],
        id="the host of the affinity group passes",
    ),
    pytest.param(
        "AffinityFilter",
        state(host("c2")),
        spec(vm("a", groups=["g-db"]), server_groups=[DB], group_hosts={"g-db": []}),
        True,
        [],
        id="an affinity group with no members elsewhere allows any host",
    ),
    # AntiAffinityFilter
    pytest.param(
        "AntiAffinityFilter",
        state(host("c3")),
        spec(vm("a", groups=["g-web"]), server_groups=[WEB], group_hosts={"g-web": ["c3"]}),
        False,
        ["group 'web' (anti-affinity) already has a member on c3"],
        id="a host with a member of the anti-affinity group is removed",
    ),
    pytest.param(
        "AntiAffinityFilter",
        state(host("c2")),
        spec(vm("a", groups=["g-web"]), server_groups=[WEB], group_hosts={"g-web": ["c3"]}),
        True,
        [],
        id="a host without a member of the anti-affinity group passes",
    ),
    pytest.param(
        "AntiAffinityFilter",
        state(host("c3")),
        spec(vm("a", groups=["g-soft"]), server_groups=[SOFT], group_hosts={"g-soft": ["c3"]}),
        True,
        [],
        id="soft anti-affinity never removes a host",
    ),
]


@pytest.mark.parametrize(("name", "host_state", "request_spec", "passed", "says"), CASES)
def test_filter(
    name: str, host_state: HostState, request_spec: RequestSpec, passed: bool, says: list[str]
) -> None:
    result = FILTERS[name](host_state, request_spec)
    assert result.passed is passed
    assert result.filter == name
    assert result.reason.startswith(f"{name}: ")
    for text in says:
        assert text in result.reason


def test_every_registered_filter_has_a_pass_and_a_fail_case() -> None:
    covered = {(p.values[0], p.values[3]) for p in CASES}
    for name in FILTERS:
        assert (name, True) in covered, name
        assert (name, False) in covered, name


def test_detail_is_the_reason_without_the_filter_name() -> None:
    result = FilterResult(False, "RamFilter", "RamFilter: needs 1 MB")
    assert result.detail == "needs 1 MB"


def test_default_filters_are_all_registered_and_the_source_is_checked_first() -> None:
    assert set(DEFAULT_FILTERS) == set(FILTERS)
    assert DEFAULT_FILTERS[0] == "SourceHostFilter"
    assert len(get_filters(DEFAULT_FILTERS)) == len(FILTERS)


def test_an_unknown_filter_name_fails_naming_it_and_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown filter 'NoSuchFilter'.*RamFilter"):
        get_filters(["RamFilter", "NoSuchFilter"])
