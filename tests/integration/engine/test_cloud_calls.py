"""One look at the cloud per tick: the calls a tick makes grow with the moves in flight, not
with the size of the cloud (a real Nova must not be flooded every poll)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import generate
from vacate.clouds.sim.state import MemoryState
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job, JobOptions, Outcome, TaskStatus
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.store import open_store

#: Calls that read the whole cloud (their cost grows with it on a real Nova).
LISTINGS = {"list_hosts", "list_instances", "list_server_groups", "list_migrations"}
#: ``list_instances`` of one host, counted apart: it reads that host, not the cloud.
ON_HOST = "list_instances(host)"


@dataclass
class CountingCloud:
    """The simulated cloud, counting every call, cut into ticks by the engine's observer."""

    inner: SimCloud
    ticks: list[Counter[str]] = field(default_factory=lambda: [Counter()])

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            host = args[0] if args else kwargs.get("host")
            self.ticks[-1][ON_HOST if name == "list_instances" and host is not None else name] += 1
            return attr(*args, **kwargs)

        return counted

    def next_tick(self) -> None:
        self.ticks.append(Counter())


def drain_counting(tmp_path: Path, hosts: int) -> tuple[Job, list[tuple[Counter[str], int]]]:
    state = generate(hosts=hosts, instances=hosts * 6, seed=3)
    sim = SimCloud(MemoryState(state), speed=None)
    cloud = CountingCloud(sim)
    store = open_store(f"sqlite:///{tmp_path / f'v{hosts}.db'}")
    per_tick: list[tuple[Counter[str], int]] = []
    before = [0]

    def observe(job: Job) -> None:
        """Record the tick's calls with the moves in flight at its start or its end."""
        flying = sum(
            t.status in (TaskStatus.STARTING, TaskStatus.MIGRATING, TaskStatus.CONFIRMING)
            for t in job.tasks
        )
        per_tick.append((cloud.ticks[-1], max(flying, before[0])))
        before[0] = flying
        cloud.next_tick()

    ctx = Context(
        cloud=cloud,  # type: ignore[arg-type]
        store=store,
        clock=sim.clock,
        owner="t",
        poll_s=2.0,
        observer=observe,
    )
    source = max(state.hosts, key=lambda h: sum(i.host == h for i in state.instances.values()))
    job = commands.enter_maintenance(
        ctx, source, JobOptions(reason="x", allow_partial=True), actor=Actor(name="t")
    )
    finished = run_one(ctx, job.id)
    store.close()
    assert finished is not None
    return finished, per_tick


@pytest.mark.slow
def test_cloud_calls_per_tick_grow_with_the_moves_in_flight_not_with_the_cloud(
    tmp_path: Path,
) -> None:
    started = time.process_time()
    job, ticks = drain_counting(tmp_path, 500)
    assert not job.status.is_active, job.message
    assert sum(t.outcome is Outcome.MOVED for t in job.tasks) >= 5, job.message
    assert len(ticks) > 10
    for calls, flying in ticks:
        listings = sum(n for name, n in calls.items() if name in LISTINGS)
        others = sum(n for name, n in calls.items() if name not in LISTINGS)
        # Each listing at most once per tick, whatever the number of hosts ...
        assert all(calls[name] <= 1 for name in LISTINGS - {"list_migrations"}), calls
        assert listings <= len(LISTINGS) + flying, calls
        # ... a host's own listing at most once per destination in flight, and the source ...
        assert calls[ON_HOST] <= flying + 1, (calls, flying)
        # ... and the rest bounded by what is in flight (a read and a control each, plus the
        # calls that start or confirm a move and the host looked up by name).
        assert others <= 4 * (flying + 1) + 2, (calls, flying)
    assert time.process_time() - started < 120


def test_the_counting_seam_sees_every_listing(tmp_path: Path) -> None:
    """If the counter missed calls, the test above would pass for nothing."""
    _, ticks = drain_counting(tmp_path, 8)
    seen = Counter[str]()
    for calls, _ in ticks:
        seen.update(calls)
    assert {"list_hosts", "list_instances", "get_migration", "live_migrate"} <= set(seen)
