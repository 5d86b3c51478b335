"""Instances, jobs and the worker (the tables and the engine are imported when a command runs)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from vacate.cli.apps import (
    Format,
    FormatOpt,
    app,
    console,
    emit_json,
    err,
    instance_app,
    job_app,
    open_app,
    open_client,
)
from vacate.cli.running import follow, report
from vacate.domain.jobs import JobStatus

if TYPE_CHECKING:
    from vacate.client.base import Client


# --------------------------------------------------------------- instances
@instance_app.command("list")
def instance_list(
    host: Annotated[str | None, typer.Option("--host", help="Only this host's instances.")] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Instances, optionally of one host."""
    from vacate.cli import render
    from vacate.client import decode

    client = open_client()
    instances = client.instances(host)  # an unknown host is an error, not "none"
    if fmt is Format.JSON:
        emit_json(instances)
    else:
        found = [decode.instance(i) for i in instances]
        console.print(render.instances_table(found, groups=group_names(client)))


@instance_app.command("show")
def instance_show(instance_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """One instance (by id, or by its exact name if only one has it): where it is, its state,
    flavor, groups and addresses, and its moves."""
    from vacate.cli import render
    from vacate.client import decode

    client = open_client()
    data = client.instance(instance_id)
    if fmt is Format.JSON:
        emit_json(data)
        return
    inst = decode.instance(data)
    console.print(render.instances_table([inst], groups=group_names(client), title=inst.name))
    if data["migrations"]:
        moves = [decode.migration(m, inst.id) for m in data["migrations"]]
        console.print(render.migrations_table(moves))


def group_names(client: Client) -> dict[str, str]:
    return {g["id"]: g["name"] for g in client.server_groups()}


# -------------------------------------------------------------------- jobs
@job_app.command("list")
def job_list(
    host: Annotated[str | None, typer.Option("--host")] = None,
    status: Annotated[JobStatus | None, typer.Option("--status", help="Only jobs in it.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Recent jobs, newest first."""
    from vacate.cli import render
    from vacate.client import decode

    jobs = open_client().jobs(host=host, status=status, limit=limit)
    if fmt is Format.JSON:
        emit_json(jobs)
    else:
        console.print(render.jobs_table([decode.job(j) for j in jobs]))


@job_app.command("show")
def job_show(
    job_id: str,
    events: Annotated[bool, typer.Option("--events", help="Also the job's event log.")] = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """A job with every instance's result (and, with --events, everything that happened)."""
    from vacate.cli import render
    from vacate.client import decode

    client = open_client()
    data = client.job(job_id)
    if events:
        data["events"] = client.events(data["id"])
    if fmt is Format.JSON:
        emit_json(data)
        return
    job = decode.job(data)
    console.print(render.results_table(job))
    if events:
        console.print(render.events_table([decode.event(e, job.id) for e in data["events"]]))
    console.print(f"[bold]{job.status.value}[/] ({job.phase.value}): {render.safe(job.message)}")


@job_app.command("watch")
def job_watch(job_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """Follow a job until it ends (on a server: its event stream); here, if no live worker
    holds it, run it."""
    raise typer.Exit(report(follow(open_client(), job_id, fmt), fmt))


@job_app.command("cancel")
def job_cancel(job_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """Stop starting moves, abort running pre-copy migrations, end the job as cancelled."""
    job = open_client().cancel(job_id)
    if fmt is Format.JSON:
        emit_json(job)
    else:
        console.print(
            f"job {job['id']}: {job['status']}"
            + (" (cancel requested)" if job["cancel_requested"] else "")
        )


@app.command("worker")
def worker(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit when no job is left.")
    ] = False,
) -> None:
    """Run queued jobs (and take over jobs whose worker died)."""
    from vacate.engine.runner import run_until_idle

    a = open_app()
    while True:
        for job in run_until_idle(a.ctx, wait_for_held=until_idle):
            err.print(
                f"job {job.id} {job.kind.value} {job.host}: {job.status.value} — {job.message}"
            )
        if until_idle:
            return
        time.sleep(1.0)
