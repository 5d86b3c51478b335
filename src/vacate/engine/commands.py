"""What an operator can ask for — the one service layer the CLI, the API and the dashboard share.

Each command takes an actor (who, in which role, from where), validates against the cloud and
the store (unknown host → ``NotFound``; illegal transition or a job already active →
``Conflict`` naming the state or the job and what to do), then queues a job — its row, the
host's new state and the ``job.queued`` event in one transaction. Running it is a worker's
business (``vacate.engine.runner``, or ``vacate.engine.follow.run_or_follow``).
"""

from __future__ import annotations

from dataclasses import replace

from vacate.domain.actors import Actor
from vacate.domain.changes import Changes, StateChange
from vacate.domain.errors import Conflict, IllegalTransition, NotFound, PlanNotReady
from vacate.domain.events import EventKind, NewEvent, Queued, StateChanged
from vacate.domain.jobs import Job, JobKind, JobOptions, JobStatus
from vacate.domain.maintenance import MaintenanceState, transition
from vacate.domain.model import HostName, Instance, InstanceId, JobId
from vacate.engine.context import Context
from vacate.engine.preflight import plan_for
from vacate.engine.restore import restore_options
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.policy import parse_state_policy
from vacate.planning.preflight import DrainPlan

#: Jobs that drain a host: a plan with blocked instances refuses them up front.
_DRAINS = frozenset({JobKind.ENTER_MAINTENANCE, JobKind.MIGRATE_INSTANCES})

#: The state a queued job puts its host in (undone when it is cancelled before it starts).
_QUEUED_STATE = {
    JobKind.ENTER_MAINTENANCE: MaintenanceState.ENTERING,
    JobKind.EXIT_MAINTENANCE: MaintenanceState.EXITING,
    JobKind.HOST_DOWN: MaintenanceState.DOWN,  # queued by vacate.engine.hostdown
}


def exact_host(ctx: Context, host: str) -> HostName:
    """Exact names only: prefix matching has drained the wrong host before."""
    return HostName(ctx.cloud.get_host(host).name)


def exact_instance(ctx: Context, text: str) -> Instance:
    """An instance by id, or by its exact name when that names one instance only (names are
    not unique in a cloud: an ambiguous name is refused with the ids to choose from)."""
    try:
        return ctx.cloud.get_instance(InstanceId(text))
    except NotFound:
        pass
    named = [i for i in ctx.cloud.list_instances() if i.name == text]
    if not named:
        raise NotFound("instance", text)
    if len(named) > 1:
        ids = ", ".join(sorted(i.id for i in named))
        raise ValueError(f"{len(named)} instances are named {text!r}: give the id ({ids})")
    return named[0]


def _next_steps(host: HostName, state: MaintenanceState) -> str:
    """What the operator can do from ``state`` (not the state machine's internal edges)."""
    steps = {
        MaintenanceState.OPERATIONAL: f"it is in service; `vacate host maintenance enable {host} "
        "--reason …` takes it out",
        MaintenanceState.MAINTENANCE: f"`vacate host maintenance disable {host}` (with "
        "--restore to bring its instances back) puts it back in service",
        MaintenanceState.ERROR: f"`vacate host maintenance enable {host} --reason …` tries the "
        f"drain again; `vacate host maintenance disable {host}` puts it back in service",
        MaintenanceState.DOWN: f"it was reported down; `vacate host recover {host}` once it is "
        "repaired",
    }
    return steps.get(state, "wait for the job that is changing it")


def busy_hint(job: Job) -> str:
    """What a second command on a busy host is told: which job, and what to do."""
    return (
        f"job {job.id} ({job.kind.value}, {job.status.value}) is active on it; "
        f"follow it with `vacate job watch {job.id}` or cancel it with "
        f"`vacate job cancel {job.id}`"
    )


def _checked(ctx: Context, host: HostName, options: JobOptions) -> JobOptions:
    """Refuse, before anything is queued, what the job could only fail on later."""
    parse_state_policy(options.state_policy)  # ValueError names the bad override
    if options.target is not None:
        target = exact_host(ctx, options.target)  # NotFound names it
        if target == host:
            raise ValueError(f"--target {target} is the host being drained")
    return options


def _queue(ctx: Context, kind: JobKind, host: HostName, options: JobOptions, actor: Actor) -> Job:
    active = ctx.store.active_job(host)
    current = ctx.store.get_maintenance(host)
    new_state = _QUEUED_STATE.get(kind)
    if new_state is not None:
        try:
            transition(host, current.state, new_state)
        except IllegalTransition as exc:
            hint = busy_hint(active) if active is not None else _next_steps(host, current.state)
            raise IllegalTransition(host, exc.current, exc.wanted, exc.allowed, hint=hint) from None
    if active is not None:
        raise Conflict(f"host {host} is {current.state.value!r}: {busy_hint(active)}")
    if kind in _DRAINS:
        _ready(ctx, host, options)  # the host's state first, then whether the plan is ready
    return queue_job(ctx, kind, host, options, actor, state=new_state)


def queue_job(
    ctx: Context,
    kind: JobKind,
    host: HostName,
    options: JobOptions,
    actor: Actor,
    *,
    state: MaintenanceState | None = None,
) -> Job:
    """Queue the job once every check has passed, with the host's new state when it gets one
    at once, and its ``job.queued`` event: one transaction."""
    current = ctx.store.get_maintenance(host)
    message = f"{kind.value} {host} queued by {actor}"
    change = None
    if state is not None and state is not current.state:
        change = StateChange(host=host, state=state, reason=options.reason, expected=current.state)
        message += f"; {current.state.value} → {state.value}"
    return ctx.store.create_job(
        kind=kind,
        host=host,
        options=options,
        created_at=ctx.clock.now(),
        actor=actor,
        found=current,
        state=change,
        event=NewEvent(
            kind=EventKind.JOB_QUEUED,
            message=message,
            payload=Queued(previous_state=current.state.value, previous_reason=current.reason),
        ),
    )


def _ready(ctx: Context, host: HostName, options: JobOptions) -> None:
    """Like ``kubectl drain``: a plan with blocked instances is refused before anything is
    disabled or moved, unless the operator accepted a partial drain."""
    if options.allow_partial:
        return
    plan = plan_for(CloudSnapshot(ctx.cloud, ctx.store), host, options)
    if not plan.ok:
        raise PlanNotReady(host, [(i.instance.name, i.reason) for i in plan.blocked])


def enter_maintenance(ctx: Context, host: str, options: JobOptions, *, actor: Actor) -> Job:
    name = exact_host(ctx, host)
    options = _checked(ctx, name, options)
    return _queue(ctx, JobKind.ENTER_MAINTENANCE, name, options, actor)


def exit_maintenance(ctx: Context, host: str, *, restore: bool = False, actor: Actor) -> Job:
    name = exact_host(ctx, host)
    options = restore_options(ctx.store, name, restore=restore)
    return _queue(ctx, JobKind.EXIT_MAINTENANCE, name, options, actor)


def migrate_instances(ctx: Context, host: str, options: JobOptions, *, actor: Actor) -> Job:
    """Drain without the maintenance flag (the Horizon "Migrate instances" button)."""
    name = exact_host(ctx, host)
    options = replace(_checked(ctx, name, options), rollback_on_error=False)
    return _queue(ctx, JobKind.MIGRATE_INSTANCES, name, options, actor)


def set_service(ctx: Context, host: str, *, enabled: bool, reason: str = "", actor: Actor) -> Job:
    """Enable or disable a host's compute service (``host-update --status``), as a job of its
    own so that it is leased, recorded and audited like every other change."""
    name = exact_host(ctx, host)
    state = ctx.store.get_maintenance(name).state
    if enabled and state in _KEEPS_SERVICE_DISABLED:
        raise Conflict(
            f"host {name} is {state.value!r}: its service stays disabled until "
            f"`vacate host maintenance disable {name}` puts it back in service "
            "(enabling it now would let the scheduler place instances on it)"
        )
    options = JobOptions(reason=reason, enable_service=enabled)
    return _queue(ctx, JobKind.SERVICE_UPDATE, name, options, actor)


#: States in which only the exit workflow may enable the service again.
_KEEPS_SERVICE_DISABLED = frozenset(
    {
        MaintenanceState.ENTERING,
        MaintenanceState.MAINTENANCE,
        MaintenanceState.ERROR,
        MaintenanceState.DOWN,
    }
)


def preflight(ctx: Context, host: str, options: JobOptions) -> DrainPlan:
    """The plan alone: what a drain would do now, touching nothing (``--dry-run``)."""
    name = exact_host(ctx, host)
    options = _checked(ctx, name, options)
    return plan_for(CloudSnapshot(ctx.cloud, ctx.store), name, options)


def cancel(ctx: Context, job_id: str, *, actor: Actor) -> Job:
    """Cancel a job: a queued one at once (its host goes back where it was), a running one at
    its next step (no new moves, running pre-copy migrations aborted)."""
    before = ctx.store.get_job(JobId(job_id))
    job = ctx.store.request_cancel(JobId(job_id), at=ctx.clock.now(), actor=actor)
    if before.status is JobStatus.QUEUED and job.status is JobStatus.CANCELLED:
        return _undo_queued(ctx, job)
    return job


def _undo_queued(ctx: Context, job: Job) -> Job:
    """A job cancelled before it started leaves the host as the job found it — unless someone
    moved the host on meanwhile."""
    queued_state = _QUEUED_STATE.get(job.kind)
    if queued_state is None or ctx.store.get_maintenance(job.host).state is not queued_state:
        return job
    back = MaintenanceState(job.found_state)
    changes = Changes(
        state=StateChange(
            host=job.host, state=back, reason=job.found_reason, expected=queued_state
        ),
        events=(
            NewEvent(
                kind=EventKind.STATE_CHANGED,
                message=f"{job.host}: {queued_state.value} → {back.value} (cancelled)",
                payload=StateChanged(before=queued_state.value, after=back.value),
            ),
        ),
    )
    try:
        return ctx.store.commit(job.id, changes, at=ctx.clock.now(), owner=None)
    except Conflict:
        return ctx.store.get_job(job.id)
