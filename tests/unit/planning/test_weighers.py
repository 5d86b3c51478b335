"""Weighers: raw values normalised 0..1 over the candidates, times a multiplier, summed."""

from __future__ import annotations

import pytest

from vacate.domain.model import GroupPolicy
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState
from vacate.planning.weighers import DEFAULT_WEIGHERS, WEIGHERS, get_weighers, normalise, weigh

from .builders import group, host, spec, state, vm

ANTI = group("g-anti", GroupPolicy.SOFT_ANTI_AFFINITY, "anti")
AFF = group("g-aff", GroupPolicy.SOFT_AFFINITY, "aff")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([0.0, 5.0, 10.0], [0.0, 0.5, 1.0], id="min maps to 0 and max to 1"),
        pytest.param([-3.0, -1.0], [0.0, 1.0], id="negative values normalise the same way"),
        pytest.param([7.0, 7.0, 7.0], [0.0, 0.0, 0.0], id="all equal gives every host 0"),
        pytest.param([42.0], [0.0], id="a single host gets 0"),
        pytest.param([], [], id="no hosts gives nothing"),
    ],
)
def test_normalise(values: list[float], expected: list[float]) -> None:
    assert normalise(values) == expected


@pytest.mark.parametrize(
    ("name", "multiplier"),
    [
        pytest.param("RamWeigher", 1.0, id="ram spreads with multiplier 1"),
        pytest.param("VcpuWeigher", 0.5, id="vcpu spreads with multiplier one half"),
        pytest.param("SoftAntiAffinityWeigher", 1.0, id="soft anti affinity has multiplier 1"),
        pytest.param("SoftAffinityWeigher", 1.0, id="soft affinity has multiplier 1"),
        pytest.param("InstanceCountWeigher", 0.25, id="instance count has multiplier a quarter"),
    ],
)
def test_default_multipliers(name: str, multiplier: float) -> None:
    assert WEIGHERS[name].multiplier == multiplier
    assert name in DEFAULT_WEIGHERS


def test_spread_the_emptier_host_wins() -> None:
    full = state(host("c2"), vm("x", on="c2", ram_mb=8192, vcpus=8))
    empty = state(host("c3"))
    ranked = weigh([full, empty], spec())
    assert [s.name for s, _ in ranked] == ["c3", "c2"]
    assert ranked[0][1] == pytest.approx(1.0 + 0.5 + 0.25)
    assert ranked[1][1] == 0.0


def test_equal_hosts_are_ordered_by_name() -> None:
    ranked = weigh([state(host("c9")), state(host("c2")), state(host("c5"))], spec())
    assert [s.name for s, _ in ranked] == ["c2", "c5", "c9"]


def _crowded_and_roomy() -> tuple[list[HostState], RequestSpec]:
    # c2 has the most free RAM but a member of the soft-anti-affinity group.
    roomy = state(host("c2", ram_mb=32768), vm("m", on="c2", ram_mb=1024, groups=["g-anti"]))
    tight = state(host("c3", ram_mb=16384))
    request = spec(vm("a", groups=["g-anti"]), server_groups=[ANTI])
    return [roomy, tight], request


def test_soft_anti_affinity_beats_free_ram_when_its_multiplier_is_higher() -> None:
    hosts, request = _crowded_and_roomy()
    chosen = get_weighers(
        ["RamWeigher", "SoftAntiAffinityWeigher"], multipliers={"SoftAntiAffinityWeigher": 2.0}
    )
    assert weigh(hosts, request, chosen)[0][0].name == "c3"


def test_free_ram_beats_soft_anti_affinity_when_its_multiplier_is_higher() -> None:
    hosts, request = _crowded_and_roomy()
    chosen = get_weighers(
        ["RamWeigher", "SoftAntiAffinityWeigher"], multipliers={"RamWeigher": 2.0}
    )
    assert weigh(hosts, request, chosen)[0][0].name == "c2"


@pytest.mark.parametrize(
    ("name", "members_on_c2", "expected"),
    [
        pytest.param("SoftAntiAffinityWeigher", 2, -2.0, id="soft anti affinity counts minus"),
        pytest.param("SoftAffinityWeigher", 2, 2.0, id="soft affinity counts plus"),
    ],
)
def test_soft_group_weighers_count_members_of_the_instance_groups(
    name: str, members_on_c2: int, expected: float
) -> None:
    gid = "g-anti" if name == "SoftAntiAffinityWeigher" else "g-aff"
    members = [vm(f"m{i}", on="c2", groups=[gid]) for i in range(members_on_c2)]
    other = vm("o", on="c2", groups=["g-unrelated"])
    s = state(host("c2"), *members, other)
    request = spec(vm("a", groups=[gid]), server_groups=[ANTI, AFF])
    assert WEIGHERS[name].fn(s, request) == expected


def test_soft_affinity_pulls_towards_the_members() -> None:
    with_member = state(host("c2"), vm("m", on="c2", ram_mb=4096, groups=["g-aff"]))
    empty = state(host("c3"))
    request = spec(vm("a", groups=["g-aff"]), server_groups=[AFF])
    chosen = get_weighers(["RamWeigher", "SoftAffinityWeigher"], multipliers={"RamWeigher": 0.5})
    assert weigh([with_member, empty], request, chosen)[0][0].name == "c2"


def test_unknown_weigher_or_stray_multiplier_fails() -> None:
    with pytest.raises(ValueError, match="unknown weigher 'Nope'"):
        get_weighers(["Nope"])
    with pytest.raises(ValueError, match="not in use: VcpuWeigher"):
        get_weighers(["RamWeigher"], multipliers={"VcpuWeigher": 3.0})
