"""``vacate demo``: the whole product in one run on a fresh simulated cloud.

It builds ~8 hosts and 60 instances (mixed states, an anti-affinity group, memory-hot guests on
the busiest host), plans and drains that host with live progress, prints every instance's result
and the summary against the lower bound, boots new instances to show none lands on the host in
maintenance, and puts the host back in service. It uses its own ``$VACATE_HOME/demo`` so it
never touches the cloud you work with, and speed 20× unless ``VACATE_SIM_SPEED`` says otherwise.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from dataclasses import replace

from rich.console import Console
from rich.rule import Rule

from vacate import bootstrap
from vacate.cli import render
from vacate.cli.progress import JobProgress
from vacate.clouds.sim.generate import FLAVORS, generate, hot_workload
from vacate.clouds.sim.state import FileState, SimState
from vacate.config import load_settings, parse_speed
from vacate.domain.actors import Actor
from vacate.domain.jobs import JobOptions, JobStatus
from vacate.domain.model import VmState
from vacate.engine import commands
from vacate.engine.runner import run_one
from vacate.engine.summary import job_summary
from vacate.engine.views import group_names, host_views

SEED = 7
DEMO = Actor(name="demo", origin="cli demo")


def demo_cloud(seed: int = SEED) -> tuple[SimState, str]:
    """A generated cloud whose busiest host carries a few memory-hot guests."""
    state = generate(hosts=8, instances=60, seed=seed)
    used: dict[str, int] = {}
    for inst in state.instances.values():
        if inst.host:
            used[inst.host] = used.get(inst.host, 0) + inst.flavor.ram_mb
    busiest = max(sorted(used), key=lambda h: used[h])
    rng = random.Random(seed)
    running = sorted(
        (
            i
            for i in state.instances.values()
            if i.host == busiest and i.vm_state is VmState.ACTIVE and not i.server_groups
        ),
        key=lambda i: i.name,
    )
    for inst in running[:3]:
        state.instances[inst.id] = replace(inst, workload=hot_workload(rng, inst.flavor))
    return state, busiest


def run_demo(console: Console) -> int:
    env = dict(os.environ)
    base = load_settings(env)
    env["VACATE_HOME"] = str(base.home / "demo")
    env.pop("VACATE_DB_URL", None)
    env.setdefault("VACATE_SIM_SPEED", "20")
    settings = load_settings(env)
    parse_speed(env["VACATE_SIM_SPEED"])
    shutil.rmtree(settings.home, ignore_errors=True)
    settings.home.mkdir(parents=True)

    state, busiest = demo_cloud()
    state.now = state.anchor.sim_at_anchor = time.time()  # the clock starts now, as sim init's
    FileState(settings.sim_path).write(state)
    a = bootstrap.build(settings)
    speed = "virtual time" if settings.sim_speed is None else f"{settings.sim_speed:g}× real time"
    console.print(Rule("[bold]Vacate demo"))
    console.print(
        f"A simulated cloud of {len(state.hosts)} hosts and {len(state.instances)} instances "
        f"({speed}), state in {settings.home}"
    )
    console.print(render.hosts_table(host_views(a.ctx)))

    options = JobOptions(reason="firmware upgrade (demo)")
    console.print(Rule(f"1. Preflight: the plan to empty {busiest}"))
    console.print(render.plan_table(commands.preflight(a.ctx, busiest, options)))

    console.print(Rule(f"2. vacate host maintenance enable {busiest}"))
    job = commands.enter_maintenance(a.ctx, busiest, options, actor=DEMO)
    with JobProgress(console) as progress:
        a.ctx.observer = progress.update
        finished = run_one(a.ctx, job.id)
    a.ctx.observer = None
    assert finished is not None
    job = a.ctx.store.get_job(job.id)
    console.print(render.results_table(job))
    render.print_summary(console, job_summary(a.ctx.cloud, job))
    console.print(f"[bold]{job.status.value}[/]: {job.message}")

    console.print(Rule("3. New instances go elsewhere"))
    booted = [a.simulator().boot(f"new-{n + 1}", FLAVORS["m1.medium"]) for n in range(8)]
    on_host = [i for i in booted if i.host == busiest]
    console.print(render.instances_table(booted, groups=group_names(a.ctx)))
    console.print(
        f"{len(booted)} new instances booted; {len(on_host)} landed on {busiest} "
        f"({'as it must be' if not on_host else 'WRONG'})"
    )

    console.print(Rule(f"4. vacate host maintenance disable {busiest}"))
    exit_job = commands.exit_maintenance(a.ctx, busiest, actor=DEMO)
    exit_done = run_one(a.ctx, exit_job.id)
    console.print(
        f"{exit_done.status.value if exit_done else '?'}: {exit_done.message if exit_done else ''}"
    )
    console.print(render.hosts_table(host_views(a.ctx, only=busiest)))
    ok = job.status is JobStatus.SUCCEEDED and not on_host and exit_done is not None
    return 0 if ok else 1
