"""The incremental placer answers every placement of a drain exactly as the scheduler does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vacate.domain.model import GroupPolicy, HostName
from vacate.planning.filters import DEFAULT_FILTERS, get_filters
from vacate.planning.placer import Placer, passes_every_filter
from vacate.planning.scheduler import first_failure, select_destination

from .builders import group, host, spec, states, vm

GROUPS = [
    group("anti", GroupPolicy.ANTI_AFFINITY),
    group("soft", GroupPolicy.SOFT_ANTI_AFFINITY),
    group("aff", GroupPolicy.AFFINITY),
    group("softaff", GroupPolicy.SOFT_AFFINITY),
]

hosts_strategy = st.lists(
    st.tuples(
        st.sampled_from([8192, 16384, 32768]),  # RAM
        st.sampled_from([4, 8, 16]),  # vCPUs
        st.booleans(),  # enabled
        st.sampled_from(["nova", "az2"]),
        st.sampled_from(["up", "down", "forced down"]),
    ),
    min_size=1,
    max_size=9,
)
movers_strategy = st.lists(
    st.tuples(
        st.sampled_from([1024, 2048, 4096, 8192]),
        st.sampled_from([1, 2, 4]),
        st.lists(st.sampled_from(["anti", "soft", "aff", "softaff"]), max_size=2, unique=True),
        st.sampled_from([None, "nova"]),  # requested zone
        st.sampled_from([None, "c2", "c3"]),  # target
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(hosts_strategy, movers_strategy, st.integers(0, 3))
def test_the_placer_answers_every_placement_as_the_scheduler_does(
    hosts: list[tuple[int, int, bool, str, str]],
    movers: list[tuple[int, int, list[str], str | None, str | None]],
    residents: int,
) -> None:
    made = [host("c1")] + [
        host(
            f"c{n + 2}",
            ram_mb=ram,
            vcpus=cpus,
            enabled=on,
            az=az,
            up=service != "down",
            forced_down=service == "forced down",
        )
        for n, (ram, cpus, on, az, service) in enumerate(hosts)
    ]
    already = [vm(f"r{n}", on=made[1 + n % len(hosts)].name, ram_mb=2048) for n in range(residents)]
    working = states(made, already)
    placer = Placer(working)
    for n, (ram, cpus, gids, az, target) in enumerate(movers):
        inst = vm(f"m{n:02d}", ram_mb=ram, vcpus=cpus, groups=gids)
        where = {
            g: {name for name, s in working.items() if s.members(g) > 0 and name != "c1"}
            for g in gids
        }
        request = spec(inst, server_groups=GROUPS, az=az, target=target, group_hosts=where)
        expected = select_destination(request, working)
        assert placer.select(request) == expected
        if expected.host is not None:
            dest = HostName(expected.host)
            working[dest] = working[dest].with_instance(inst)
            placer.update(dest, working[dest])


@settings(max_examples=150, deadline=None)
@given(
    hosts_strategy,
    movers_strategy,
    st.integers(0, 3),
    st.sampled_from(["c1", "c2", "c3", "c9", None]),
    st.sampled_from(["c1", "c2", "c3", "c4", "zz"]),
)
def test_a_targeted_placement_is_answered_as_if_every_host_were_filtered(
    hosts: list[tuple[int, int, bool, str, str]],
    movers: list[tuple[int, int, list[str], str | None, str | None]],
    residents: int,
    source: str | None,
    target: str,
) -> None:
    made = [host("c1")] + [
        host(
            f"c{n + 2}",
            ram_mb=ram,
            vcpus=cpus,
            enabled=on,
            az=az,
            up=service != "down",
            forced_down=service == "forced down",
        )
        for n, (ram, cpus, on, az, service) in enumerate(hosts)
    ]
    already = [vm(f"r{n}", on=made[1 + n % len(hosts)].name, ram_mb=2048) for n in range(residents)]
    working = states(made, already)
    for n, (ram, cpus, gids, az, _) in enumerate(movers):
        inst = vm(f"m{n:02d}", ram_mb=ram, vcpus=cpus, groups=gids)
        where = {g: {made[-1].name} for g in gids}
        request = spec(
            inst, server_groups=GROUPS, az=az, source=source, target=target, group_hosts=where
        )
        every_host = select_destination(request, working, filters=get_filters(DEFAULT_FILTERS))
        assert select_destination(request, working) == every_host


@settings(max_examples=200, deadline=None)
@given(hosts_strategy, movers_strategy, st.sampled_from(["c1", "c2", None]))
def test_the_shortcut_passes_a_host_exactly_when_every_filter_does(
    hosts: list[tuple[int, int, bool, str, str]],
    movers: list[tuple[int, int, list[str], str | None, str | None]],
    source: str | None,
) -> None:
    made = [host("c1")] + [
        host(
            f"c{n + 2}",
            ram_mb=ram,
            vcpus=cpus,
            enabled=on,
            az=az,
            up=service != "down",
            forced_down=service == "forced down",
        )
        for n, (ram, cpus, on, az, service) in enumerate(hosts)
    ]
    working = states(made, [vm("r0", on="c2", ram_mb=4096, groups=["anti", "aff"])])
    filters = get_filters(DEFAULT_FILTERS)
    for n, (ram, cpus, gids, az, target) in enumerate(movers):
        inst = vm(f"m{n:02d}", ram_mb=ram, vcpus=cpus, groups=gids)
        where = {g: {"c2"} for g in gids}
        request = spec(
            inst, server_groups=GROUPS, az=az, source=source, target=target, group_hosts=where
        )
        for state in working.values():
            every = first_failure(state, request, filters) is None
            assert passes_every_filter(state, request) == every
