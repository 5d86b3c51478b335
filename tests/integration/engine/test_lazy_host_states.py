"""A tick's host states, worked out per host on first use, are the states of every host built
at once; and placements over them answer exactly as over the full mapping."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import generate
from vacate.clouds.sim.state import MemoryState
from vacate.domain.model import HostName, InstanceId
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.filters import group_hosts
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
