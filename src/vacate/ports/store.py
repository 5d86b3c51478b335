"""The Store port: durable jobs, tasks, events and host maintenance states.

The engine writes only through ``commit`` (and the commands through ``create_job`` and
``request_cancel``): each is one transaction carrying a state change together with its events,
so a worker killed at any line leaves a record the next worker can resume from and an event
log that is exactly the history of the state. Leases make sure two workers never act on one
job; the store enforces one active (queued or running) job per host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from vacate.domain.actors import Actor
from vacate.domain.changes import Changes, StateChange
from vacate.domain.events import Event, NewEvent
from vacate.domain.jobs import Job, JobKind, JobOptions, JobStatus
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, JobId


@dataclass(frozen=True, kw_only=True)
class HostMaintenance:
    """Vacate's own record of a host: its maintenance state and why."""

    host: HostName
    state: MaintenanceState
    reason: str = ""
    updated_at: float = 0.0
    job_id: JobId | None = None


class Store(Protocol):
    # -- jobs --
    def create_job(
        self,
        *,
        kind: JobKind,
        host: HostName,
        options: JobOptions,
        created_at: float,
        actor: Actor,
        found: HostMaintenance,
        state: StateChange | None,
        event: NewEvent,
    ) -> Job:
        """Queue a job, write ``state`` (compare and set) and ``event``, all or nothing.
        Raises ``Conflict`` naming the active job if the host already has one, or naming the
        host's current state if it changed meanwhile."""
        ...

    def get_job(self, job_id: JobId) -> Job:
        """Raises ``NotFound`` for an unknown id."""
        ...

    def list_jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 100
    ) -> list[Job]:
        """Newest first."""
        ...

    def active_job(self, host: str) -> Job | None:
        """The queued or running job of ``host``, if any."""
        ...

    def commit(self, job_id: JobId, changes: Changes, *, at: float, owner: str | None) -> Job:
        """Apply ``changes`` in one transaction and return the job as it now is.

        With ``owner``, only while that worker holds the lease (else ``LeaseLost``): a worker
        that stalled past its lease cannot overwrite its successor's record. A job change with
        ``expected_status``, or a state change whose ``expected`` state no longer holds, raises
        ``Conflict`` and writes nothing."""
        ...

    def request_cancel(self, job_id: JobId, *, at: float, actor: Actor) -> Job:
        """Mark a job for cancellation (with its event); a queued job is cancelled at once."""
        ...

    # -- leases: who may act on a job --
    def claim_next(self, owner: str, *, ttl_s: float, now: float, at: float) -> Job | None:
        """Take the lease of the oldest queued job, or of a running one whose lease expired
        (recording the take-over at ``at``)."""
        ...

    def acquire_lease(
        self, job_id: JobId, owner: str, *, ttl_s: float, now: float, at: float
    ) -> bool:
        """Take or renew the lease; False if another live owner holds it."""
        ...

    def release_lease(self, job_id: JobId, owner: str) -> None: ...

    # -- events --
    def list_events(self, job_id: JobId, *, after_seq: int = 0) -> list[Event]:
        """The job's events numbered after ``after_seq``, in order."""
        ...

    # -- maintenance states --
    def get_maintenance(self, host: HostName) -> HostMaintenance:
        """A host never seen before is ``operational``."""
        ...

    def list_maintenance(self) -> list[HostMaintenance]: ...
