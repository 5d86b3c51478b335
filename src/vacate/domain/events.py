"""What happened in a job, as typed events: the one history the CLI, the API's event stream and
the audit log read.

An event is written in the same transaction as the state change it reports (see
``vacate.engine.changes``), so the log is exactly the history of the state: every change has
its event and no event exists without its change. Each kind has a typed payload; the log is a
record for people and streams, never read back as state (state lives in columns).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from vacate.domain.actors import Actor
from vacate.domain.model import InstanceId, JobId


class EventKind(StrEnum):
    JOB_QUEUED = "job.queued"
    JOB_STARTED = "job.started"
    JOB_TAKEN_OVER = "job.taken-over"
    JOB_PLANNED = "job.planned"
    JOB_WAITING = "job.waiting"
    JOB_RETRY = "job.retry"
    JOB_CANCEL_REQUESTED = "job.cancel-requested"
    JOB_SUCCEEDED = "job.succeeded"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    SERVICE_DISABLED = "service.disabled"
    SERVICE_ENABLED = "service.enabled"
    SERVICE_NOTE = "service.note"
    STATE_CHANGED = "state.changed"
    STATE_CONFLICT = "state.conflict"
    TASK_STARTED = "task.started"
    TASK_ADOPTED = "task.adopted"
    TASK_RETRY = "task.retry"
    TASK_ESCALATED = "task.escalated"
    TASK_ESCALATION_REFUSED = "task.escalation-refused"
    TASK_ABORT_RESENT = "task.abort-resent"
    TASK_FALLBACK = "task.fallback"
    TASK_MOVED = "task.moved"
    TASK_FAILED = "task.failed"
    TASK_SKIPPED = "task.skipped"
    TASK_BLOCKED = "task.blocked"
    # host down
    HOST_FORCED_DOWN = "host.forced-down"
    HOST_FENCED = "host.fenced"
    HOST_FENCE_WAITING = "host.fence-waiting"
    HOST_RECOVERED = "host.recovered"
    TASK_MARKED_STOPPED = "task.marked-stopped"
    TASK_POWER_RESTORED = "task.power-restored"

    @property
    def ends_job(self) -> bool:
        return self in (EventKind.JOB_SUCCEEDED, EventKind.JOB_FAILED, EventKind.JOB_CANCELLED)


@dataclass(frozen=True, kw_only=True)
class Payload:
    """No data beyond the message; subclasses add typed fields."""

    kinds: ClassVar[tuple[EventKind, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Payload:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, kw_only=True)
class Queued(Payload):
    kinds = (EventKind.JOB_QUEUED,)
    previous_state: str = ""
    previous_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TakenOver(Payload):
    kinds = (EventKind.JOB_TAKEN_OVER,)
    previous_owner: str = ""
    owner: str = ""


@dataclass(frozen=True, kw_only=True)
class Planned(Payload):
    kinds = (EventKind.JOB_PLANNED,)
    instances: int = 0
    moving: int = 0


@dataclass(frozen=True, kw_only=True)
class Retry(Payload):
    kinds = (EventKind.JOB_RETRY, EventKind.TASK_RETRY)
    attempt: int = 0
    delay_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class StateChanged(Payload):
    kinds = (EventKind.STATE_CHANGED,)
    before: str = ""
    after: str = ""


@dataclass(frozen=True, kw_only=True)
class TaskStarted(Payload):
    kinds = (EventKind.TASK_STARTED, EventKind.TASK_ADOPTED)
    migration_id: str = ""
    method: str = ""
    destination: str | None = None
    attempt: int = 0


@dataclass(frozen=True, kw_only=True)
class Escalated(Payload):
    kinds = (EventKind.TASK_ESCALATED, EventKind.TASK_ESCALATION_REFUSED)
    action: str = ""
    migration_id: str = ""


@dataclass(frozen=True, kw_only=True)
class TaskEnded(Payload):
    kinds = (
        EventKind.TASK_MOVED,
        EventKind.TASK_FAILED,
        EventKind.TASK_SKIPPED,
        EventKind.TASK_BLOCKED,
    )
    outcome: str = ""
    destination: str | None = None
    duration_s: float | None = None
    downtime_s: float | None = None
    bytes_sent: float = 0.0


@dataclass(frozen=True, kw_only=True)
class JobEnded(Payload):
    kinds = (EventKind.JOB_SUCCEEDED, EventKind.JOB_FAILED, EventKind.JOB_CANCELLED)
    status: str = ""


PAYLOADS: dict[EventKind, type[Payload]] = {kind: Payload for kind in EventKind}
for _payload in (Queued, TakenOver, Planned, Retry, StateChanged, TaskStarted, Escalated):
    PAYLOADS.update(dict.fromkeys(_payload.kinds, _payload))
PAYLOADS.update(dict.fromkeys(TaskEnded.kinds, TaskEnded))
PAYLOADS.update(dict.fromkeys(JobEnded.kinds, JobEnded))


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    """An event a step or command wants recorded; the store numbers it within its job."""

    kind: EventKind
    message: str
    instance_id: InstanceId | None = None
    payload: Payload = field(default_factory=Payload)

    def __post_init__(self) -> None:
        expected = PAYLOADS[self.kind]
        if type(self.payload) is not expected:
            raise TypeError(
                f"{self.kind.value} carries {expected.__name__}, not {type(self.payload).__name__}"
            )


@dataclass(frozen=True, kw_only=True)
class Event:
    """A recorded event. ``seq`` numbers the events of one job 1, 2, 3 … in the order they
    happened (the SSE ``id:``), ``actor`` is on whose behalf it happened."""

    job_id: JobId
    seq: int
    at: float
    kind: EventKind
    message: str
    instance_id: InstanceId | None = None
    actor: Actor | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def payload(self) -> Payload:
        return PAYLOADS[self.kind].from_dict(self.data)
