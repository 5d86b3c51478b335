"""plan_drain: the whole drain decided at once, capacity and server groups reserved as it goes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from vacate.domain.jobs import JobOptions, Verdict
from vacate.domain.model import (
    GIB,
    MIB,
    GroupPolicy,
    Host,
    Instance,
    ServerGroup,
    VmState,
    Workload,
)
from vacate.planning.preflight import DrainPlan, plan_drain

from .builders import SOURCE, group, groups, host, states, vm

WEB = group("g-web", GroupPolicy.ANTI_AFFINITY, "web")
DB = group("g-db", GroupPolicy.AFFINITY, "db")


def plan(
    instances: Iterable[Instance],
    hosts: Iterable[Host],
    *,
    others: Iterable[Instance] = (),
    server_groups: Iterable[ServerGroup] = (),
    options: JobOptions | None = None,
    maintenance: Mapping[str, str] | None = None,
    az: str | None = None,
    bandwidth: float | None = None,
) -> DrainPlan:
    instances = list(instances)
    return plan_drain(
        source=SOURCE,
        instances=instances,
        host_states=states([host("c1", ram_mb=262144), *hosts], [*instances, *others], maintenance),
        groups=groups(*server_groups),
        options=options or JobOptions(),
        az=az,
        bandwidth=bandwidth,
    )


def destinations(p: DrainPlan) -> dict[str, str | None]:
    return {i.instance.name: i.destination for i in p.items}


def test_capacity_is_reserved_across_the_plan_so_two_instances_go_to_different_hosts() -> None:
    p = plan(
        [vm("a", ram_mb=6144), vm("b", ram_mb=6144)],
        [host("c2", ram_mb=8192), host("c3", ram_mb=8192)],
    )
    assert sorted(d for d in destinations(p).values() if d) == ["c2", "c3"]
    assert p.ok and len(p.movable) == 2


def test_a_third_instance_that_fits_nowhere_is_blocked_with_the_ram_filter_reason() -> None:
    p = plan(
        [vm("a", ram_mb=6144), vm("b", ram_mb=6144), vm("c", ram_mb=6144)],
        [host("c2", ram_mb=8192), host("c3", ram_mb=8192)],
    )
    assert destinations(p) == {"a": "c2", "b": "c3", "c": None}
    blocked = p.item("c")
    assert blocked.verdict is Verdict.BLOCKED
    assert "no valid host for c:" in blocked.reason
    assert (
        "RamFilter removed 2 hosts (needs 6144 MB, 2048 MB free of 8192 MB on c2)" in blocked.reason
    )
    assert not p.ok
    assert p.blocked == (blocked,)


def test_an_anti_affinity_group_of_three_spreads_over_three_other_hosts() -> None:
    members = [vm(f"w{i}", groups=["g-web"]) for i in (1, 2, 3)]
    p = plan(members, [host("c2"), host("c3"), host("c4")], server_groups=[WEB])
    assert sorted(d for d in destinations(p).values() if d) == ["c2", "c3", "c4"]
    assert p.ok


def test_an_anti_affinity_group_of_three_with_two_other_hosts_blocks_one_naming_the_group() -> None:
    members = [vm(f"w{i}", groups=["g-web"]) for i in (1, 2, 3)]
    p = plan(members, [host("c2"), host("c3")], server_groups=[WEB])
    assert destinations(p) == {"w1": "c2", "w2": "c3", "w3": None}
    assert "AntiAffinityFilter removed 2 hosts" in p.item("w3").reason
    assert "group 'web' (anti-affinity) already has a member on c2" in p.item("w3").reason


def test_anti_affinity_counts_members_already_on_other_hosts() -> None:
    p = plan(
        [vm("w1", groups=["g-web"])],
        [host("c2", ram_mb=65536), host("c3")],
        others=[vm("w2", on="c2", groups=["g-web"])],
        server_groups=[WEB],
    )
    assert destinations(p) == {"w1": "c3"}


def test_an_affinity_group_moves_together_to_a_host_with_room_for_all() -> None:
    # c2 has the most free RAM but vCPUs for only one member; c3 takes both.
    members = [vm(f"d{i}", vcpus=3, groups=["g-db"]) for i in (1, 2)]
    p = plan(
        members,
        [host("c2", ram_mb=65536, vcpus=4), host("c3", vcpus=16)],
        server_groups=[DB],
    )
    assert destinations(p) == {"d1": "c3", "d2": "c3"}
    assert "room for all 2 members of affinity group 'db'" in p.item("d1").reason


def test_an_affinity_group_joins_its_members_on_another_host() -> None:
    p = plan(
        [vm("d1", groups=["g-db"])],
        [host("c2", ram_mb=65536), host("c3")],
        others=[vm("d0", on="c3", groups=["g-db"])],
        server_groups=[DB],
    )
    assert destinations(p) == {"d1": "c3"}


def test_an_affinity_group_that_fits_nowhere_whole_is_never_split() -> None:
    members = [vm("d1", ram_mb=4096, groups=["g-db"]), vm("d2", ram_mb=4096, groups=["g-db"])]
    p = plan(members, [host("c2", ram_mb=6144), host("c3", ram_mb=6144)], server_groups=[DB])
    assert destinations(p) == {"d1": "c2", "d2": None}
    reason = p.item("d2").reason
    assert "RamFilter removed 1 host" in reason
    assert "AffinityFilter removed 1 host (group 'db' (affinity) has its members on c2" in reason


def test_hard_group_members_are_placed_before_bigger_free_instances() -> None:
    # If the big instance went first it would take c2, the member's only option.
    p = plan(
        [vm("big", ram_mb=6144), vm("w1", ram_mb=4096, groups=["g-web"])],
        [host("c2", ram_mb=8192), host("c3", ram_mb=12288)],
        others=[vm("w0", on="c3", ram_mb=4096, groups=["g-web"])],
        server_groups=[WEB],
    )
    assert destinations(p) == {"big": "c3", "w1": "c2"}


def test_an_explicit_target_takes_every_mover() -> None:
    p = plan(
        [vm("a"), vm("b")],
        [host("c2", ram_mb=65536), host("c3")],
        options=JobOptions(target=host("c3").name),
    )
    assert destinations(p) == {"a": "c3", "b": "c3"}


def test_a_full_explicit_target_blocks_with_both_reasons() -> None:
    p = plan(
        [vm("a", ram_mb=8192)],
        [host("c2", ram_mb=65536), host("c3", ram_mb=4096)],
        options=JobOptions(target=host("c3").name),
    )
    reason = p.item("a").reason
    assert "TargetHostFilter removed 1 host (c2 is not the requested target c3)" in reason
    assert "RamFilter removed 1 host (needs 8192 MB, 4096 MB free of 4096 MB on c3)" in reason


def test_a_required_availability_zone_is_honoured() -> None:
    p = plan(
        [vm("a"), vm("b")],
        [host("c2", az="az1", ram_mb=65536), host("c3", az="az2"), host("c4", az="az2")],
        az="az2",
    )
    assert destinations(p) == {"a": "c3", "b": "c4"}


@pytest.mark.parametrize(
    ("unusable", "maintenance"),
    [
        pytest.param(host("c2", ram_mb=65536, enabled=False), None, id="a disabled host"),
        pytest.param(host("c2", ram_mb=65536, up=False), None, id="a down host"),
        pytest.param(host("c2", ram_mb=65536, forced_down=True), None, id="a forced down host"),
        *[
            pytest.param(host("c2", ram_mb=65536), {"c2": m}, id=f"a host in {m}")
            for m in ("entering", "maintenance", "exiting", "error", "down")
        ],
    ],
)
def test_unusable_hosts_are_never_chosen_even_when_emptiest(
    unusable: Host, maintenance: dict[str, str] | None
) -> None:
    p = plan([vm("a"), vm("b")], [unusable, host("c3")], maintenance=maintenance)
    assert destinations(p) == {"a": "c3", "b": "c3"}


def test_verdicts_come_from_the_policy_and_non_movers_have_no_destination() -> None:
    p = plan(
        [
            vm("run"),
            vm("off", vm_state=VmState.STOPPED),
            vm("gone", vm_state=VmState.DELETED),
            vm("sus", vm_state=VmState.SUSPENDED),
        ],
        [host("c2")],
    )
    verdicts = {i.instance.name: (i.verdict, i.destination) for i in p.items}
    assert verdicts == {
        "run": (Verdict.LIVE, "c2"),
        "off": (Verdict.COLD, "c2"),
        "gone": (Verdict.SKIP, None),
        "sus": (Verdict.BLOCKED, None),
    }
    assert "to c2: best of 1 valid host" in p.item("run").reason
    assert [i.instance.name for i in p.skipped] == ["gone"]
    assert p.summary() == (
        "drain c1: 4 instances, 1 live, 1 cold, 1 skipped, 1 blocked; not ready: blocked sus"
    )


def test_an_empty_host_gives_an_empty_plan_that_is_ready() -> None:
    p = plan([], [host("c2")])
    assert p.items == () and p.ok
    assert p.summary() == "drain c1: 0 instances, 0 live, 0 cold, 0 skipped, 0 blocked; ready"


def _hot(touched_mib: float, dirty_mib: float = 0.0) -> Workload:
    return Workload(touched_bytes=touched_mib * MIB, dirty_rate=dirty_mib * MIB, wss_bytes=GIB)


def test_order_is_longest_estimated_migration_first_and_non_movers_last() -> None:
    p = plan(
        [
            vm("small", workload=_hot(100)),
            vm("big", workload=_hot(2000)),
            vm("mid-b", workload=_hot(500)),
            vm("mid-a", workload=_hot(500)),
            vm("gone", vm_state=VmState.DELETED),
            vm("sus", vm_state=VmState.SUSPENDED),
        ],
        [host("c2", ram_mb=65536)],
        bandwidth=100 * MIB,
    )
    assert [i.instance.name for i in sorted(p.items, key=lambda i: i.order)] == [
        "big", "mid-a", "mid-b", "small", "gone", "sus",
    ]  # fmt: skip
    assert [i.order for i in p.items] == [1, 2, 3, 4, 5, 6]
    # Four live migrations share the 100 MiB/s: each is estimated at its 25 MiB/s.
    assert p.item("big").estimate_s == pytest.approx(5.0 + 80.0)
    assert p.item("gone").estimate_s is None


def test_unknown_durations_start_first_and_non_convergence_is_flagged() -> None:
    p = plan(
        [
            vm("idle", workload=_hot(100)),
            vm("hot", workload=_hot(512, dirty_mib=200)),
            vm("off", vm_state=VmState.STOPPED, ram_mb=1024),
        ],
        [host("c2", ram_mb=65536)],
        bandwidth=100 * MIB,
        options=JobOptions(fixed_limits=True),
    )
    assert [i.instance.name for i in p.items] == ["hot", "off", "idle"]
    assert p.item("hot").estimate_s is None
    assert "will not converge at 50 MiB/s, 2 streams sharing" in p.item("hot").reason
    assert p.item("off").estimate_s is None


def test_convergence_is_judged_at_the_fair_share_of_the_source_nic() -> None:
    guests = [vm("warm", workload=_hot(512, dirty_mib=70)), vm("idle", workload=_hot(100))]
    together = plan(
        guests,
        [host("c2", ram_mb=65536)],
        bandwidth=100 * MIB,
        options=JobOptions(fixed_limits=True),
    )
    alone = plan(
        guests,
        [host("c2", ram_mb=65536)],
        bandwidth=100 * MIB,
        options=JobOptions(max_per_source=1, fixed_limits=True),
    )
    assert together.item("warm").estimate_s is None  # 70 MiB/s dirtied, 50 MiB/s sent
    assert "will not converge at 50 MiB/s" in together.item("warm").reason
    assert alone.item("warm").estimate_s is not None  # one at a time: 100 MiB/s each


def test_bandwidth_defaults_to_the_source_nic_and_a_guest_without_workload_sends_its_ram() -> None:
    instances = [vm("a", ram_mb=1024)]
    p = plan_drain(
        source=SOURCE,
        instances=instances,
        host_states=states([host("c1", nic=512 * MIB), host("c2")], instances),
        groups={},
        options=JobOptions(),
    )
    assert p.item("a").estimate_s == pytest.approx(5.0 + 2.0)


def test_without_bandwidth_nothing_is_estimated_and_bigger_guests_go_first() -> None:
    p = plan([vm("a", ram_mb=1024), vm("b", ram_mb=4096)], [host("c2", ram_mb=65536)])
    assert [i.instance.name for i in p.items] == ["b", "a"]
    assert all(i.estimate_s is None for i in p.items)


def test_the_same_inputs_give_the_same_plan() -> None:
    def once() -> DrainPlan:
        members = [vm(f"w{i}", groups=["g-web"]) for i in range(4)]
        return plan(
            [*members, vm("x"), vm("y")],
            [host(f"c{i}") for i in range(2, 7)],
            server_groups=[WEB],
        )

    assert once() == once()
