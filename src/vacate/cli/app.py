"""``vacate``: every verb of the product on the command line.

Exit codes: 0 done, 1 job failed or partial, 2 usage, 3 not found, 4 conflict, 5 set-up problem
(a setting, file or database Vacate cannot use).
"""

from __future__ import annotations

import json
import socket
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from vacate import bootstrap
from vacate.cli import render
from vacate.cli.demo import run_demo
from vacate.cli.progress import JobProgress
from vacate.cli.server_cmds import register as register_server_commands
from vacate.clouds.sim import generate
from vacate.clouds.sim.generate import FLAVORS
from vacate.clouds.sim.state import FileState
from vacate.domain.actors import Actor, Role
from vacate.domain.errors import Conflict, NotFound, SetupError, VacateError
from vacate.domain.jobs import Job, JobOptions, JobStatus, Method
from vacate.domain.model import HostName, InstanceId, JobId
from vacate.engine import commands
from vacate.engine.follow import run_or_follow
from vacate.engine.runner import run_until_idle
from vacate.engine.summary import job_summary
from vacate.engine.views import host_views, os_host
from vacate.planning.policy import parse_state_policy
from vacate.serialize import (
    event_to_dict,
    host_to_dict,
    instance_to_dict,
    job_to_dict,
    plan_to_dict,
    summary_to_dict,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_SETUP = 0, 1, 2, 3, 4, 5

# Not a terminal (a pipe, CI): wide enough that the results table stays readable.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)  # one error, one line: scripts grep it

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Take compute hosts out of service without hurting the instances on them.",
)
host_app = typer.Typer(
    no_args_is_help=True, help="Hosts: list, show, maintenance, migrate instances."
)
maint_app = typer.Typer(
    no_args_is_help=True, help="Put a host into maintenance, or back in service."
)
instance_app = typer.Typer(no_args_is_help=True, help="Instances.")
job_app = typer.Typer(no_args_is_help=True, help="Jobs: list, show, watch, cancel.")
sim_app = typer.Typer(no_args_is_help=True, help="The built-in simulated cloud.")
app.add_typer(host_app, name="host")
host_app.add_typer(maint_app, name="maintenance")
app.add_typer(instance_app, name="instance")
app.add_typer(job_app, name="job")
app.add_typer(sim_app, name="sim")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table or json")]


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _app() -> bootstrap.App:
    return bootstrap.build()


# ------------------------------------------------------------------ options
def _parse_policy(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``STATE=ACTION`` pairs, checked against the policy table itself (what the plan suggests
    is exactly what is accepted)."""
    pairs = []
    for value in values:
        state, sep, action = value.partition("=")
        if not sep:
            raise typer.BadParameter(f"{value!r}: expected STATE=ACTION", param_hint="--policy")
        pairs.append((state.strip().lower(), action.strip().lower()))
    try:
        parse_state_policy(pairs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--policy") from None
    return tuple(pairs)


def _options(
    *,
    reason: str = "",
    live: bool = False,
    cold: bool = False,
    target: str | None = None,
    max_parallel: int = JobOptions.max_parallel,
    max_per_source: int = JobOptions.max_per_source,
    max_per_destination: int = JobOptions.max_per_destination,
    rollback_on_error: bool = False,
    policy: list[str] | None = None,
    allow_locked: bool = False,
    cold_fallback: bool = False,
    post_copy: bool = True,
) -> JobOptions:
    if live and cold:
        raise typer.BadParameter("choose one of --live and --cold")
    for name, value in (
        ("--max-parallel", max_parallel),
        ("--max-per-source", max_per_source),
        ("--max-per-destination", max_per_destination),
    ):
        if value < 1:
            raise typer.BadParameter(f"{name} must be at least 1, not {value}")
    return JobOptions(
        reason=reason,
        force_method=Method.LIVE if live else Method.COLD if cold else None,
        target=HostName(target) if target else None,
        max_parallel=max_parallel,
        max_per_source=max_per_source,
        max_per_destination=max_per_destination,
        rollback_on_error=rollback_on_error,
        state_policy=_parse_policy(policy or []),
        allow_locked=allow_locked,
        allow_cold_fallback=cold_fallback,
        allow_post_copy=post_copy,
    )


LiveOpt = Annotated[bool, typer.Option("--live", help="Live-migrate every instance that can move.")]
ColdOpt = Annotated[
    bool, typer.Option("--cold", help="Cold-migrate every instance (guests restart).")
]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Move everything to this host.")]
ParallelOpt = Annotated[int, typer.Option("--max-parallel", help="Moves at once, overall.")]
PerSourceOpt = Annotated[int, typer.Option("--max-per-source", help="Moves at once from one host.")]
PerDestOpt = Annotated[
    int, typer.Option("--max-per-destination", help="Moves at once into one host.")
]
PolicyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--policy",
        help="Per-state override STATE=live|cold|skip, e.g. suspended=skip (repeatable).",
    ),
]
LockedOpt = Annotated[
    bool, typer.Option("--allow-locked", help="Move instances locked by their owner.")
]
FallbackOpt = Annotated[
    bool,
    typer.Option("--cold-fallback", help="Cold-migrate a live migration that had to be aborted."),
]
PostCopyOpt = Annotated[
    bool,
    typer.Option(
        "--post-copy/--no-post-copy", help="Allow post-copy for guests that will not converge."
    ),
]
WaitOpt = Annotated[
    bool, typer.Option("--no-wait", help="Queue the job and return (a worker runs it).")
]


# --------------------------------------------------------------- job runs
def _finish(a: bootstrap.App, job: Job, fmt: Format, *, wait: bool) -> int:
    """Run (or follow) the job to its end, print the results; the exit code says how it went."""
    if not wait:
        if fmt is Format.JSON:
            _json(job_to_dict(job))
        else:
            console.print(
                f"queued job [bold]{job.id}[/] ({job.kind.value} {job.host}); "
                "run `vacate worker` to execute it"
            )
        return EXIT_OK
    return _report(a, _run(a, job.id, fmt), fmt)


def _run(a: bootstrap.App, job_id: JobId, fmt: Format) -> Job:
    """Run the job here, or follow the worker that has it (taking over if it dies)."""
    if fmt is Format.TABLE:
        with JobProgress(console) as progress:
            return run_or_follow(a.ctx, job_id, observer=progress.update, say=_say)
    return run_or_follow(a.ctx, job_id, say=_say)


def _say(text: str) -> None:
    err.print(text, markup=False)


def _report(a: bootstrap.App, job: Job, fmt: Format) -> int:
    job = a.ctx.store.get_job(job.id)
    summary = job_summary(a.ctx.cloud, job)
    if fmt is Format.JSON:
        data = job_to_dict(job)
        data["summary"] = summary_to_dict(summary)
        _json(data)
    else:
        console.print(render.results_table(job))
        render.print_summary(console, summary)
        console.print(f"[bold]{job.status.value}[/]: {job.message}")
    return EXIT_OK if job.status is JobStatus.SUCCEEDED else EXIT_FAILED


# ------------------------------------------------------------------- hosts
@host_app.command("list")
def host_list(fmt: FormatOpt = Format.TABLE) -> None:
    """Every host with its service, maintenance state and usage."""
    views = host_views(_app().ctx)
    if fmt is Format.JSON:
        _json([host_to_dict(v) for v in views])
    else:
        console.print(render.hosts_table(views))


@host_app.command("show")
def host_show(host: str, fmt: FormatOpt = Format.TABLE) -> None:
    """One host, its instances and its recent jobs."""
    a = _app()
    view = host_views(a.ctx, only=host)[0]
    instances = a.ctx.cloud.list_instances(host)
    jobs = a.ctx.store.list_jobs(host=host, limit=5)
    if fmt is Format.JSON:
        data = host_to_dict(view)
        data["instances"] = [instance_to_dict(i) for i in instances]
        data["jobs"] = [{"id": j.id, "kind": j.kind.value, "status": j.status.value} for j in jobs]
        _json(data)
        return
    console.print(render.hosts_table([view]))
    if view.maintenance.reason:
        console.print(f"maintenance: {view.maintenance.state.value} — {view.maintenance.reason}")
    console.print(render.instances_table(instances))
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
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Disable the host, move every instance off, and mark it `maintenance` once it is empty."""
    opts = _options(
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
    )
    a = _app()
    if dry_run:
        _print_plan(a, host, opts, fmt)
        return
    job = commands.enter_maintenance(a.ctx, host, opts, actor=_actor())
    raise typer.Exit(_finish(a, job, fmt, wait=not no_wait))


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
    a = _app()
    job = commands.exit_maintenance(a.ctx, host, restore=restore, actor=_actor())
    raise typer.Exit(_finish(a, job, fmt, wait=not no_wait))


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
    no_wait: WaitOpt = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Move every instance off the host without changing its maintenance state."""
    opts = _options(
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
    )
    a = _app()
    job = commands.migrate_instances(a.ctx, host, opts, actor=_actor())
    raise typer.Exit(_finish(a, job, fmt, wait=not no_wait))


def _print_plan(a: bootstrap.App, host: str, opts: JobOptions, fmt: Format) -> None:
    plan = commands.preflight(a.ctx, host, opts)
    if fmt is Format.JSON:
        _json(plan_to_dict(plan))
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
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """The preflight alone: each instance's verdict and destination. Exit 1 if any is blocked."""
    opts = _options(live=live, cold=cold, target=target, policy=policy, allow_locked=allow_locked)
    _print_plan(_app(), host, opts, fmt)


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
) -> None:
    """`nova host-update` muscle memory: --maintenance drains or restores, --status toggles."""
    if maintenance is None and status is None:
        raise typer.BadParameter("give --maintenance and/or --status")
    a = _app()
    name = commands.exact_host(a.ctx, host)
    code = EXIT_OK
    if status is not None:
        job = commands.set_service(
            a.ctx, name, enabled=status is OnOff.ENABLE, reason=reason, actor=_actor()
        )
        code = _quiet_run(a, job)
    if maintenance is OnOff.ENABLE:
        job = commands.enter_maintenance(a.ctx, name, JobOptions(reason=reason), actor=_actor())
        code = max(code, _quiet_run(a, job))
    elif maintenance is OnOff.DISABLE:
        job = commands.exit_maintenance(a.ctx, name, actor=_actor())
        code = max(code, _quiet_run(a, job))
    _json(os_host(host_views(a.ctx, only=name)[0]))
    raise typer.Exit(code)


def _quiet_run(a: bootstrap.App, job: Job) -> int:
    finished = run_or_follow(a.ctx, job.id, say=_say)
    return EXIT_OK if finished.status is JobStatus.SUCCEEDED else EXIT_FAILED


# --------------------------------------------------------------- instances
@instance_app.command("list")
def instance_list(
    host: Annotated[str | None, typer.Option("--host", help="Only this host's instances.")] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Instances, optionally of one host."""
    instances = _app().ctx.cloud.list_instances(host)
    if fmt is Format.JSON:
        _json([instance_to_dict(i) for i in instances])
    else:
        console.print(render.instances_table(instances))


# -------------------------------------------------------------------- jobs
@job_app.command("list")
def job_list(
    host: Annotated[str | None, typer.Option("--host")] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Recent jobs, newest first."""
    jobs = _app().ctx.store.list_jobs(host=host)
    if fmt is Format.JSON:
        _json([job_to_dict(j) for j in jobs])
    else:
        console.print(render.jobs_table(jobs))


@job_app.command("show")
def job_show(
    job_id: str,
    events: Annotated[bool, typer.Option("--events", help="Also the job's event log.")] = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """A job with every instance's result (and, with --events, everything that happened)."""
    a = _app()
    job = a.ctx.store.get_job(JobId(job_id))
    log = a.ctx.store.list_events(job.id) if events else []
    if fmt is Format.JSON:
        data = job_to_dict(job)
        if events:
            data["events"] = [event_to_dict(e) for e in log]
        _json(data)
        return
    console.print(render.results_table(job))
    if events:
        console.print(render.events_table(log))
    console.print(f"[bold]{job.status.value}[/] ({job.phase.value}): {job.message}")


@job_app.command("watch")
def job_watch(job_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """Follow a job until it ends; if no live worker holds it, run it here."""
    a = _app()
    job = a.ctx.store.get_job(JobId(job_id))
    raise typer.Exit(_report(a, _run(a, job.id, fmt), fmt))


@job_app.command("cancel")
def job_cancel(job_id: str, fmt: FormatOpt = Format.TABLE) -> None:
    """Stop starting moves, abort running pre-copy migrations, end the job as cancelled."""
    job = commands.cancel(_app().ctx, job_id, actor=_actor())
    if fmt is Format.JSON:
        _json(job_to_dict(job))
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
    a = _app()
    while True:
        for job in run_until_idle(a.ctx, wait_for_held=until_idle):
            err.print(
                f"job {job.id} {job.kind.value} {job.host}: {job.status.value} — {job.message}"
            )
        if until_idle:
            return
        time.sleep(1.0)


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
    a = _app()
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
    a = _app()
    booted = [a.simulator().boot(f"{name}-{i + 1}", FLAVORS[flavor]) for i in range(count)]
    if fmt is Format.JSON:
        _json([instance_to_dict(i) for i in booted])
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
    _app().simulator().inject_migration_failure(
        InstanceId(instance_id), count=count, at_fraction=at
    )


@sim_app.command("kill-host")
def sim_kill_host(
    host: str,
    after: Annotated[float, typer.Option("--after", help="Simulated seconds from now.")] = 0.0,
) -> None:
    """Failure injection: the host dies (its migrations fail)."""
    _app().simulator().schedule_host_death(host, after_s=after)


@app.command("demo")
def demo() -> None:
    """Build a simulated cloud, drain its busiest host, show the results, and bring it back."""
    raise typer.Exit(run_demo(console))


def _actor() -> Actor:
    """The person at the terminal: the CLI acts as an admin of the local database."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Actor(name=name, role=Role.ADMIN, origin=f"cli {socket.gethostname()}")


def main() -> None:
    """Entry point: map Vacate's errors to exit codes and one clear line on stderr."""
    try:
        app(standalone_mode=True)
    except NotFound as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_NOT_FOUND)
    except Conflict as exc:
        err.print(f"[red]conflict:[/] {exc}")
        sys.exit(EXIT_CONFLICT)
    except SetupError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_SETUP)
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_USAGE)
    except VacateError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_FAILED)


register_server_commands(app)  # serve, token, audit (vacate.cli.server_cmds)
