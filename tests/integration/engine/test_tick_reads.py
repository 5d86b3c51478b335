"""A tick that starts moves reads what it places, not the cloud: the destinations it re-checks
and the source, one host at a time. Listing every host or every instance costs a real Nova (and
the simulated cloud) in proportion to the cloud; a drain's CPU per move would grow with it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import generate
from vacate.clouds.sim.state import MemoryState
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job, JobOptions, Outcome, TaskStatus
from vacate.domain.model import InstanceId
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.ports.cloud import CloudCapabilities
from vacate.store import open_store

from .test_cloud_calls import ON_HOST, CountingCloud


@dataclass(frozen=True)
class Tick:
    calls: Counter[str]
    left: dict[InstanceId, TaskStatus]  # tasks pending at the tick's start → their status now
    grouped: bool  # one of them is in a server group


#: Reads of the whole cloud that a start tick of ungrouped instances must not make.
WHOLE_CLOUD = ("list_hosts", "list_instances", "list_server_groups")


class NovaLikeReads(SimCloud):
    """The simulated cloud, saying what Nova's adapter says: one host costs as much as all."""

    @property
    def capabilities(self) -> CloudCapabilities:
        return replace(super().capabilities, cheap_host_reads=False)


def drain_watching_starts(
    tmp_path: Path, hosts: int, *, cloud_type: type[SimCloud] = SimCloud
) -> tuple[Job, list[Tick]]:
    """Drain the fullest host of a cloud of ``hosts`` (a few instances in server groups); per
    tick, its calls and what became of the tasks that were pending at its start."""
    state = generate(hosts=hosts, instances=hosts * 4, seed=7)
    source = max(state.hosts, key=lambda h: sum(i.host == h for i in state.instances.values()))
    cloud = CountingCloud(cloud_type(MemoryState(state), speed=None))
    store = open_store(f"sqlite:///{tmp_path / 'reads.db'}")
    ticks: list[Tick] = []
    was: dict[InstanceId, TaskStatus] = {}

    def observe(job: Job) -> None:
        left = {
            t.instance_id: t.status
            for t in job.tasks
            if was.get(t.instance_id) is TaskStatus.PENDING and t.status is not TaskStatus.PENDING
        }
        grouped = any(state.instances[i].server_groups for i in left)
        ticks.append(Tick(calls=cloud.ticks[-1], left=left, grouped=grouped))
        was.clear()
        was.update((t.instance_id, t.status) for t in job.tasks)
        cloud.next_tick()

    ctx = Context(
        cloud=cloud,  # type: ignore[arg-type]
        store=store,
        clock=cloud.inner.clock,
        owner="t",
        poll_s=2.0,
        observer=observe,
    )
    job = commands.migrate_instances(
        ctx, source, JobOptions(reason="x", allow_partial=True), actor=Actor(name="t")
    )
    finished = run_one(ctx, job.id)
    store.close()
    assert finished is not None
    return finished, ticks


def test_a_tick_that_starts_ungrouped_moves_lists_neither_hosts_nor_instances(
    tmp_path: Path,
) -> None:
    job, ticks = drain_watching_starts(tmp_path, 200)
    assert sum(t.outcome is Outcome.MOVED for t in job.tasks) >= 5, job.message
    # Ticks that only started moves (none blocked or skipped: those may re-place on every
    # host), of instances in no server group.
    starting = [
        t
        for t in ticks
        if t.left and not t.grouped and set(t.left.values()) == {TaskStatus.STARTING}
    ]
    assert len(starting) >= 2, ticks
    for tick in starting:
        started = len(tick.left)
        assert not any(tick.calls[name] for name in WHOLE_CLOUD), tick
        # Each destination read by name (host and instances), and the source once.
        assert tick.calls["get_host"] <= started + 1, tick
        assert tick.calls[ON_HOST] <= started + 1, tick


def test_where_one_host_costs_as_much_as_all_a_start_tick_lists_hosts_once_instead(
    tmp_path: Path,
) -> None:
    """Nova's adapter reads every hypervisor and every provider's usage for one host: asking
    host by host would multiply that by the destinations of a tick, so such a backend's tick
    lists the hosts once, as before (its instances are still read host by host)."""
    job, ticks = drain_watching_starts(tmp_path, 200, cloud_type=NovaLikeReads)
    assert sum(t.outcome is Outcome.MOVED for t in job.tasks) >= 5, job.message
    starting = [t for t in ticks if t.left and set(t.left.values()) == {TaskStatus.STARTING}]
    assert len(starting) >= 2, ticks
    for tick in starting:
        assert tick.calls["get_host"] == 0, tick
        assert tick.calls["list_hosts"] == 1, tick
