"""Max-min fair sharing: hand-computed allocations and the max-min property itself."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vacate.planning.sharing import Flow, allocate


def out(host: str) -> tuple[str, str]:
    return (host, "out")


def into(host: str) -> tuple[str, str]:
    return (host, "in")


def test_two_flows_sharing_one_source_nic_each_get_half() -> None:
    flows = [Flow("f1", (out("a"), into("b"))), Flow("f2", (out("a"), into("c")))]
    capacity = {out("a"): 10.0, into("b"): 100.0, into("c"): 100.0}
    assert allocate(flows, capacity) == pytest.approx({"f1": 5.0, "f2": 5.0})


def test_a_flow_capped_by_its_stream_ceiling_leaves_the_rest_to_the_other() -> None:
    flows = [Flow("capped", (out("a"), into("b")), 2.0), Flow("free", (out("a"), into("c")))]
    capacity = {out("a"): 10.0, into("b"): 100.0, into("c"): 100.0}
    assert allocate(flows, capacity) == pytest.approx({"capped": 2.0, "free": 8.0})


def test_flows_on_disjoint_links_each_get_the_smaller_of_ceiling_and_link() -> None:
    flows = [
        Flow("slow-link", (out("a"), into("b")), 5.0),
        Flow("slow-stream", (out("c"), into("d")), 1.5),
    ]
    capacity = {out("a"): 3.0, into("b"): 4.0, out("c"): 10.0, into("d"): 10.0}
    assert allocate(flows, capacity) == pytest.approx({"slow-link": 3.0, "slow-stream": 1.5})


def test_textbook_progressive_filling_of_three_flows_on_two_links() -> None:
    # Link L1 (10) carries A and B, link L2 (4) carries A and C. Filling all three together,
    # L2 fills first at 2 each (A, C frozen at 2); B then takes the rest of L1: 10 - 2 = 8.
    l1, l2 = ("l1", "x"), ("l2", "x")
    flows = [Flow("A", (l1, l2)), Flow("B", (l1,)), Flow("C", (l2,))]
    assert allocate(flows, {l1: 10.0, l2: 4.0}) == pytest.approx({"A": 2.0, "B": 8.0, "C": 2.0})


def test_the_allocation_does_not_depend_on_the_order_of_flows() -> None:
    l1, l2 = ("l1", "x"), ("l2", "x")
    flows = [Flow("A", (l1, l2)), Flow("B", (l1,), 3.0), Flow("C", (l2,))]
    capacity = {l1: 10.0, l2: 4.0}
    assert allocate(flows, capacity) == allocate(list(reversed(flows)), capacity)


def test_a_link_missing_from_the_capacities_does_not_constrain() -> None:
    flows = [Flow("f", (out("a"), into("b")), 7.0), Flow("g", (out("z"),))]
    assert allocate(flows, {out("a"): 9.0}) == {"f": 7.0, "g": math.inf}


def test_duplicate_flow_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        allocate([Flow("f", (out("a"),)), Flow("f", (out("b"),))], {})


LINKS = [("h0", "out"), ("h1", "out"), ("h2", "in"), ("h3", "in")]


@given(
    capacities=st.lists(st.floats(0.0, 100.0), min_size=4, max_size=4),
    specs=st.lists(
        st.tuples(
            st.sets(st.integers(0, 3), min_size=1, max_size=3),
            st.one_of(st.just(math.inf), st.floats(0.0, 50.0)),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_every_flow_is_feasible_and_has_a_bottleneck(
    capacities: list[float], specs: list[tuple[set[int], float]]
) -> None:
    """Max-min fairness, checked by its definition rather than by an algorithm.

    Feasible: no link carries more than its capacity, no flow exceeds its ceiling. Max-min: each
    flow sits at its ceiling or crosses a full link on which no other flow gets more.
    """
    capacity = dict(zip(LINKS, capacities, strict=True))
    flows = [
        Flow(f"f{i}", tuple(LINKS[j] for j in sorted(links)), cap)
        for i, (links, cap) in enumerate(specs)
    ]
    rates = allocate(flows, capacity)
    load = {link: sum(rates[f.id] for f in flows if link in f.links) for link in LINKS}
    tol = 1e-9 * 100
    for link in LINKS:
        assert load[link] <= capacity[link] + tol
    for f in flows:
        assert 0.0 <= rates[f.id] <= f.cap + tol
        at_cap = rates[f.id] >= f.cap - tol
        bottlenecked = any(
            load[link] >= capacity[link] - tol
            and all(rates[g.id] <= rates[f.id] + tol for g in flows if link in g.links)
            for link in f.links
        )
        assert at_cap or bottlenecked, f"{f.id} could get more: {rates}"


def test_an_uncapped_flow_takes_what_the_capped_ones_leave_of_a_shared_link() -> None:
    flows = [
        Flow("stop-and-copy", (out("a"), into("b"))),
        Flow("pre-copy-1", (out("a"), into("c")), 1.0),
        Flow("pre-copy-2", (out("a"), into("d")), 1.0),
    ]
    capacity = {out("a"): 10.0, into("b"): 10.0, into("c"): 10.0, into("d"): 10.0}
    assert allocate(flows, capacity) == pytest.approx(
        {"stop-and-copy": 8.0, "pre-copy-1": 1.0, "pre-copy-2": 1.0}
    )


def test_uncapped_flows_alone_on_a_link_split_it_evenly() -> None:
    flows = [Flow("x", (out("a"), into("b"))), Flow("y", (out("a"), into("c")))]
    capacity = {out("a"): 6.0, into("b"): 100.0, into("c"): 100.0}
    assert allocate(flows, capacity) == pytest.approx({"x": 3.0, "y": 3.0})
