"""Instances, jobs and the worker."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from vacate.bootstrap import App
from vacate.cli import render
from vacate.cli.apps import (
    Format,
    FormatOpt,
    app,
    cli_actor,
    console,
    emit_json,
    err,
    instance_app,
    job_app,
    open_app,
)
from vacate.cli.running import report, run_here
from vacate.domain.jobs import JobStatus
from vacate.domain.model import JobId
from vacate.engine import commands
from vacate.engine.runner import run_until_idle
from vacate.serialize import (
    event_to_dict,
    instance_to_dict,
    job_to_dict,
)


# --------------------------------------------------------------- instances
@instance_app.command("list")
def instance_list(
    host: Annotated[str | None, typer.Option("--host", help="Only this host's instances.")] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Instances, optionally of one host."""
    a = open_app()
    if host is not None:
        host = commands.exact_host(a.ctx, host)  # an unknown host is an error, not "none"
    instances = a.ctx.cloud.list_instances(host)
    if fmt is Format.JSON:
        emit_json([instance_to_dict(i, groups=group_names(a)) for i in instances])
    else:
        console.print(render.instances_table(instances, groups=group_names(a)))


@instance_app.command("show")
def instance_show(instance_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """One instance (by id, or by its exact name if only one has it): where it is, its state,
    flavor, groups and addresses, and its moves."""
    a = open_app()
    inst = commands.exact_instance(a.ctx, instance_id)
    moves = a.ctx.cloud.list_migrations(instance_id=inst.id)
    if fmt is Format.JSON:
        data = instance_to_dict(inst, groups=group_names(a))
        data["migrations"] = [
            {
                "id": m.id,
                "kind": m.kind.value,
                "source": m.source,
                "dest": m.dest,
                "status": m.status.value,
                "error": m.error,
            }
            for m in moves
        ]
        emit_json(data)
        return
    console.print(render.instances_table([inst], groups=group_names(a), title=inst.name))
    if moves:
        console.print(render.migrations_table(moves))


def group_names(a: App) -> dict[str, str]:
    return {g.id: g.name for g in a.ctx.cloud.list_server_groups()}


# -------------------------------------------------------------------- jobs
@job_app.command("list")
def job_list(
    host: Annotated[str | None, typer.Option("--host")] = None,
    status: Annotated[JobStatus | None, typer.Option("--status", help="Only jobs in it.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Recent jobs, newest first."""
    jobs = open_app().ctx.store.list_jobs(host=host, status=status, limit=limit)
    if fmt is Format.JSON:
        emit_json([job_to_dict(j) for j in jobs])
    else:
        console.print(render.jobs_table(jobs))


@job_app.command("show")
def job_show(
    job_id: str,
    events: Annotated[bool, typer.Option("--events", help="Also the job's event log.")] = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """A job with every instance's result (and, with --events, everything that happened)."""
    a = open_app()
    job = a.ctx.store.get_job(JobId(job_id))
    log = a.ctx.store.list_events(job.id) if events else []
    if fmt is Format.JSON:
        data = job_to_dict(job)
        if events:
            data["events"] = [event_to_dict(e) for e in log]
        emit_json(data)
        return
    console.print(render.results_table(job))
    if events:
        console.print(render.events_table(log))
    console.print(f"[bold]{job.status.value}[/] ({job.phase.value}): {job.message}")


@job_app.command("watch")
def job_watch(job_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """Follow a job until it ends; if no live worker holds it, run it here."""
    a = open_app()
    job = a.ctx.store.get_job(JobId(job_id))
    raise typer.Exit(report(a, run_here(a, job.id, fmt), fmt))


@job_app.command("cancel")
def job_cancel(job_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """Stop starting moves, abort running pre-copy migrations, end the job as cancelled."""
    job = commands.cancel(open_app().ctx, job_id, actor=cli_actor())
    if fmt is Format.JSON:
        emit_json(job_to_dict(job))
    else:
        console.print(
            f"job {job.id}: {job.status.value}"
            + (" (cancel requested)" if job.cancel_requested else "")
        )


@app.command("worker")
def worker(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit when no job is left.")
    ] = False,
) -> None:
    """Run queued jobs (and take over jobs whose worker died)."""
    a = open_app()
    while True:
        for job in run_until_idle(a.ctx, wait_for_held=until_idle):
            err.print(
                f"job {job.id} {job.kind.value} {job.host}: {job.status.value} — {job.message}"
            )
        if until_idle:
            return
        time.sleep(1.0)
