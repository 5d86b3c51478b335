"""Properties every drain must keep, on random clouds with random options.

Whatever the cloud and the limits: no instance is lost or duplicated, no host is overfilled, no
hard server-group policy is broken, nothing lands on a host that was out of service, every
instance left behind says why, and no address changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vacate.clouds.sim.generate import generate
from vacate.clouds.sim.state import MemoryState
from vacate.domain.jobs import JobOptions, JobStatus, Outcome
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import GroupPolicy, HostName, ServiceStatus
from vacate.engine.context import Context
from vacate.planning.hoststate import build_host_states
from vacate.store import open_store

from .rig import LimitedSimCloud, Rig


@dataclass(frozen=True)
class Scenario:
    hosts: int
    instances: int
    seed: int
    #: Which host to drain: 0 is the busiest of the cloud (ties by name), then less busy ones.
    drain_rank: int
    #: Other hosts (by position among the hosts not drained) taken out of service beforehand.
    disabled: frozenset[int]
    in_maintenance: frozenset[int]
    options: JobOptions


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    hosts = draw(st.integers(3, 7))
    out = draw(st.lists(st.integers(0, hosts - 2), unique=True, max_size=hosts - 2))
    split = draw(st.integers(0, len(out)))
    overrides = draw(st.sets(st.sampled_from([("suspended", "skip"), ("error", "skip")])))
    return Scenario(
        hosts=hosts,
        instances=draw(st.sampled_from(range(5, 41))),
        seed=draw(st.integers(0, 10_000)),
        drain_rank=draw(st.integers(0, hosts - 1)),
        disabled=frozenset(out[:split]),
        in_maintenance=frozenset(out[split:]),
        options=JobOptions(
            allow_partial=True,
            reason="property",
            max_parallel=draw(st.integers(1, 6)),
            max_per_source=draw(st.integers(1, 4)),
            max_per_destination=draw(st.integers(1, 3)),
            state_policy=tuple(sorted(overrides)),
        ),
    )


@contextmanager
def rig_for(scenario: Scenario, tmp: pytest.TempPathFactory) -> Iterator[tuple[Rig, HostName]]:
    """The scenario's cloud on a fresh store, and the host to drain."""
    state = generate(hosts=scenario.hosts, instances=scenario.instances, seed=scenario.seed)
    busy = Counter(i.host for i in state.instances.values())
    ranked = sorted(state.hosts, key=lambda h: (-busy[h], h))
    source = HostName(ranked[scenario.drain_rank])
    others = sorted(h for h in state.hosts if h != source)
    cloud = LimitedSimCloud(MemoryState(state), speed=None)
    store = open_store(f"sqlite:///{tmp.mktemp('prop') / 'vacate.db'}")
    ctx = Context(cloud=cloud, store=store, clock=cloud.clock, owner="prop", poll_s=1.0)
    rig = Rig(cloud=cloud, store=store, ctx=ctx)
    ctx.observer = rig.watch
    try:
        for n in scenario.disabled:
            cloud.disable_service(others[n], "AUTO: Connection to libvirt lost")
        for n in scenario.in_maintenance:
            store.set_maintenance(
                HostName(others[n]), MaintenanceState.MAINTENANCE, reason="other", at=0.0
            )
        yield rig, source
    finally:
        store.close()


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_a_drain_keeps_every_invariant(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with rig_for(scenario, tmp_path_factory) as (rig, source):
        before = rig.instances()
        out_of_service = {
            h.name
            for h in rig.cloud.list_hosts()
            if h.service_status is ServiceStatus.DISABLED
            or rig.store.get_maintenance(h.name).state is not MaintenanceState.OPERATIONAL
        } | {source}
        groups = {g.id: g for g in rig.cloud.list_server_groups()}
        together_before = {
            gid: {i.host for i in before.values() if gid in i.server_groups}
            for gid, g in groups.items()
            if g.policy is GroupPolicy.AFFINITY
        }

        job = rig.drain(source, **_as_kwargs(scenario.options))

        after_list = rig.cloud.list_instances()
        after = {i.id: i for i in after_list}
        # Every instance exists exactly once, the same set as before.
        assert len(after_list) == len(after)
        assert set(after) == set(before)
        # Addresses never change; nothing broke on the way.
        for iid, inst in after.items():
            assert inst.addresses == before[iid].addresses
            assert inst.vm_state is before[iid].vm_state
        # No host beyond its capacity (allocation ratios included).
        for state in build_host_states(rig.cloud.list_hosts(), after_list, {}).values():
            assert state.vcpus_used <= state.vcpus_capacity, state.name
            assert state.ram_mb_used <= state.ram_mb_capacity, state.name
            assert state.disk_gb_used <= state.disk_gb_capacity, state.name
        # Hard anti-affinity: never two members on one host; hard affinity stays together.
        for gid, group in groups.items():
            hosts = Counter(i.host for i in after.values() if gid in i.server_groups)
            if group.policy is GroupPolicy.ANTI_AFFINITY:
                assert all(n <= 1 for n in hosts.values()), (group.name, hosts)
            if group.policy is GroupPolicy.AFFINITY and len(together_before[gid]) == 1:
                assert len(hosts) <= 1, (group.name, hosts)
        # Nothing landed on a host that was out of service before the drain.
        tasks = {t.instance_id: t for t in job.tasks}
        for task in job.tasks:
            if task.outcome is Outcome.MOVED:
                assert task.destination not in out_of_service, task
                assert after[task.instance_id].host == task.destination
        for iid, inst in after.items():
            if inst.host != before[iid].host:
                assert before[iid].host == source and iid in tasks
                assert tasks[iid].outcome is Outcome.MOVED
        # Every instance left on the drained host says why.
        for inst in rig.on(source):
            task = tasks[inst.id]
            assert task.outcome is not None and task.outcome is not Outcome.MOVED
            assert task.reason.strip(), task
        # The host says where things stand.
        moved_all = all(
            t.outcome is Outcome.MOVED or (t.outcome is Outcome.SKIPPED and not t.verdict.moves)
            for t in job.tasks
        )
        expected = MaintenanceState.MAINTENANCE if moved_all else MaintenanceState.ERROR
        assert job.status is (JobStatus.SUCCEEDED if moved_all else JobStatus.FAILED)
        assert rig.store.get_maintenance(source).state is expected
        host = rig.cloud.get_host(source)
        assert host.service_status is ServiceStatus.DISABLED
        assert host.disabled_reason == "vacate: property"


def _as_kwargs(options: JobOptions) -> dict[str, object]:
    return {
        "reason": options.reason,
        "max_parallel": options.max_parallel,
        "max_per_source": options.max_per_source,
        "max_per_destination": options.max_per_destination,
        "state_policy": options.state_policy,
    }
