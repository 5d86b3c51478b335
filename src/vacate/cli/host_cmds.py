"""Hosts: list, show, maintenance, migrate instances, plan, and `nova host-update` habits."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from vacate import bootstrap
from vacate.cli import down_cmds, render
from vacate.cli.apps import (
    EXIT_FAILED,
    EXIT_OK,
    Format,
    FormatOpt,
    app,
    cli_actor,
    console,
    emit_json,
    host_app,
    maint_app,
    open_app,
)
from vacate.cli.options import (
    ColdOpt,
    FallbackOpt,
    LiveOpt,
    LockedOpt,
    ParallelOpt,
    PartialOpt,
    PerDestOpt,
    PerSourceOpt,
    PlacementOpt,
    PolicyOpt,
    PostCopyOpt,
    SkipRunningOpt,
    TargetOpt,
    WaitOpt,
    check_reason,
    job_options,
)
from vacate.cli.running import finish, say
from vacate.domain.jobs import Job, JobOptions, JobStatus
from vacate.engine import commands
from vacate.engine.follow import run_or_follow
from vacate.engine.views import group_names, host_views, os_host
from vacate.serialize import (
    host_to_dict,
    instance_to_dict,
    plan_to_dict,
)


# ------------------------------------------------------------------- hosts
@host_app.command("list")
def host_list(fmt: FormatOpt = Format.TABLE) -> None:
    """Every host with its service, maintenance state and usage."""
    views = host_views(open_app().ctx)
    if fmt is Format.JSON:
        emit_json([host_to_dict(v) for v in views])
    else:
        console.print(render.hosts_table(views))


@host_app.command("show")
def host_show(host: str, fmt: FormatOpt = Format.TABLE) -> None:
    """One host, its instances and its recent jobs."""
    a = open_app()
    view = host_views(a.ctx, only=host)[0]
    instances = a.ctx.cloud.list_instances(host)
    jobs = a.ctx.store.list_jobs(host=host, limit=5)
    if fmt is Format.JSON:
        data = host_to_dict(view)
        data["instances"] = [instance_to_dict(i, groups=group_names(a.ctx)) for i in instances]
        data["jobs"] = [{"id": j.id, "kind": j.kind.value, "status": j.status.value} for j in jobs]
        emit_json(data)
        return
    console.print(render.hosts_table([view], title=f"Host {view.host.name}"))
    if view.maintenance.reason:
        console.print(f"{view.maintenance.state.value}: {render.safe(view.maintenance.reason)}")
    console.print(render.instances_table(instances, groups=group_names(a.ctx)))
    if jobs:
        console.print(render.jobs_table(jobs))


@maint_app.command("enable")
def maintenance_enable(
    host: str,
    reason: Annotated[str, typer.Option("--reason", help="Why; recorded as the disabled reason.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    no_wait: WaitOpt = False,
    rollback_on_error: Annotated[
        bool,
        typer.Option(
            "--rollback-on-error",
            help="If the host cannot be emptied, re-enable it instead of `error`.",
        ),
    ] = False,
    live: LiveOpt = False,
    cold: ColdOpt = False,
    target: TargetOpt = None,
    max_parallel: ParallelOpt = JobOptions.max_parallel,
    max_per_source: PerSourceOpt = JobOptions.max_per_source,
    max_per_destination: PerDestOpt = JobOptions.max_per_destination,
    policy: PolicyOpt = None,
    allow_locked: LockedOpt = False,
    cold_fallback: FallbackOpt = False,
    post_copy: PostCopyOpt = True,
    allow_partial: PartialOpt = False,
    allow_skip_running: SkipRunningOpt = False,
    placement: PlacementOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Disable the host, move every instance off, and mark it `maintenance` once it is empty."""
    reason = check_reason(reason)
    opts = job_options(
        reason=reason,
        live=live,
        cold=cold,
        target=target,
        max_parallel=max_parallel,
        max_per_source=max_per_source,
        max_per_destination=max_per_destination,
        rollback_on_error=rollback_on_error,
        policy=policy,
        allow_locked=allow_locked,
        cold_fallback=cold_fallback,
        post_copy=post_copy,
        allow_partial=allow_partial,
        allow_skip_running=allow_skip_running,
        placement=placement,
    )
    a = open_app()
    if dry_run:
        print_plan(a, host, opts, fmt)
        return
    job = commands.enter_maintenance(a.ctx, host, opts, actor=cli_actor())
    raise typer.Exit(finish(a, job, fmt, wait=not no_wait))


@maint_app.command("disable")
def maintenance_disable(
    host: str,
    restore: Annotated[
        bool, typer.Option("--restore", help="Move instances back where they came from.")
    ] = False,
    no_wait: WaitOpt = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Put the host back in service (enable its compute service)."""
    a = open_app()
    job = commands.exit_maintenance(a.ctx, host, restore=restore, actor=cli_actor())
    raise typer.Exit(finish(a, job, fmt, wait=not no_wait))


@host_app.command("migrate-instances")
def migrate_instances(
    host: str,
    live: LiveOpt = False,
    cold: ColdOpt = False,
    target: TargetOpt = None,
    max_parallel: ParallelOpt = JobOptions.max_parallel,
    max_per_source: PerSourceOpt = JobOptions.max_per_source,
    max_per_destination: PerDestOpt = JobOptions.max_per_destination,
    policy: PolicyOpt = None,
    allow_locked: LockedOpt = False,
    cold_fallback: FallbackOpt = False,
    post_copy: PostCopyOpt = True,
    allow_partial: PartialOpt = False,
    allow_skip_running: SkipRunningOpt = False,
    placement: PlacementOpt = None,
    no_wait: WaitOpt = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Move every instance off the host without changing its maintenance state."""
    opts = job_options(
        live=live,
        cold=cold,
        target=target,
        max_parallel=max_parallel,
        max_per_source=max_per_source,
        max_per_destination=max_per_destination,
        policy=policy,
        allow_locked=allow_locked,
        cold_fallback=cold_fallback,
        post_copy=post_copy,
        allow_partial=allow_partial,
        allow_skip_running=allow_skip_running,
        placement=placement,
    )
    a = open_app()
    job = commands.migrate_instances(a.ctx, host, opts, actor=cli_actor())
    raise typer.Exit(finish(a, job, fmt, wait=not no_wait))


def print_plan(a: bootstrap.App, host: str, opts: JobOptions, fmt: Format) -> None:
    plan = commands.preflight(a.ctx, host, opts)
    if fmt is Format.JSON:
        emit_json(plan_to_dict(plan))
    else:
        console.print(render.plan_table(plan))
    if not plan.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command("plan")
def plan(
    host: str,
    live: LiveOpt = False,
    cold: ColdOpt = False,
    target: TargetOpt = None,
    policy: PolicyOpt = None,
    allow_locked: LockedOpt = False,
    allow_skip_running: SkipRunningOpt = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """The preflight alone: each instance's verdict and destination. Exit 1 if any is blocked."""
    opts = job_options(
        live=live,
        cold=cold,
        target=target,
        policy=policy,
        allow_locked=allow_locked,
        allow_skip_running=allow_skip_running,
    )
    print_plan(open_app(), host, opts, fmt)


class OnOff(StrEnum):
    ENABLE = "enable"
    DISABLE = "disable"


@app.command("host-update")
def host_update(
    host: str,
    maintenance: Annotated[
        OnOff | None, typer.Option("--maintenance", help="enable or disable")
    ] = None,
    status: Annotated[
        OnOff | None, typer.Option("--status", help="enable or disable the service")
    ] = None,
    reason: Annotated[str, typer.Option("--reason")] = "host-update",
    report_host_down: Annotated[
        bool, typer.Option("--report-host-down", help="Report it failed (see `host down`).")
    ] = False,
) -> None:
    """`nova host-update` muscle memory: --maintenance drains or restores, --status toggles."""
    if report_host_down:  # vacate.cli.down_cmds: the host-down report (refused if still up)
        raise typer.Exit(down_cmds.report_host_down(host, fenced=False, reason=reason))
    if maintenance is None and status is None:
        raise typer.BadParameter("give --maintenance and/or --status")
    reason = check_reason(reason)
    a = open_app()
    name = commands.exact_host(a.ctx, host)
    code = EXIT_OK
    if status is not None:
        job = commands.set_service(
            a.ctx, name, enabled=status is OnOff.ENABLE, reason=reason, actor=cli_actor()
        )
        code = _quietrun_here(a, job)
    if maintenance is OnOff.ENABLE:
        job = commands.enter_maintenance(a.ctx, name, JobOptions(reason=reason), actor=cli_actor())
        code = max(code, _quietrun_here(a, job))
    elif maintenance is OnOff.DISABLE:
        job = commands.exit_maintenance(a.ctx, name, actor=cli_actor())
        code = max(code, _quietrun_here(a, job))
    emit_json(os_host(host_views(a.ctx, only=name)[0]))
    raise typer.Exit(code)


def _quietrun_here(a: bootstrap.App, job: Job) -> int:
    finished = run_or_follow(a.ctx, job.id, say=say)
    return EXIT_OK if finished.status is JobStatus.SUCCEEDED else EXIT_FAILED
