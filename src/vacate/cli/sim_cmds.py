"""The built-in simulated cloud, and the demo (the cloud's code is imported when one runs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from vacate.cli.apps import (
    Format,
    FormatOpt,
    app,
    console,
    emit_json,
    open_app,
    sim_app,
)
from vacate.domain.errors import Conflict
from vacate.domain.model import InstanceId


# --------------------------------------------------------------------- sim
@sim_app.command("init")
def sim_init(
    hosts: Annotated[int, typer.Option("--hosts")] = 8,
    instances: Annotated[int, typer.Option("--instances")] = 60,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    from_yaml: Annotated[
        Path | None, typer.Option("--from-yaml", help="Describe the cloud exactly.")
    ] = None,
    allow_fewer: Annotated[
        bool,
        typer.Option(
            "--allow-fewer",
            help="Place as many of --instances as fit (and say how many) instead of refusing.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an existing simulated cloud and clear Vacate's database."
        ),
    ] = False,
) -> None:
    """Create the simulated cloud (``--force`` replaces one, with Vacate's records of it).

    The cloud's clock starts at the wall time of ``sim init``: job and event times read as
    dates, and simulated time runs on from there (at ``VACATE_SIM_SPEED``)."""
    from vacate import bootstrap
    from vacate.clouds.sim import generate
    from vacate.clouds.sim.state import FileState
    from vacate.config import load_settings

    if hosts < 2:
        raise typer.BadParameter("at least 2 hosts", param_hint="--hosts")
    if instances < 0:
        raise typer.BadParameter("cannot be negative", param_hint="--instances")
    settings = load_settings()
    # The description is judged first: a missing or bad file is the error to fix, whatever
    # the home holds.
    state = generate.load_yaml(from_yaml) if from_yaml else None
    default_db = settings.db_url == f"sqlite:///{settings.home / 'vacate.db'}"
    if settings.sim_path.exists() and not force:
        raise Conflict(
            f"{settings.sim_path} already exists (a simulated cloud, or what is left of one); "
            "`vacate sim init --force` replaces it and clears Vacate's database (jobs and "
            "maintenance states of the old one)"
        )
    if force and not default_db and settings.sim_path.exists():
        raise Conflict(
            "--force clears only the embedded database in VACATE_HOME; clear the database at "
            "VACATE_DB_URL yourself, then run `vacate sim init --force` again"
        )
    placed_note = ""
    if state is None:
        state = generate.generate(hosts=hosts, instances=instances, seed=seed)
        placed = len(state.instances)
        if placed < instances and not allow_fewer:
            raise ValueError(
                f"--instances {instances}: only {placed} fit on {hosts} hosts (seed {seed}); "
                f"ask for at most {placed}, add --hosts, or pass --allow-fewer"
            )
        if placed < instances:
            placed_note = f" (only {placed} of the {instances} asked for fit)"
    state.now = state.anchor.sim_at_anchor = time.time()
    if force:
        for leftover in settings.home.glob("vacate.db*"):
            leftover.unlink()
        settings.sim_path.unlink(missing_ok=True)
    a = bootstrap.build(settings, need_cloud=False)  # checks (or creates) the database first
    FileState(a.settings.sim_path).write(state)
    console.print(
        f"simulated cloud: {len(state.hosts)} hosts, {len(state.instances)} instances"
        f"{placed_note} → {a.settings.sim_path}"
    )


@sim_app.command("boot")
def sim_boot(
    flavor: Annotated[str, typer.Option("--flavor")],
    count: Annotated[int, typer.Option("--count")] = 1,
    name: Annotated[str, typer.Option("--name", help="Name prefix.")] = "new",
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Boot instances through the cloud's scheduler (never onto a disabled or down host)."""
    from vacate.cli import render
    from vacate.clouds.sim.generate import FLAVORS
    from vacate.engine.views import group_names
    from vacate.serialize import instance_to_dict

    if flavor not in FLAVORS:
        raise typer.BadParameter(
            f"unknown flavor {flavor!r}; known: {', '.join(FLAVORS)}", param_hint="--flavor"
        )
    if count < 1:
        raise typer.BadParameter(f"must be at least 1, not {count}", param_hint="--count")
    a = open_app()
    booted = [a.simulator().boot(f"{name}-{i + 1}", FLAVORS[flavor]) for i in range(count)]
    if fmt is Format.JSON:
        emit_json([instance_to_dict(i, groups=group_names(a.ctx)) for i in booted])
    else:
        console.print(render.instances_table(booted, groups=group_names(a.ctx)))


@sim_app.command("fail-migration")
def sim_fail_migration(
    instance_id: str,
    count: Annotated[int, typer.Option("--count")] = 1,
    at: Annotated[
        float, typer.Option("--at", help="Fraction of the bytes sent when it fails.")
    ] = 0.5,
) -> None:
    """Failure injection: this instance's next migrations fail."""
    if count < 1:
        raise typer.BadParameter(f"must be at least 1, not {count}", param_hint="--count")
    if not 0.0 <= at <= 1.0:
        raise typer.BadParameter(f"a fraction from 0 to 1, not {at}", param_hint="--at")
    open_app().simulator().inject_migration_failure(
        InstanceId(instance_id), count=count, at_fraction=at
    )
    console.print(
        f"the next {count} migration(s) of {escape(instance_id)} fail after {at:.0%} of the bytes"
    )


@sim_app.command("kill-host")
def sim_kill_host(
    host: str,
    after: Annotated[float, typer.Option("--after", help="Simulated seconds from now.")] = 0.0,
) -> None:
    """Failure injection: the host dies (its migrations fail)."""
    if not 0.0 <= after < float("inf"):
        raise typer.BadParameter(f"must be 0 or more seconds, not {after}", param_hint="--after")
    open_app().simulator().schedule_host_death(host, after_s=after)
    when = "now" if after == 0 else f"in {after:g} simulated seconds"
    console.print(f"host {escape(host)} dies {when}")


@app.command("demo")
def demo() -> None:
    """Build a simulated cloud, drain its busiest host, show the results, and bring it back."""
    from vacate.cli.demo import run_demo

    raise typer.Exit(run_demo(console))
