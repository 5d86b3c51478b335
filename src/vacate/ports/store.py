"""The Store port: durable jobs, tasks, events and host maintenance states.

Every write the engine makes goes through here, so a worker killed at any line leaves a record
the next worker can resume from. Leases make sure two workers never act on one job; the store
enforces one active (queued or running) job per host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vacate.domain.jobs import Event, Job, JobKind, JobOptions, JobPhase, JobStatus, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, JobId


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
        created_by: str = "",
    ) -> Job:
        """Queue a job. Raises ``Conflict`` naming the active job if the host already has one."""
        ...

    def get_job(self, job_id: JobId) -> Job:
        """Raises ``NotFound`` for an unknown id."""
        ...

    def list_jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 100
    ) -> list[Job]:
        """Newest first."""
        ...

    def update_job(
        self,
        job_id: JobId,
        *,
        status: JobStatus | None = None,
        phase: JobPhase | None = None,
        message: str | None = None,
        started_at: float | None = None,
        finished_at: float | None = None,
        owner: str | None = None,
        expected_status: JobStatus | None = None,
    ) -> Job:
        """With ``owner``, only while that worker holds the lease (else ``LeaseLost``): a worker
        that stalled past its lease cannot overwrite its successor's record. With
        ``expected_status``, only from that status (else ``Conflict`` naming the current one)."""
        ...

    def request_cancel(self, job_id: JobId) -> Job:
        """Mark a job for cancellation; a queued job is cancelled at once."""
        ...

    # -- leases: who may act on a job --
    def claim_next(self, owner: str, *, ttl_s: float, now: float) -> Job | None:
        """Take the lease of the oldest queued job, or of a running one whose lease expired."""
        ...

    def acquire_lease(self, job_id: JobId, owner: str, *, ttl_s: float, now: float) -> bool:
        """Take or renew the lease; False if another live owner holds it."""
        ...

    def release_lease(self, job_id: JobId, owner: str) -> None: ...

    # -- tasks --
    def put_tasks(self, job_id: JobId, tasks: Sequence[Task]) -> None:
        """Insert the plan's tasks once; calling again with the same instances changes nothing."""
        ...

    def save_task(self, task: Task, *, owner: str | None = None) -> None:
        """Overwrite one task (keyed by job id and instance id); with ``owner``, only while that
        worker holds the job's lease (else ``LeaseLost``)."""
        ...

    # -- events --
    def append_event(
        self,
        job_id: JobId,
        *,
        at: float,
        kind: str,
        message: str,
        instance_id: InstanceId | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event: ...

    def list_events(self, job_id: JobId, *, after_seq: int = 0) -> list[Event]: ...

    # -- maintenance states --
    def get_maintenance(self, host: HostName) -> HostMaintenance:
        """A host never seen before is ``operational``."""
        ...

    def list_maintenance(self) -> list[HostMaintenance]: ...

    def set_maintenance(
        self,
        host: HostName,
        state: MaintenanceState,
        *,
        reason: str,
        at: float,
        job_id: JobId | None = None,
        expected: MaintenanceState | None = None,
    ) -> HostMaintenance:
        """Write the state; with ``expected``, only if the stored state still is that (else
        ``Conflict``), so two writers cannot both move a host out of the same state."""
        ...
