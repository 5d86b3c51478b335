"""Scale benchmark: `host list`, `plan` and a drain in clouds of 100 to 10,000 hosts.

Every figure is CPU seconds of this process (``time.process_time``), measured against a baseline
run here too:

- ``host list``: the read behind ``vacate host list`` (every host with its usage) through the
  simulated cloud's database, from a cold start (the state is read once), against the same read
  through the JSON document that the cloud was kept in before (``JsonFileState``: re-read and
  re-written whole by every call);
- ``plan``: ``vacate plan`` of the host holding ``--on-source`` instances (200), against the
  old per-placement scheduler (every filter on every host for every instance), timed on a
  sample of placements and given per placement;
- ``drain``: a whole drain of ``--drained`` instances (50) on virtual time, CPU per moved
  instance; the JSON baseline is run at the smallest size only (it costs seconds per instance);
- ``vacate --help``: the CLI's start-up in a fresh interpreter, against ``python -c pass``.

The growth ratios (10k ÷ 1k) say whether a figure grows linearly with the cloud (10) or less.
Usage: ``python bench/scale.py [--sizes 100,1000,10000]``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import FLAVORS, calm_workload, make_host
from vacate.clouds.sim.legacy import JsonFileState
from vacate.clouds.sim.state import FileState, SimState
from vacate.domain.actors import Actor
from vacate.domain.jobs import JobOptions, Outcome
from vacate.domain.model import HostName, Instance, InstanceId, PowerState, VmState
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.engine.views import host_views
from vacate.planning.filters import DEFAULT_FILTERS, RequestSpec, get_filters
from vacate.planning.hoststate import build_host_states
from vacate.planning.placer import Placer
from vacate.planning.scheduler import select_destination
from vacate.store import open_store

SOURCE = HostName("c000000")
ACTOR = Actor(name="bench", origin="test")


def cloud(hosts: int, *, per_host: int = 2, on_source: int = 200, seed: int = 1) -> SimState:
    """``hosts`` roomy hypervisors (10/25 Gbit), ``per_host`` guests each, the source full."""
    rng = random.Random(seed)
    state = SimState()
    for i in range(hosts):
        h = make_host(f"c{i:06d}", nic_gbit=25.0 if i % 2 else 10.0, vcpus=256, ram_mb=1 << 20)
        state.hosts[h.name] = h
    flavors = list(FLAVORS.values())[:3]
    names = list(state.hosts)
    for n in range(on_source + per_host * (hosts - 1)):
        where = names[0] if n < on_source else names[1 + (n - on_source) // per_host]
        flavor = rng.choice(flavors)
        iid = InstanceId(state.new_id("inst"))
        state.instances[iid] = Instance(
            id=iid,
            name=f"vm-{n:07d}",
            project="bench",
            flavor=flavor,
            vm_state=VmState.ACTIVE,
            power_state=PowerState.RUNNING,
            host=HostName(where),
            az="nova",
            workload=calm_workload(rng, flavor),
        )
    return state


def cpu(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def context(holder: Any, workdir: Path, name: str) -> Context:
    sim = SimCloud(holder, speed=None)
    store = open_store(f"sqlite:///{workdir / ('vacate-' + name + '.db')}")
    return Context(cloud=sim, store=store, clock=sim.clock, owner="bench", poll_s=2.0)


def host_list(state: SimState, workdir: Path, *, legacy: bool) -> float:
    path = workdir / ("list.json" if legacy else "list.db")
    (JsonFileState(path) if legacy else FileState(path)).write(state)
    holder = JsonFileState(path) if legacy else FileState(path)  # a fresh process's view
    ctx = context(holder, workdir, f"list-{legacy}")
    return cpu(lambda: host_views(ctx))


def plan(state: SimState, workdir: Path) -> float:
    path = workdir / "plan.db"
    FileState(path).write(state)
    ctx = context(FileState(path), workdir, "plan")
    return cpu(lambda: commands.preflight(ctx, SOURCE, JobOptions(reason="bench")))


def placements(state: SimState, sample: int) -> tuple[float, float]:
    """CPU per placement: the incremental placer over all movers, the scheduler on a sample."""
    states = build_host_states(state.hosts.values(), state.instances.values(), {})
    movers = sorted(
        (i for i in state.instances.values() if i.host == SOURCE),
        key=lambda i: (-i.flavor.ram_mb, i.name),
    )

    def spec(inst: Instance) -> RequestSpec:
        return RequestSpec(instance=inst, source=SOURCE)

    def incremental() -> None:
        placer = Placer(states)
        for inst in movers:
            found = placer.select(spec(inst))
            if found.host is not None:
                placer.update(found.host, placer.states[found.host].with_instance(inst))

    def every_host() -> None:
        working = dict(states)
        filters = get_filters(DEFAULT_FILTERS)
        for inst in movers[:sample]:
            found = select_destination(spec(inst), working, filters=filters)
            if found.host is not None:
                working[found.host] = working[found.host].with_instance(inst)

    return cpu(incremental) / len(movers), cpu(every_host) / min(sample, len(movers))


def drain(state: SimState, workdir: Path, drained: int, *, legacy: bool) -> tuple[float, int]:
    """CPU per moved instance of a drain of ``drained`` instances off the source, and how many
    it moved."""
    keep = [i for i in state.instances.values() if i.host == SOURCE][drained:]
    small = SimState(hosts=dict(state.hosts), instances=dict(state.instances), next_id=10**7)
    for inst in keep:
        del small.instances[inst.id]
    path = workdir / ("drain.json" if legacy else "drain.db")
    holder: Any = JsonFileState(path) if legacy else FileState(path)
    holder.write(small)
    ctx = context(JsonFileState(path) if legacy else FileState(path), workdir, f"drain-{legacy}")
    job_id: list[str] = []

    def run() -> None:
        job = commands.migrate_instances(ctx, SOURCE, JobOptions(reason="bench"), actor=ACTOR)
        run_one(ctx, job.id)
        job_id.append(job.id)

    spent = cpu(run)
    moved = sum(1 for t in ctx.store.get_job(job_id[0]).tasks if t.outcome is Outcome.MOVED)
    return spent / max(1, moved), moved


def child_cpu(args: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--on-source", type=int, default=200)
    parser.add_argument("--drained", type=int, default=50)
    parser.add_argument("--sample", type=int, default=10, help="baseline placements timed")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    console = Console(width=None if sys.stdout.isatty() else 150)
    table = Table(title="Scale benchmark (CPU seconds of this process)")
    for col in (
        "hosts",
        "instances",
        "host list",
        "host list, JSON",
        "×",
        "plan",
        "placement",
        "placement, every host",
        "×",
        "drain /moved",
        "drain /moved, JSON",
    ):
        table.add_column(col, justify="right")
    figures: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            state = cloud(n, on_source=args.on_source)
            f = figures[n] = {}
            f["list"] = host_list(state, workdir, legacy=False)
            f["list_json"] = host_list(state, workdir, legacy=True)
            f["plan"] = plan(state, workdir)
            f["place"], f["place_every"] = placements(state, args.sample)
            f["drain"] = drain(state, workdir, args.drained, legacy=False)[0]
            f["drain_json"] = (
                drain(state, workdir, min(args.drained, 20), legacy=True)[0]
                if n == sizes[0]
                else float("nan")
            )
            table.add_row(
                str(n),
                str(len(state.instances)),
                f"{f['list']:.3f}",
                f"{f['list_json']:.3f}",
                f"{f['list_json'] / f['list']:.0f}",
                f"{f['plan']:.3f}",
                f"{f['place'] * 1000:.2f} ms",
                f"{f['place_every'] * 1000:.2f} ms",
                f"{f['place_every'] / f['place']:.0f}",
                f"{f['drain'] * 1000:.0f} ms",
                "-" if f["drain_json"] != f["drain_json"] else f"{f['drain_json'] * 1000:.0f} ms",
            )
    console.print(table)
    for small, large in itertools.pairwise(sizes):
        a, b = figures[small], figures[large]
        console.print(
            f"growth {small} → {large} hosts (×{large / small:.0f}): host list ×"
            f"{b['list'] / a['list']:.1f}, plan ×{b['plan'] / a['plan']:.1f}, "
            f"drain per moved instance ×{b['drain'] / a['drain']:.1f}"
        )
    vacate = str(Path(sys.executable).with_name("vacate"))
    startup = min(child_cpu([vacate, "--help"]) for _ in range(3))
    bare = min(child_cpu([sys.executable, "-c", "pass"]) for _ in range(3))
    console.print(f"`vacate --help`: {startup:.2f} s CPU (a bare interpreter: {bare:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
