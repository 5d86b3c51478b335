"""Jobs, tasks and their results: the durable record of a drain.

A job executes a plan; it has one task per instance. Tasks carry everything the results table
shows (DESIGN "Results"): where an instance went, how, how long, downtime, bytes, the
escalation steps taken and an outcome with a reason a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from vacate.domain.actors import SYSTEM, Actor
from vacate.domain.model import HostName, InstanceId, JobId, MigrationId
from vacate.domain.prediction import Prediction


class JobKind(StrEnum):
    ENTER_MAINTENANCE = "enter_maintenance"
    EXIT_MAINTENANCE = "exit_maintenance"
    MIGRATE_INSTANCES = "migrate_instances"
    SERVICE_UPDATE = "service_update"
    HOST_DOWN = "host_down"
    HOST_RECOVER = "host_recover"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobPhase(StrEnum):
    """The step a job is at: each job kind is a list of these (``vacate.engine.workflows``)."""

    PREFLIGHT = "preflight"
    DISABLE = "disable"
    ENABLE = "enable"
    MOVE = "move"
    VERIFY = "verify"
    RESTORE = "restore"
    FINISH = "finish"
    # host down (``vacate.engine.hostdown``)
    FORCE_DOWN = "force_down"
    MARK_STOPPED = "mark_stopped"
    AWAITING_FENCE = "awaiting_fence"
    EVACUATE = "evacuate"
    RECOVER = "recover"
    DONE = "done"


class Method(StrEnum):
    LIVE = "live"
    COLD = "cold"
    EVACUATE = "evacuate"


class Placement(StrEnum):
    """Who picks each move's destination (``--placement``). The preflight plans either way;
    ``vacate`` sends its planned host to the cloud (which still validates it, no force),
    ``nova`` sends none and lets the cloud's scheduler choose (the result records where the
    instance went). A pinned destination (``--target``, moving back on exit) is always sent."""

    NOVA = "nova"
    VACATE = "vacate"


class Verdict(StrEnum):
    """What the plan decided for one instance."""

    LIVE = "live"
    COLD = "cold"
    SKIP = "skip"
    BLOCKED = "blocked"
    #: Rebuilt elsewhere from a failed host (host down).
    EVACUATE = "evacuate"

    @property
    def moves(self) -> bool:
        return self in (Verdict.LIVE, Verdict.COLD, Verdict.EVACUATE)


class TaskStatus(StrEnum):
    PENDING = "pending"
    STARTING = "starting"  # intent recorded, cloud call may or may not have happened
    MIGRATING = "migrating"
    CONFIRMING = "confirming"  # cold migration finished, resize to confirm
    DONE = "done"


class Outcome(StrEnum):
    MOVED = "moved"
    FAILED = "failed"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


@dataclass(frozen=True, kw_only=True)
class EscalationStep:
    """One rung of the non-convergence ladder taken for a live migration."""

    action: str
    at: float
    detail: str = ""
    #: Recorded first, sent on the next tick: a worker that dies in between leaves a decision
    #: the next one carries out.
    sent: bool = True


@dataclass(frozen=True, kw_only=True)
class JobOptions:
    """What the operator asked for; stored with the job so a restart runs the same job."""

    reason: str = ""
    #: Moves in flight at once (from setup to end, as Nova counts them). Setups overlap freely
    #: and fair sharing costs a calm guest little, so the defaults keep the source NIC full
    #: and hide the setup time (see bench/drain.py for the figures).
    max_parallel: int = 10
    max_per_source: int = 10
    max_per_destination: int = 3
    rollback_on_error: bool = False
    force_method: Method | None = None
    target: HostName | None = None
    restore: bool = False
    allow_post_copy: bool = True
    allow_cold_fallback: bool = False
    allow_locked: bool = False
    state_policy: tuple[tuple[str, str], ...] = ()
    max_attempts: int = 2
    dry_run: bool = False
    #: Leaving a running guest on the host by policy needs this acknowledgement.
    allow_skip_running: bool = False
    #: Move what can move even if some instances are blocked (the host then ends in
    #: ``error`` naming them); without it a plan with blocked instances is refused up front.
    allow_partial: bool = False
    #: ``service_update`` jobs: the service status wanted (True enable, False disable).
    enable_service: bool | None = None
    #: None: the cloud's default (``CloudCapabilities.default_placement``).
    placement: Placement | None = None
    #: ``host_down`` jobs: the operator asserts the host is powered off (the fencing gate).
    fenced: bool = False
    #: ``host_down`` jobs: evacuate after marking (False: stop once instances are marked).
    evacuate: bool = True
    #: ``host_down`` jobs: hosts tried first for evacuated instances (Masakari's reserved hosts).
    reserved: tuple[HostName, ...] = ()
    #: ``host_down`` jobs: the service still reported up when the host was reported (accepted
    #: only with ``fenced``); otherwise a service that reports up later means the host came back.
    service_up: bool = False
    #: Run exactly the limits, no schedule: no stream count computed and no approach chosen up
    #: front (the escalation ladder alone acts), as the plain Nova limits do.
    fixed_limits: bool = False
    #: The longest pause a live migration may cause, in ms (None: the ladder's own ceiling):
    #: no downtime limit is raised above it and no guest is paused to force completion.
    max_downtime_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "max_parallel": self.max_parallel,
            "max_per_source": self.max_per_source,
            "max_per_destination": self.max_per_destination,
            "rollback_on_error": self.rollback_on_error,
            "force_method": self.force_method.value if self.force_method else None,
            "target": self.target,
            "restore": self.restore,
            "allow_post_copy": self.allow_post_copy,
            "allow_cold_fallback": self.allow_cold_fallback,
            "allow_locked": self.allow_locked,
            "state_policy": [list(p) for p in self.state_policy],
            "max_attempts": self.max_attempts,
            "dry_run": self.dry_run,
            "enable_service": self.enable_service,
            "allow_skip_running": self.allow_skip_running,
            "allow_partial": self.allow_partial,
            "placement": self.placement.value if self.placement else None,
            "fenced": self.fenced,
            "evacuate": self.evacuate,
            "fixed_limits": self.fixed_limits,
            "max_downtime_ms": self.max_downtime_ms,
            "reserved": list(self.reserved),
            "service_up": self.service_up,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobOptions:
        method = data.get("force_method")
        target = data.get("target")
        return cls(
            reason=str(data.get("reason", "")),
            max_parallel=int(data.get("max_parallel", cls.max_parallel)),
            max_per_source=int(data.get("max_per_source", cls.max_per_source)),
            max_per_destination=int(data.get("max_per_destination", cls.max_per_destination)),
            rollback_on_error=bool(data.get("rollback_on_error", False)),
            force_method=Method(method) if method else None,
            target=HostName(target) if target else None,
            restore=bool(data.get("restore", False)),
            allow_post_copy=bool(data.get("allow_post_copy", True)),
            allow_cold_fallback=bool(data.get("allow_cold_fallback", False)),
            allow_locked=bool(data.get("allow_locked", False)),
            state_policy=tuple((str(k), str(v)) for k, v in data.get("state_policy", [])),
            max_attempts=int(data.get("max_attempts", 2)),
            dry_run=bool(data.get("dry_run", False)),
            enable_service=None
            if data.get("enable_service") is None
            else bool(data["enable_service"]),
            allow_skip_running=bool(data.get("allow_skip_running", False)),
            allow_partial=bool(data.get("allow_partial", True)),
            placement=Placement(data["placement"]) if data.get("placement") else None,
            fenced=bool(data.get("fenced", False)),
            evacuate=bool(data.get("evacuate", True)),
            reserved=tuple(HostName(str(h)) for h in data.get("reserved", [])),
            service_up=bool(data.get("service_up", False)),
            fixed_limits=bool(data.get("fixed_limits", False)),
            max_downtime_ms=None
            if data.get("max_downtime_ms") is None
            else float(data["max_downtime_ms"]),
        )


@dataclass(frozen=True, kw_only=True)
class Task:
    """One instance's part of a job, from plan to final outcome."""

    job_id: JobId
    instance_id: InstanceId
    instance_name: str
    state_before: str
    verdict: Verdict
    source: HostName
    order: int = 0
    planned_destination: HostName | None = None
    status: TaskStatus = TaskStatus.PENDING
    method: Method | None = None
    destination: HostName | None = None
    migration_id: MigrationId | None = None
    attempt: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    downtime_s: float | None = None
    bytes_sent: float = 0.0
    progress: float = 0.0
    escalations: tuple[EscalationStep, ...] = ()
    outcome: Outcome | None = None
    reason: str = ""
    #: A temporary refusal said "retry later": not before this time.
    not_before: float | None = None
    #: The instance's power state before a host-down report marked it stopped ("" otherwise):
    #: evacuation restores it.
    power_before: str = ""
    #: What the plan expects of this move (``None``: planned without a model, or no move).
    prediction: Prediction | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def is_done(self) -> bool:
        return self.status is TaskStatus.DONE

    def finish(self, outcome: Outcome, reason: str, *, at: float | None) -> Task:
        return replace(self, status=TaskStatus.DONE, outcome=outcome, reason=reason, ended_at=at)

    def with_step(self, step: EscalationStep) -> Task:
        return replace(self, escalations=(*self.escalations, step))


@dataclass(frozen=True, kw_only=True)
class Job:
    id: JobId
    kind: JobKind
    host: HostName
    status: JobStatus
    options: JobOptions
    phase: JobPhase = JobPhase.PREFLIGHT
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    message: str = ""
    actor: Actor = SYSTEM
    cancel_requested: bool = False
    #: The worker holding the job's lease, if any, and until when (wall time) it holds it.
    owner: str | None = None
    lease_expires: float | None = None
    #: The host's maintenance state and reason when the job was queued: undoing the job puts
    #: the host back exactly there.
    found_state: str = "operational"
    found_reason: str = ""
    #: When verify began waiting for moves into the host (it gives up after a while).
    waiting_since: float | None = None
    tasks: tuple[Task, ...] = field(default=())

    @property
    def created_by(self) -> str:
        return self.actor.name

    def task(self, instance_id: InstanceId) -> Task:
        for task in self.tasks:
            if task.instance_id == instance_id:
                return task
        raise KeyError(instance_id)
