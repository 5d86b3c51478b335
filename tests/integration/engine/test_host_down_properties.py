"""Property: a failed host that comes back at any moment of a host-down job never leaves an
instance running in two places, and every instance exists exactly once.

Hypothesis draws the guests, how the host is fenced (an operator's assertion, or a BMC that
takes a few polls to power it off), the tick at which the host's service reports up again
(before the report is even run, during marking, at the gate, mid-evacuation, after) and
whether its compute cleans up the copies of evacuated guests when it does. The simulated cloud
keeps a running copy of any guest evacuated while its host was alive, so a double run is
visible; after every tick the test counts running copies per instance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vacate.clouds.sim.stale import is_stale, original_id
from vacate.clouds.sim.state import MemoryState
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, PowerState
from vacate.engine import hostdown
from vacate.engine.context import Context
from vacate.store import open_store

from .rig import LimitedSimCloud, Rig, cloud_of, vm
from .test_host_down import Bmc, kill


@dataclass(frozen=True)
class Scenario:
    guests: tuple[tuple[str, str], ...]  # (flavor, vm_state)
    by_bmc: bool
    back_at: int  # the tick after which the service reports up (-1: before the run)
    clean: bool
    destinations: int


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    flavor = st.sampled_from(["m1.small", "m1.medium", "m1.large", "m1.xlarge"])
    state = st.sampled_from(["active", "active", "stopped", "error"])
    return Scenario(
        guests=tuple(draw(st.lists(st.tuples(flavor, state), min_size=1, max_size=8))),
        by_bmc=draw(st.booleans()),
        back_at=draw(st.integers(-1, 30)),
        clean=draw(st.booleans()),
        destinations=draw(st.integers(1, 3)),
    )


def running_copies(rig: Rig) -> Counter[str]:
    """How many copies of each instance run now (its record, and any copy left on a host)."""
    copies: Counter[str] = Counter()
    for inst in rig.cloud.list_instances():
        if inst.power_state is PowerState.RUNNING:
            copies[original_id(inst)] += 1
    return copies


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_a_host_coming_back_at_any_moment_never_runs_an_instance_twice(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> None:
    guests = [
        vm(f"g{n}", flavor=flavor, vm_state=state)
        for n, (flavor, state) in enumerate(scenario.guests)
    ]
    destinations = tuple(f"d{n}" for n in range(scenario.destinations))
    cloud = LimitedSimCloud(MemoryState(cloud_of(guests, destinations=destinations)), speed=None)
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('hostdown') / 'vacate.db'}")
    ctx = Context(cloud=cloud, store=store, clock=cloud.clock, owner="prop", poll_s=1.0)
    rig = Rig(cloud=cloud, store=store, ctx=ctx)
    ctx.observer = rig.watch
    try:
        kill(rig)  # the host fails: its service reports down
        before = set(rig.instances())
        if scenario.by_bmc:
            ctx.fencer = Bmc(rig, polls_to_off=2)
        job = hostdown.report_down(ctx, "src", fenced=not scenario.by_bmc, actor=Actor(name="prop"))
        ticks = [0]

        def host_comes_back(_: Job) -> None:
            ticks[0] += 1
            if ticks[0] == scenario.back_at:
                rig.cloud.revive_host("src", clean=scenario.clean)
            doubled = {i: n for i, n in running_copies(rig).items() if n > 1}
            assert not doubled, f"running in two places after tick {ticks[0]}: {doubled}"

        if scenario.back_at == -1:
            rig.cloud.revive_host("src", clean=scenario.clean)
        rig.observers.append(host_comes_back)
        finished = rig.run(job)

        assert not finished.status.is_active
        records = [i for i in rig.cloud.list_instances() if not is_stale(i)]
        assert sorted(i.id for i in records) == sorted(before)  # each exactly once
        assert not {i: n for i, n in running_copies(rig).items() if n > 1}
        assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.DOWN
        for task in finished.tasks:
            assert task.outcome is not None and (task.outcome.value == "moved" or task.reason)
    finally:
        store.close()
