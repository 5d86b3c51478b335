"""select_destination: filter in order, weigh the survivors, say which filter removed how many."""

from __future__ import annotations

from vacate.domain.model import GroupPolicy
from vacate.planning.filters import get_filters
from vacate.planning.scheduler import Rejection, select_destination
from vacate.planning.weighers import get_weighers

from .builders import group, host, spec, states, vm

WEB = group("g-web", GroupPolicy.ANTI_AFFINITY, "web")


def test_the_best_valid_host_is_chosen_and_the_source_is_never_a_candidate() -> None:
    hosts = states(
        [host("c1", ram_mb=65536), host("c2"), host("c3")],
        [vm("busy", on="c2", ram_mb=8192)],
    )
    placement = select_destination(spec(vm("a")), hosts)
    assert placement.host == "c3"
    assert placement.found
    assert placement.reason.startswith("c3: best of 2 valid hosts")
    assert placement.rejections == (
        Rejection("SourceHostFilter", 1, "c1 is the host being drained"),
    )


def test_no_valid_host_counts_removals_per_filter_with_an_example() -> None:
    hosts = states(
        [host("c1"), *(host(f"c{i}", ram_mb=65536) for i in (2, 3, 4)), host("c5"), host("c6")],
        [
            *(vm(f"big{i}", on=f"c{i}", ram_mb=61440) for i in (2, 3, 4)),
            vm("w1", on="c5", groups=["g-web"]),
            vm("w2", on="c6", groups=["g-web"]),
        ],
    )
    request = spec(
        vm("db-1", ram_mb=8192, groups=["g-web"]),
        server_groups=[WEB],
        group_hosts={"g-web": ["c5", "c6"]},
    )
    placement = select_destination(request, hosts)
    assert placement.host is None
    assert placement.reason == (
        "no valid host for db-1: SourceHostFilter removed 1 host (c1 is the host being drained); "
        "RamFilter removed 3 hosts (needs 8192 MB, 4096 MB free of 65536 MB on c2); "
        "AntiAffinityFilter removed 2 hosts "
        "(group 'web' (anti-affinity) already has a member on c5)"
    )
    assert [(r.filter, r.hosts) for r in placement.rejections] == [
        ("SourceHostFilter", 1),
        ("RamFilter", 3),
        ("AntiAffinityFilter", 2),
    ]


def test_a_host_stops_at_its_first_failing_filter() -> None:
    # c2 is both disabled and full: only the ComputeFilter (earlier) counts it.
    hosts = states([host("c2", enabled=False, ram_mb=1024)])
    placement = select_destination(spec(vm("a", ram_mb=4096)), hosts)
    assert [r.filter for r in placement.rejections] == ["ComputeFilter"]


def test_rejections_follow_the_order_of_the_filters_given() -> None:
    hosts = states([host("c2", ram_mb=1024), host("c3", enabled=False)])
    filters = get_filters(["RamFilter", "ComputeFilter"])
    placement = select_destination(spec(vm("a", ram_mb=4096)), hosts, filters=filters)
    assert [r.filter for r in placement.rejections] == ["RamFilter", "ComputeFilter"]


def test_no_hosts_at_all_says_so() -> None:
    placement = select_destination(spec(vm("a")), {})
    assert placement.host is None
    assert placement.reason == "no valid host for a: no hosts to consider"


def test_custom_weighers_change_the_choice_and_ties_go_by_name() -> None:
    hosts = states([host("c3", ram_mb=32768), host("c2")])
    assert select_destination(spec(), hosts).host == "c3"
    nothing_counts = get_weighers(["InstanceCountWeigher"])
    assert select_destination(spec(), hosts, weighers=nothing_counts).host == "c2"


def test_same_inputs_same_answer() -> None:
    hosts = states([host(f"c{i}") for i in range(2, 9)])
    answers = {select_destination(spec(), hosts).host for _ in range(5)}
    assert answers == {"c2"}
