"""Hosts: list, show, maintenance, migrate instances, plan, and `nova host-update` habits.

The tables and decoders are imported by the commands that print them: registering the commands
(``vacate --help``) does not load them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from vacate.cli import down_cmds
from vacate.cli.apps import (
    EXIT_FAILED,
    EXIT_OK,
    Format,
    FormatOpt,
    app,
    console,
    emit_json,
    host_app,
    maint_app,
    open_client,
)
from vacate.cli.options import (
    ColdOpt,
    FallbackOpt,
    FixedLimitsOpt,
    LiveOpt,
    LockedOpt,
    MaxDowntimeOpt,
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
from vacate.cli.running import exit_code, finish, say
from vacate.domain.jobs import JobOptions

if TYPE_CHECKING:
    from vacate.client.base import Client


# ------------------------------------------------------------------- hosts
@host_app.command("list")
def host_list(fmt: FormatOpt = Format.TABLE) -> None:
    """Every host with its service, maintenance state and usage."""
    from vacate.cli import render
    from vacate.client import decode

    hosts = open_client().hosts()
    if fmt is Format.JSON:
        emit_json(hosts)
    else:
        console.print(render.hosts_table([decode.host_view(h) for h in hosts]))


@host_app.command("show")
def host_show(host: str, fmt: FormatOpt = Format.TABLE) -> None:
    """One host, its instances and its recent jobs."""
    from vacate.cli import render
    from vacate.client import decode

    client = open_client()
    data = client.host(host)
    if fmt is Format.JSON:
        emit_json(data)
        return
    view = decode.host_view(data)
    instances = [decode.instance(i) for i in data["instances"]]
    console.print(render.hosts_table([view], title=f"Host {view.host.name}"))
    if view.maintenance.reason:
        console.print(f"maintenance: {render.safe(view.maintenance.reason)}")
    groups = {g["id"]: g["name"] for g in client.server_groups()}
    console.print(render.instances_table(instances, groups=groups))
    if data["jobs"]:
        recent = client.jobs(host=view.host.name, limit=5)
        console.print(render.jobs_table([decode.job(j) for j in recent]))


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
    fixed_limits: FixedLimitsOpt = False,
    max_downtime: MaxDowntimeOpt = None,
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
        fixed_limits=fixed_limits,
        max_downtime=max_downtime,
    )
    client = open_client()
    if dry_run:
        print_plan(client, host, opts, fmt)
        return
    job = client.enter_maintenance(host, opts)
    raise typer.Exit(finish(client, job, fmt, wait=not no_wait))


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
    client = open_client()
    job = client.exit_maintenance(host, restore=restore)
    raise typer.Exit(finish(client, job, fmt, wait=not no_wait))


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
    fixed_limits: FixedLimitsOpt = False,
    max_downtime: MaxDowntimeOpt = None,
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
        fixed_limits=fixed_limits,
        max_downtime=max_downtime,
    )
    client = open_client()
    job = client.migrate_instances(host, opts)
    raise typer.Exit(finish(client, job, fmt, wait=not no_wait))


def print_plan(client: Client, host: str, opts: JobOptions, fmt: Format) -> None:
    from vacate.cli import render
    from vacate.client import decode

    plan = client.plan(host, opts)
    if fmt is Format.JSON:
        emit_json(plan)
    else:
        console.print(render.plan_table(decode.plan(plan)))
    if not plan["ok"]:
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
    max_parallel: ParallelOpt = JobOptions.max_parallel,
    max_per_source: PerSourceOpt = JobOptions.max_per_source,
    max_per_destination: PerDestOpt = JobOptions.max_per_destination,
    post_copy: PostCopyOpt = True,
    fixed_limits: FixedLimitsOpt = False,
    max_downtime: MaxDowntimeOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """The preflight alone: each instance's verdict and destination, and the drain schedule
    (how each moves, when, how long, its downtime). Exit 1 if any is blocked."""
    opts = job_options(
        live=live,
        cold=cold,
        target=target,
        policy=policy,
        allow_locked=allow_locked,
        allow_skip_running=allow_skip_running,
        max_parallel=max_parallel,
        max_per_source=max_per_source,
        max_per_destination=max_per_destination,
        post_copy=post_copy,
        fixed_limits=fixed_limits,
        max_downtime=max_downtime,
    )
    print_plan(open_client(), host, opts, fmt)


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
    client = open_client()
    name = client.os_host(host)["host"]  # exact names only: an unknown host is exit 3
    code = EXIT_OK
    if status is not None:
        job = client.set_service(name, enabled=status is OnOff.ENABLE, reason=reason)
        code = exit_code(client.follow(job["id"], say=say))
    if maintenance is OnOff.ENABLE:
        job = client.enter_maintenance(name, JobOptions(reason=reason))
        code = max(code, exit_code(client.follow(job["id"], say=say)))
    elif maintenance is OnOff.DISABLE:
        job = client.exit_maintenance(name)
        code = max(code, exit_code(client.follow(job["id"], say=say)))
    emit_json(client.os_host(name))
    raise typer.Exit(code)
