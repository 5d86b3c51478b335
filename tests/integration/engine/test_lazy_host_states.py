"""A tick's host states, worked out per host on first use, are the states of every host built
at once; and placements over them answer exactly as over the full mapping."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import generate, make_host
from vacate.clouds.sim.state import MemoryState
from vacate.domain.model import HostName, InstanceId
from vacate.engine.hostroom import LazyHostStates
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.filters import group_hosts
from vacate.planning.hoststate import HostState
from vacate.planning.replacement import choose
from vacate.store import open_store


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hosts=st.integers(2, 6),
    instances=st.integers(1, 30),
    seed=st.integers(0, 1000),
    moves=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 5)), max_size=6),
    order=st.randoms(use_true_random=False),
)
def test_lazy_host_states_equal_the_full_build_and_place_the_same(
    tmp_path: Path,
    hosts: int,
    instances: int,
    seed: int,
    moves: list[tuple[int, int]],
    order: object,
) -> None:
    state = generate(hosts=hosts, instances=instances, seed=seed)
    cloud = SimCloud(MemoryState(state), speed=None)
    store = open_store(f"sqlite:///{tmp_path / 'lazy.db'}")
    names = sorted(state.hosts)
    ids = sorted(state.instances)
    inflight = {InstanceId(ids[i % len(ids)]): HostName(names[h % len(names)]) for i, h in moves}
    lazy = CloudSnapshot(cloud, store).host_states(inflight)
    full = CloudSnapshot(cloud, store).every_host_state(inflight)
    assert list(lazy) == list(full) and len(lazy) == len(full)
    asked = list(names)
    order.shuffle(asked)  # type: ignore[attr-defined]
    for name in asked:  # one by one (and past the share that builds the rest at once)
        assert lazy[HostName(name)] == full[HostName(name)]
    snapshot = CloudSnapshot(cloud, store)
    lazy = snapshot.host_states(inflight)
    everyone = list(snapshot.instances.values())
    for inst in everyone:
        if inst.host is None:
            continue
        source = HostName(inst.host)
        members = group_hosts(inst, everyone, source=source, inflight=inflight)
        for planned in (None, *[HostName(n) for n in names]):
            answers = [
                choose(
                    inst,
                    source=source,
                    planned=planned,
                    target=None,
                    states=states,
                    groups=snapshot.groups,
                    hosts_of_groups=members,
                )
                for states in (lazy, full)
            ]
            assert answers[0] == answers[1]


def test_names_are_listed_only_when_something_needs_them_all_and_edits_before_count() -> None:
    """Asking for one host (is it there, its state) reads that host alone; a host set or
    removed before the names are listed is set or removed in the listing too."""
    full = {HostName(n): HostState(host=make_host(n)) for n in ("c1", "c2", "c3")}
    listed: list[int] = []

    def names() -> list[HostName]:
        listed.append(1)
        return list(full)

    lazy = LazyHostStates(names, full.__getitem__, lambda: dict(full), exists=full.__contains__)
    assert HostName("c2") in lazy and HostName("c9") not in lazy and 7 not in lazy
    assert lazy[HostName("c3")] == full[HostName("c3")]
    lazy[HostName("c4")] = HostState(host=make_host("c4"))
    del lazy[HostName("c1")]
    assert HostName("c1") not in lazy and HostName("c4") in lazy
    assert not listed
    assert list(lazy) == ["c2", "c3", "c4"] and len(lazy) == 3 and listed == [1]
    assert lazy.sorted_names() == ["c2", "c3", "c4"] and listed == [1]
