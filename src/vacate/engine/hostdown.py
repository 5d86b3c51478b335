"""Host down and recover: the commands every entry point shares (CLI, REST, the os-hosts
compatibility call, the Alertmanager receiver), each carrying its actor.

A report for a host whose compute service still reports up is refused unless the operator
asserts the host is fenced: evacuating a host that still runs its guests runs them twice. A
second report with ``fenced`` while a host-down job waits at the fencing gate lets that job go
on (the assertion is recorded on the job, with who made it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vacate.domain.actors import Actor
from vacate.domain.changes import Changes, JobChange
from vacate.domain.errors import Conflict
from vacate.domain.events import EventKind
from vacate.domain.jobs import Job, JobKind, JobOptions, JobPhase
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, ServiceState
from vacate.engine.commands import busy_hint, exact_host, queue_job
from vacate.engine.context import Context
from vacate.engine.doublerun import still_running
from vacate.engine.record import note
from vacate.engine.steps.fence import WAITING


def assert_fenced(ctx: Context, job: Job, *, actor: Actor) -> Job:
    """Record on a waiting host-down job that an operator asserts its host is off."""
    if job.options.fenced:
        return job
    changes = Changes(job=JobChange(options=replace(job.options, fenced=True))) + note(
        EventKind.HOST_FENCED, f"{actor} asserts {job.host} is off (fenced)"
    )
    return ctx.store.commit(job.id, changes, at=ctx.clock.now(), owner=None)


def report_down(
    ctx: Context,
    host: str,
    *,
    actor: Actor,
    fenced: bool = False,
    evacuate: bool = True,
    reason: str = "",
    reserved: Sequence[str] = (),
) -> Job:
    """Report ``host`` failed: queue a host-down job (or assert the fence on the one waiting)."""
    name = exact_host(ctx, host)
    active = ctx.store.active_job(name)
    if active is not None:
        if active.kind is JobKind.HOST_DOWN and fenced:
            return assert_fenced(ctx, active, actor=actor)
        raise Conflict(f"host {name} is busy: {busy_hint(active)}")
    cloud_host = ctx.cloud.get_host(name)
    service_up = cloud_host.state is ServiceState.UP and not cloud_host.forced_down
    if service_up and not fenced:
        raise Conflict(
            f"host {name}: its compute service still reports up; evacuating it now could run "
            "its instances twice. Power it off (or make sure it is off) and report it with "
            "--fenced"
        )
    hosts = tuple(exact_host(ctx, r) for r in reserved)
    if name in hosts:
        raise ValueError(f"reserved host {name} is the host reported down")
    options = JobOptions(
        reason=reason or "host down",
        fenced=fenced,
        evacuate=evacuate,
        reserved=hosts,
        service_up=cloud_host.state is ServiceState.UP,
        allow_partial=True,
    )
    return queue_job(ctx, JobKind.HOST_DOWN, name, options, actor, state=MaintenanceState.DOWN)


def _compute_up(ctx: Context, name: HostName) -> bool:
    """Whether the host's compute service runs. Nova reports a forced-down service ``down``
    whatever its compute does, so the force is lifted to read it, and put back (the job lifts
    it for good). Nova refuses to lift it (``Conflict``) until the restarted compute has
    destroyed its copies of the evacuated servers: Nova's own double-run guard."""
    host = ctx.cloud.get_host(name)
    if host.state is ServiceState.UP or not host.forced_down:
        return host.state is ServiceState.UP
    ctx.cloud.force_down(name, False)
    try:
        return ctx.cloud.get_host(name).state is ServiceState.UP
    finally:
        ctx.cloud.force_down(name, True)


def recover(ctx: Context, host: str, *, actor: Actor, reason: str = "") -> Job:
    """Queue the recovery of a repaired host: refused (naming them) while an instance
    evacuated from it still runs there, or while its service still reports down."""
    name = exact_host(ctx, host)
    state = ctx.store.get_maintenance(name).state
    active = ctx.store.active_job(name)
    if active is not None:
        raise Conflict(f"host {name} is busy: {busy_hint(active)}")
    if state is not MaintenanceState.DOWN:
        raise Conflict(
            f"host {name} is {state.value!r}, not 'down': only a host reported down is recovered"
        )
    if not _compute_up(ctx, name):
        raise Conflict(
            f"host {name} is 'down' and its compute service still reports down: repair the "
            "host and start its compute service, then recover it"
        )
    stale = still_running(ctx.store, ctx.cloud.list_instances(name), name)
    if stale:
        raise Conflict(
            f"host {name} is 'down': instance(s) evacuated from it still run there, and would "
            f"run twice: {', '.join(stale)}; destroy those copies on the host (Nova's compute "
            "does so when it restarts), then recover it"
        )
    options = JobOptions(reason=reason or "recovered after host down", allow_partial=True)
    return queue_job(ctx, JobKind.HOST_RECOVER, name, options, actor)


def parked(job: Job) -> bool:
    """A job waiting at the fencing gate for a person (the CLI stops following it there);
    not once an operator asserted the fence (the gate lets it go on at its next tick)."""
    return (
        not job.options.fenced
        and job.phase is JobPhase.AWAITING_FENCE
        and job.message.startswith(WAITING)
    )
