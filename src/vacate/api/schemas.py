"""The API's request bodies and the shapes of its answers, for validation and OpenAPI.

Answers are built by ``vacate.serialize`` (the one JSON form of domain values) and sent as
they are; the models here describe them exactly (``extra="forbid"``), and the schemathesis
test checks every answer against them, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vacate.domain.actors import Role
from vacate.domain.events import EventKind
from vacate.domain.jobs import (
    JobKind,
    JobOptions,
    JobPhase,
    JobStatus,
    Method,
    Outcome,
    TaskStatus,
    Verdict,
)
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import PowerState, ServiceStatus, VmState

#: Printable text: what reaches the cloud and the database never holds control characters.
Text = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
#: A reason a person gave: printable, and not blank (it becomes the service's disabled reason).
Reason = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=500,
        pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s][^\x00-\x1f\x7f]*$",
    ),
]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/]+$")
]
Limit = Annotated[int, Field(ge=1, le=1000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ requests
class MoveOptions(_Strict):
    """How instances move: the options of ``vacate host migrate-instances``."""

    method: Method | None = Field(
        default=None, description="live or cold for all; default: per state"
    )
    target: Name | None = Field(default=None, description="Move everything to this host")
    max_parallel: Limit = JobOptions.max_parallel
    max_per_source: Limit = JobOptions.max_per_source
    max_per_destination: Limit = JobOptions.max_per_destination
    policy: dict[Name, Literal["live", "cold", "skip"]] = Field(
        default_factory=dict, description='Per-state override, e.g. {"suspended": "skip"}'
    )
    allow_locked: bool = False
    cold_fallback: bool = False
    post_copy: bool = True
    allow_partial: bool = Field(
        default=False, description="Move what can move even if some instances are blocked"
    )
    allow_skip_running: bool = Field(
        default=False, description="Accept that a skip policy leaves running guests on the host"
    )
    fixed_limits: bool = Field(
        default=False,
        description="Run exactly the max_* limits: no stream count computed, no approach "
        "chosen up front",
    )

    max_downtime_ms: float | None = Field(
        default=None,
        ge=100,
        le=60_000,
        description="The longest pause a live migration may cause: no downtime limit is "
        "raised above it and no guest is paused to force completion",
    )

    def job_options(self, **extra: Any) -> JobOptions:
        return JobOptions(
            force_method=self.method,
            target=None if self.target is None else self.target,  # type: ignore[arg-type]
            max_parallel=self.max_parallel,
            max_per_source=self.max_per_source,
            max_per_destination=self.max_per_destination,
            state_policy=tuple(sorted(self.policy.items())),
            allow_locked=self.allow_locked,
            allow_cold_fallback=self.cold_fallback,
            allow_post_copy=self.post_copy,
            allow_partial=self.allow_partial,
            allow_skip_running=self.allow_skip_running,
            fixed_limits=self.fixed_limits,
            max_downtime_ms=self.max_downtime_ms,
            **extra,
        )


class MaintenanceRequest(MoveOptions):
    """``vacate host maintenance enable``: disable, empty, mark ``maintenance``."""

    reason: Reason
    rollback_on_error: bool = False


# ------------------------------------------------------------------ answers
class HostOut(_Strict):
    name: str
    az: str
    state: Literal["up", "down"]
    forced_down: bool
    service_status: ServiceStatus
    disabled_reason: str | None
    maintenance_state: MaintenanceState
    maintenance_reason: str
    instance_count: int
    vcpus_used: int
    vcpus_capacity: int
    ram_mb_used: int
    ram_mb_capacity: int
    disk_gb_used: int
    disk_gb_capacity: int


class FlavorOut(_Strict):
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int


class InstanceOut(_Strict):
    id: str
    name: str
    project: str
    host: str | None
    vm_state: VmState
    power_state: PowerState
    task_state: str | None
    locked: bool
    flavor: FlavorOut
    server_groups: list[str]
    server_group_names: list[str]
    addresses: list[str]
    #: Nova's ``host_status`` (UP, DOWN, MAINTENANCE, UNKNOWN), when the cloud reports it.
    host_status: str | None = None
    #: What Vacate shows: ``vm_state``, or ``stopped`` for a server of a host reported down
    #: on a cloud that records no stopped state — ``shown_state_source`` says which.
    shown_state: str = ""
    shown_state_source: str = ""


class MigrationOut(_Strict):
    id: str
    kind: str
    source: str
    dest: str | None
    status: str
    error: str | None


class InstanceDetail(InstanceOut):
    migrations: list[MigrationOut]


class ServerGroupOut(_Strict):
    id: str
    name: str
    policy: str


class ServiceRequest(_Strict):
    """``vacate host-update --status``: the compute service on or off, as a job of its own."""

    status: Literal["enabled", "disabled"]
    reason: Reason = "host-update"


class JobRef(_Strict):
    id: str
    kind: JobKind
    status: JobStatus


class HostDetail(HostOut):
    instances: list[InstanceOut]
    jobs: list[JobRef]


class PredictionOut(_Strict):
    """What the drain schedule expects of one move (``vacate.domain.prediction``)."""

    approach: Literal["pre-copy", "auto-converge", "post-copy", "cold"]
    start_s: float
    duration_s: float
    downtime_s: float | None
    sent_bytes: float
    streams: int
    why: str
    downtime_limit_ms: float | None = None
    #: Auto-converge's first throttle (0.01–0.99), where the plan sets one.
    throttle_initial: float | None = None


class PlanItemOut(_Strict):
    instance_id: str
    instance_name: str
    vm_state: VmState
    power_state: PowerState
    verdict: Verdict
    destination: str | None
    order: int
    estimate_s: float | None
    reason: str
    prediction: PredictionOut | None = None


class PlanOut(_Strict):
    host: str
    ok: bool
    #: Moves the schedule runs at once, and its expected makespan (None: no NIC speed known).
    streams: int | None = None
    makespan_s: float | None = None
    items: list[PlanItemOut]


class EscalationOut(_Strict):
    action: str
    at: float
    detail: str


class TaskOut(_Strict):
    instance_id: str
    instance_name: str
    state_before: str
    verdict: Verdict
    status: TaskStatus
    method: Method | None
    source: str
    destination: str | None
    planned_destination: str | None
    start: float | None
    end: float | None
    start_iso: str | None
    end_iso: str | None
    duration_s: float | None
    downtime_s: float | None
    bytes_sent: float
    progress: float
    attempts: int
    escalations: list[EscalationOut]
    outcome: Outcome | None
    reason: str
    #: Host down: the power state the instance had before it was marked stopped.
    power_before: str = ""
    prediction: PredictionOut | None = None


class ActorOut(_Strict):
    name: str
    role: Role
    origin: str


class _JobBase(_Strict):
    id: str
    kind: JobKind
    host: str
    status: JobStatus
    phase: JobPhase
    message: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    created_at_iso: str | None
    started_at_iso: str | None
    finished_at_iso: str | None
    created_by: str
    actor: ActorOut
    owner: str | None
    cancel_requested: bool
    options: dict[str, Any]


class JobSummaryOut(_JobBase):
    """A job in a list: its tasks counted, not listed."""

    task_count: int


class JobOut(_JobBase):
    tasks: list[TaskOut]


class DrainSummaryOut(_Strict):
    moved: int
    failed: int
    blocked: int
    skipped: int
    left_by_policy: int
    left_running: int
    live_moved: int
    makespan_s: float | None
    lower_bound_s: float | None
    efficiency: float | None
    total_downtime_s: float
    max_downtime_s: float
    #: Host down: instances evacuated, and those left on the failed host (each task says why).
    evacuated: int = 0
    left_on_host: int = 0
    left_alone: int = 0


class JobDetail(JobOut):
    summary: DrainSummaryOut


class JobPage(_Strict):
    items: list[JobSummaryOut]
    next_offset: int | None = Field(description="Pass as offset for the next page; null: done")


class EventOut(_Strict):
    seq: int
    at: float
    at_iso: str | None
    kind: EventKind
    instance_id: str | None
    message: str
    actor: ActorOut | None
    data: dict[str, Any]


class AuditOut(_Strict):
    seq: int
    at: float
    actor: str
    role: str
    origin: str
    action: str
    host: str | None
    job_id: str | None
    outcome: Literal["allowed", "denied", "failed"]
    status: int
    detail: str


class AuditPage(_Strict):
    items: list[AuditOut]
    next_before: int | None = Field(description="Pass as before for the next page; null: done")


class Health(_Strict):
    status: Literal["ok"]


class Ready(_Strict):
    status: Literal["ready"]
    database: Literal["reachable"]
