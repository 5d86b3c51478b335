"""Scale benchmark: `host list`, `plan` and a drain in clouds of 1,000 to 100,000 hosts.

Figures are CPU seconds: of this process (``time.process_time``) for the in-process reads, of a
child for the CLI (``vacate host list -f json``, ``vacate plan``: the command's CPU less that of
the same command on a cloud of two hosts, its start-up, measured in the same run). Each cloud
is written to the simulated cloud's database once, in bulk, and copied for each use.

- ``host list``: every host with its usage (the read behind ``vacate host list``), from a cold
  start (a fresh holder reads the database once);
- ``plan``: the preflight of the host holding ``--on-source`` instances (200); ``placement``
  is the incremental placer's CPU per placement, against the scheduler run on every host for
  every instance (on a sample);
- ``drain``: a drain of ``--drained`` instances (50) on virtual time, in parts: the moving
  part per moved instance (the job's run less its first tick, the plan step), that plan step
  alone (it reads every host, by design: it grows with the cloud like ``plan``), the whole run
  per moved instance, and the whole run with the preflight ``migrate`` runs when it queues the
  job. The flatness target is judged on the moving part; the 50 ms budget on the whole run.

The growth ratios between sizes say whether a figure grows linearly (×10 per ×10 hosts) or
not at all, and the targets are judged against them (``ok``/``over``). ``--legacy`` also times
the JSON document the cloud was kept in before, at the smallest size.
Usage: ``python bench/scale.py [--sizes 1000,10000,100000]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import FLAVORS, calm_workload, make_host
from vacate.clouds.sim.legacy import JsonFileState
from vacate.clouds.sim.state import FileState, SimState
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job, JobOptions, JobPhase, Outcome
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

#: The targets (issue 11): CPU seconds beyond the CLI's start-up at 10,000 hosts, the drain's
#: CPU per moved instance at 1,000 hosts, and the largest growth allowed per step of sizes:
#: linear (the size ratio) for the reads, this factor for the drain (flat, give or take noise).
CLI_BUDGET_S = 1.0
DRAIN_BUDGET_S = 0.050
DRAIN_FLAT = 1.25


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


class PlanMark:
    """The store, noting the CPU time when a commit first takes the job past its plan: the
    plan step's end, seen without reading anything more than the run does (an observer would
    read the job again after every tick)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.at: float | None = None

    def commit(self, job_id: Any, changes: Any, **kwargs: Any) -> Job:
        job: Job = self._store.commit(job_id, changes, **kwargs)
        if self.at is None and job.phase is not JobPhase.PREFLIGHT:
            self.at = time.process_time()
        return job

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def copy_of(db: Path, workdir: Path, name: str) -> Path:
    """A private copy of the cloud's database (each measure starts from the same cloud)."""
    path = workdir / f"{name}.db"
    shutil.copyfile(db, path)
    return path


def host_list(state: SimState, workdir: Path, *, legacy: bool) -> float:
    path = workdir / ("list.json" if legacy else "list.db")
    (JsonFileState(path) if legacy else FileState(path)).write(state)
    return host_list_from(path, workdir, legacy=legacy)


def host_list_from(path: Path, workdir: Path, *, legacy: bool = False) -> float:
    holder = JsonFileState(path) if legacy else FileState(path)  # a fresh process's view
    ctx = context(holder, workdir, f"list-{legacy}")
    return cpu(lambda: host_views(ctx))


def plan(state: SimState, workdir: Path) -> float:
    path = workdir / "plan.db"
    FileState(path).write(state)
    return plan_from(path, workdir)


def plan_from(path: Path, workdir: Path) -> float:
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


@dataclass(frozen=True)
class DrainCpu:
    """CPU seconds of one drain: ``run`` every tick of the job, ``plan`` its plan step (within
    ``run``), ``setup`` creating the job (the preflight ``migrate`` runs to queue it)."""

    run: float
    plan: float
    setup: float
    moved: int

    @property
    def moving(self) -> float:
        """The run less its plan: what moving the instances cost, per tick that moves."""
        return self.run - self.plan


def drain(state: SimState, workdir: Path, drained: int, *, legacy: bool) -> tuple[float, int]:
    """CPU per moved instance of a drain of ``drained`` instances off the source (its run and
    its preflight), and how many it moved."""
    path = workdir / ("drain.json" if legacy else "drain.db")
    (JsonFileState(path) if legacy else FileState(path)).write(state)
    took = drain_from(path, workdir, drained, legacy=legacy)
    return (took.run + took.setup) / max(1, took.moved), took.moved


def drain_from(path: Path, workdir: Path, drained: int, *, legacy: bool = False) -> DrainCpu:
    """A drain of ``drained`` instances of the source (the others are deleted first, row by
    row), its plan step timed apart: the job starts at its plan, so the plan is the CPU until
    a commit takes the job past it."""
    holder: Any = JsonFileState(path) if legacy else FileState(path)
    with holder.session() as s:
        for inst in [i for i in s.instances.values() if i.host == SOURCE][drained:]:
            del s.instances[inst.id]
    ctx = context(JsonFileState(path) if legacy else FileState(path), workdir, f"drain-{legacy}")
    ctx.cloud.list_hosts()  # the cloud read once, as a worker that is already running has it
    job_id: list[str] = []

    def create() -> None:
        job = commands.migrate_instances(ctx, SOURCE, JobOptions(reason="bench"), actor=ACTOR)
        job_id.append(job.id)

    setup = cpu(create)
    mark = PlanMark(ctx.store)
    started = time.process_time()
    run_one(replace(ctx, store=mark), job_id[0])
    run = time.process_time() - started
    plan = (mark.at if mark.at is not None else time.process_time()) - started
    moved = sum(1 for t in ctx.store.get_job(job_id[0]).tasks if t.outcome is Outcome.MOVED)
    return DrainCpu(run=run, plan=plan, setup=setup, moved=moved)


def child_cpu(args: list[str], env: dict[str, str] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_env(db: Path, home: Path) -> dict[str, str]:
    home.mkdir()
    shutil.copyfile(db, home / "sim-cloud.db")
    env = {**os.environ, "VACATE_HOME": str(home), "VACATE_SIM_SPEED": "max"}
    env.pop("VACATE_URL", None)
    env.pop("VACATE_DB_URL", None)
    return env


CLI_COMMANDS = (["host", "list", "-f", "json"], ["plan", SOURCE, "-f", "json"])


def cli(db: Path, workdir: Path, *, runs: int = 1) -> tuple[float, float]:
    """CPU of ``vacate host list -f json`` and of ``vacate plan`` on this cloud (best of
    ``runs``)."""
    env = cli_env(db, workdir / "home")
    vacate = str(Path(sys.executable).with_name("vacate"))
    child_cpu([vacate, "host", "show", SOURCE, "-f", "json"], env)  # the store made once
    listing, planning = (
        min(child_cpu([vacate, *command], env) for _ in range(runs)) for command in CLI_COMMANDS
    )
    return listing, planning


def cli_startup(workdir: Path) -> tuple[float, float]:
    """The same two commands on a cloud of two hosts: the CLI's start-up for each (imports,
    settings, opening the store), the part of their CPU that no cloud size changes."""
    tiny = workdir / "tiny.db"
    FileState(tiny).write(cloud(2, on_source=1))
    return cli(tiny, workdir, runs=3)


def verdict(ok: bool) -> str:
    return "[green]ok[/green]" if ok else "[red]over[/red]"


def judge(console: Console, sizes: list[int], figures: dict[int, dict[str, float]]) -> None:
    """Each target, with the figure it is judged on, ok or over."""
    at = 10_000 if 10_000 in figures else sizes[-1]
    first = sizes[0]
    lines = [
        (
            f"`vacate host list -f json` at {at} hosts ≤ {CLI_BUDGET_S:.0f} s beyond start-up",
            figures[at]["cli_list"],
            figures[at]["cli_list"] <= CLI_BUDGET_S,
            "s",
        ),
        (
            f"`vacate plan` at {at} hosts ≤ {CLI_BUDGET_S:.0f} s beyond start-up",
            figures[at]["cli_plan"],
            figures[at]["cli_plan"] <= CLI_BUDGET_S,
            "s",
        ),
        (
            f"drain CPU per moved instance at {first} hosts ≤ {DRAIN_BUDGET_S * 1000:.0f} ms "
            "(the whole run, its plan included)",
            figures[first]["drain"] * 1000,
            figures[first]["drain"] <= DRAIN_BUDGET_S,
            "ms",
        ),
    ]
    for small, large in itertools.pairwise(sizes):
        a, b, k = figures[small], figures[large], large / small
        for key, what in (("cli_list", "host list (CLI)"), ("cli_plan", "plan (CLI)")):
            ratio = b[key] / a[key] if a[key] > 0 else math.inf
            lines.append(
                (f"{what} {small}→{large}: growth ≤ ×{k:.0f} (linear)", ratio, ratio <= k, "×")
            )
        ratio = b["drain_move"] / a["drain_move"]
        lines.append(
            (
                f"drain per moved instance, its moving part, {small}→{large}: growth ≤ "
                f"×{DRAIN_FLAT} (flat)",
                ratio,
                ratio <= DRAIN_FLAT,
                "×",
            )
        )
    for text, value, ok, unit in lines:
        shown = (
            f"×{value:.2f}"
            if unit == "×"
            else f"{value:.3f} s"
            if unit == "s"
            else f"{value:.1f} ms"
        )
        console.print(f"{verdict(ok)}  {text}: {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--on-source", type=int, default=200)
    parser.add_argument("--drained", type=int, default=50)
    parser.add_argument("--sample", type=int, default=10, help="baseline placements timed")
    parser.add_argument("--legacy", action="store_true", help="also time the old JSON file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    console = Console(width=None if sys.stdout.isatty() else 160)
    vacate = str(Path(sys.executable).with_name("vacate"))
    startup = min(child_cpu([vacate, "--help"]) for _ in range(3))
    bare = min(child_cpu([sys.executable, "-c", "pass"]) for _ in range(3))
    table = Table(title="Scale benchmark (CPU seconds)")
    columns = [
        "hosts",
        "instances",
        "build",
        "host list",
        "CLI host list",
        "plan",
        "CLI plan",
        "placement",
        "placement, every host",
        "×",
        "drain: moving /moved",
        "its plan",
        "whole run /moved",
        "+ queue-time plan /moved",
    ]
    for col in columns:
        table.add_column(col, justify="right")
    figures: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base_list, base_plan = cli_startup(Path(tmp))
        for n in sizes:
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            f = figures[n] = {}
            started = time.process_time()
            state = cloud(n, on_source=args.on_source)
            db = workdir / "cloud.db"
            FileState(db).write(state)
            f["build"] = time.process_time() - started
            f["list"] = host_list_from(copy_of(db, workdir, "list"), workdir)
            f["plan"] = plan_from(copy_of(db, workdir, "plan"), workdir)
            # The every-host baseline costs seconds a placement at 100,000 hosts: fewer there.
            sample = args.sample if n <= 10_000 else max(1, args.sample // 5)
            f["place"], f["place_every"] = placements(state, sample)
            instances = len(state.instances)
            del state
            listing, planning = cli(db, workdir, runs=2 if n <= 10_000 else 1)
            f["cli_list"], f["cli_plan"] = listing - base_list, planning - base_plan
            took = drain_from(copy_of(db, workdir, "drain"), workdir, args.drained)
            moved = max(1, took.moved)
            f["drain_move"], f["drain_plan"] = took.moving / moved, took.plan
            f["drain"], f["drain_all"] = took.run / moved, (took.run + took.setup) / moved
            table.add_row(
                str(n),
                str(instances),
                f"{f['build']:.1f}",
                f"{f['list']:.3f}",
                f"{f['cli_list']:.3f}",
                f"{f['plan']:.3f}",
                f"{f['cli_plan']:.3f}",
                f"{f['place'] * 1000:.2f} ms",
                f"{f['place_every'] * 1000:.2f} ms",
                f"{f['place_every'] / f['place']:.0f}",
                f"{f['drain_move'] * 1000:.1f} ms",
                f"{f['drain_plan']:.3f}",
                f"{f['drain'] * 1000:.1f} ms",
                f"{f['drain_all'] * 1000:.1f} ms",
            )
    console.print(table)
    for small, large in itertools.pairwise(sizes):
        a, b = figures[small], figures[large]
        console.print(
            f"growth {small} → {large} hosts (×{large / small:.0f}): host list ×"
            f"{b['list'] / a['list']:.1f} (CLI ×{b['cli_list'] / a['cli_list']:.1f}), plan ×"
            f"{b['plan'] / a['plan']:.1f} (CLI ×{b['cli_plan'] / a['cli_plan']:.1f}), "
            f"drain per moved instance: moving ×{b['drain_move'] / a['drain_move']:.2f}, its "
            f"plan ×{b['drain_plan'] / a['drain_plan']:.1f}, the whole run "
            f"×{b['drain'] / a['drain']:.2f}"
        )
    if len(sizes) > 1:
        console.print(
            "The drain's plan step reads every host and instance (the plan weighs every host "
            "for each instance), so it grows with the cloud like `plan`; the whole run per "
            "moved instance grows by that share. The moving part reads only the hosts it "
            "places on."
        )
    if args.legacy:
        legacy(console, sizes[0], args)
    console.print(
        f"CLI start-up (each command on a 2-host cloud): host list {base_list:.2f} s, plan "
        f"{base_plan:.2f} s; `vacate --help`: {startup:.2f} s (a bare interpreter: {bare:.2f} s)"
    )
    judge(console, sizes, figures)
    return 0


def legacy(console: Console, n: int, args: argparse.Namespace) -> None:
    """The same reads through the JSON document (re-read and re-written whole by every call)."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        state = cloud(n, on_source=args.on_source)
        db, js = host_list(state, workdir, legacy=False), host_list(state, workdir, legacy=True)
        per, _ = drain(state, workdir, min(args.drained, 20), legacy=True)
    console.print(
        f"{n} hosts, the old JSON file: host list {js:.3f} s (the database: {db:.3f} s, ×"
        f"{js / db:.0f}), drain {per * 1000:.0f} ms per moved instance"
    )


if __name__ == "__main__":
    sys.exit(main())
