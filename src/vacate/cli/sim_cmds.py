"""The built-in simulated cloud, and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vacate.cli import render
from vacate.cli.apps import (
    Format,
    FormatOpt,
    app,
    console,
    emit_json,
    open_app,
    sim_app,
)
from vacate.cli.demo import run_demo
from vacate.clouds.sim import generate
from vacate.clouds.sim.generate import FLAVORS
from vacate.clouds.sim.state import FileState
from vacate.domain.model import InstanceId
from vacate.serialize import (
    instance_to_dict,
)


# --------------------------------------------------------------------- sim
@sim_app.command("init")
def sim_init(
    hosts: Annotated[int, typer.Option("--hosts")] = 8,
    instances: Annotated[int, typer.Option("--instances")] = 60,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    from_yaml: Annotated[
        Path | None, typer.Option("--from-yaml", help="Describe the cloud exactly.")
    ] = None,
) -> None:
    """Create (or replace) the simulated cloud."""
    if hosts < 2:
        raise typer.BadParameter("at least 2 hosts", param_hint="--hosts")
    state = (
        generate.load_yaml(from_yaml)
        if from_yaml
        else generate.generate(hosts=hosts, instances=instances, seed=seed)
    )
    a = open_app()
    FileState(a.settings.sim_path).write(state)
    console.print(
        f"simulated cloud: {len(state.hosts)} hosts, {len(state.instances)} instances "
        f"→ {a.settings.sim_path}"
    )


@sim_app.command("boot")
def sim_boot(
    flavor: Annotated[str, typer.Option("--flavor")],
    count: Annotated[int, typer.Option("--count")] = 1,
    name: Annotated[str, typer.Option("--name", help="Name prefix.")] = "new",
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Boot instances through the cloud's scheduler (never onto a disabled or down host)."""
    if flavor not in FLAVORS:
        raise typer.BadParameter(
            f"unknown flavor {flavor!r}; known: {', '.join(FLAVORS)}", param_hint="--flavor"
        )
    a = open_app()
    booted = [a.simulator().boot(f"{name}-{i + 1}", FLAVORS[flavor]) for i in range(count)]
    if fmt is Format.JSON:
        emit_json([instance_to_dict(i) for i in booted])
    else:
        console.print(render.instances_table(booted))


@sim_app.command("fail-migration")
def sim_fail_migration(
    instance_id: str,
    count: Annotated[int, typer.Option("--count")] = 1,
    at: Annotated[
        float, typer.Option("--at", help="Fraction of the bytes sent when it fails.")
    ] = 0.5,
) -> None:
    """Failure injection: this instance's next migrations fail."""
    open_app().simulator().inject_migration_failure(
        InstanceId(instance_id), count=count, at_fraction=at
    )


@sim_app.command("kill-host")
def sim_kill_host(
    host: str,
    after: Annotated[float, typer.Option("--after", help="Simulated seconds from now.")] = 0.0,
) -> None:
    """Failure injection: the host dies (its migrations fail)."""
    open_app().simulator().schedule_host_death(host, after_s=after)


@app.command("demo")
def demo() -> None:
    """Build a simulated cloud, drain its busiest host, show the results, and bring it back."""
    raise typer.Exit(run_demo(console))
