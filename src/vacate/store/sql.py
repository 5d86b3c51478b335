"""The Store port on SQLAlchemy: one schema for embedded SQLite and for PostgreSQL.

Every method is one short transaction, because a worker and several CLI readers share one
SQLite file. The invariants that matter under concurrency are enforced by the database, not by
read-then-write in Python: one active job per host is a partial unique index, leases and
maintenance compare-and-set are conditional UPDATEs whose row count says who won.

The parts: ``connect`` (engines), ``base`` (transactions), ``writes`` (the writes inside one
transaction), ``leases`` (who runs a job) and this module (jobs, the unit of work, events,
maintenance states).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from vacate.domain.actors import SYSTEM, Actor
from vacate.domain.changes import Changes, JobChange, StateChange
from vacate.domain.errors import Conflict, NotFound
from vacate.domain.events import PAYLOADS, Event, EventKind, JobEnded, NewEvent, Payload
from vacate.domain.jobs import Job, JobKind, JobOptions, JobPhase, JobStatus, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, JobId
from vacate.ports.store import HostMaintenance
from vacate.store.base import (
    ACTIVE_STATUSES,
    EVENTS,
    JOBS,
    MAINTENANCE,
    MAX_RACE_RETRIES,
    TASKS,
)
from vacate.store.connect import WRITE_OPTION, make_engine, normalize_url
from vacate.store.leases import LeaseStore
from vacate.store.rows import event_from_row, job_from_row, maintenance_from_row, task_from_row
from vacate.store.writes import busy

__all__ = ["WRITE_OPTION", "SqlStore", "make_engine", "new_job_id", "normalize_url"]


def new_job_id() -> JobId:
    return JobId(uuid.uuid4().hex[:12])


class SqlStore(LeaseStore):
    """The Store Protocol on a SQLAlchemy engine (SQLite or PostgreSQL).

    The schema must already be at the Alembic head: use ``vacate.store.open_store``, which
    migrates, rather than constructing this directly.
    """

    def create_job(
        self,
        *,
        kind: JobKind,
        host: HostName,
        options: JobOptions,
        created_at: float,
        actor: Actor = SYSTEM,
        found: HostMaintenance | None = None,
        state: StateChange | None = None,
        event: NewEvent | None = None,
    ) -> Job:
        found = found or HostMaintenance(host=host, state=MaintenanceState.OPERATIONAL)
        values: dict[str, Any] = {
            "kind": kind.value,
            "host": host,
            "status": JobStatus.QUEUED.value,
            "phase": JobPhase.PREFLIGHT.value,
            "options": options.to_dict(),
            "created_at": created_at,
            "started_at": None,
            "finished_at": None,
            "message": "",
            "created_by": actor.name,
            "actor_role": actor.role.value,
            "actor_origin": actor.origin,
            "found_state": found.state.value,
            "found_reason": found.reason,
            "waiting_since": None,
            "event_seq": 0,
            "cancel_requested": False,
            "lease_owner": None,
            "lease_expires": None,
        }
        for _ in range(MAX_RACE_RETRIES):
            job_id = new_job_id()
            try:
                with self._write() as conn:
                    conn.execute(insert(JOBS).values(id=job_id, **values))
                    if state is not None:
                        self._set_state(conn, state, at=created_at, job_id=job_id)
                    if event is not None:
                        self._append(conn, job_id, [event], at=created_at, actor=actor)
                    return self._get_job(conn, job_id)
            except IntegrityError:
                # Most likely the partial unique index: name the job that holds the host. If
                # it finished in the meantime (or the random id collided), just try again.
                active = self.active_job(host)
                if active is not None:
                    raise Conflict(busy(active)) from None
                continue
        raise Conflict(f"could not create a job for host {host!r}: it kept changing, retry")

    def active_job(self, host: str) -> Job | None:
        with self._read() as conn:
            job_id = conn.execute(
                select(JOBS.c.id)
                .where(JOBS.c.host == host, JOBS.c.status.in_(ACTIVE_STATUSES))
                .limit(1)
            ).scalar_one_or_none()
            return None if job_id is None else self._get_job(conn, job_id)

    def get_job(self, job_id: JobId) -> Job:
        with self._read() as conn:
            return self._get_job(conn, job_id)

    def list_jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 100
    ) -> list[Job]:
        query = select(JOBS).order_by(JOBS.c.created_at.desc(), JOBS.c.pk.desc())
        if host is not None:
            query = query.where(JOBS.c.host == host)
        if status is not None:
            query = query.where(JOBS.c.status == status.value)
        query = query.limit(max(0, limit))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
            tasks_by_job: dict[str, list[Task]] = {row["id"]: [] for row in rows}
            if tasks_by_job:
                task_rows = conn.execute(
                    select(TASKS)
                    .where(TASKS.c.job_id.in_(list(tasks_by_job)))
                    .order_by(TASKS.c.sort_order, TASKS.c.instance_name, TASKS.c.instance_id)
                ).mappings()
                for task_row in task_rows:
                    tasks_by_job[task_row["job_id"]].append(task_from_row(task_row))
        return [job_from_row(row, tuple(tasks_by_job[row["id"]])) for row in rows]

    def commit(
        self, job_id: JobId, changes: Changes, *, at: float, owner: str | None = None
    ) -> Job:
        expected = changes.job.expected_status if changes.job else None
        try:
            with self._write() as conn:
                actor = self._check_job(conn, job_id, owner=owner, expected_status=expected)
                if changes.new_tasks:
                    self._put_tasks(conn, job_id, changes.new_tasks)
                for task in changes.tasks:
                    self._save_task(conn, job_id, task)
                if changes.state is not None:
                    self._set_state(conn, changes.state, at=at, job_id=job_id)
                if changes.job is not None:
                    self._update_job(conn, job_id, changes.job)
                if changes.events:
                    self._append(conn, job_id, changes.events, at=at, actor=actor)
                return self._get_job(conn, job_id)
        except IntegrityError:
            # Re-activating a finished job while the host has another active one.
            active = self.active_job(self.get_job(job_id).host)
            holder = f": {busy(active)}" if active else ""
            raise Conflict(f"job {job_id} cannot change so{holder}") from None

    def request_cancel(self, job_id: JobId, *, at: float = 0.0, actor: Actor = SYSTEM) -> Job:
        requested = NewEvent(
            kind=EventKind.JOB_CANCEL_REQUESTED, message=f"cancel requested by {actor.name}"
        )
        for _ in range(MAX_RACE_RETRIES):
            with self._write() as conn:
                row = conn.execute(
                    select(JOBS.c.status).where(JOBS.c.id == job_id)
                ).scalar_one_or_none()
                if row is None:
                    raise NotFound("job", job_id)
                current = JobStatus(row)
                if current is JobStatus.QUEUED:
                    result = conn.execute(
                        update(JOBS)
                        .where(JOBS.c.id == job_id, JOBS.c.status == JobStatus.QUEUED.value)
                        .values(
                            status=JobStatus.CANCELLED.value,
                            phase=JobPhase.DONE.value,
                            cancel_requested=True,
                            finished_at=at,
                            message="cancelled before it started",
                        )
                    )
                    events = [
                        requested,
                        NewEvent(
                            kind=EventKind.JOB_CANCELLED,
                            message="cancelled before it started",
                            payload=JobEnded(status=JobStatus.CANCELLED.value),
                        ),
                    ]
                elif current is JobStatus.RUNNING:
                    result = conn.execute(
                        update(JOBS)
                        .where(JOBS.c.id == job_id, JOBS.c.status == JobStatus.RUNNING.value)
                        .values(cancel_requested=True)
                    )
                    events = [requested]
                else:
                    raise Conflict(f"job {job_id} is already {current.value}: nothing to cancel")
                if result.rowcount == 1:
                    self._append(conn, job_id, events, at=at, actor=actor)
                    return self._get_job(conn, job_id)
            # The status changed between our read and our write (PostgreSQL): look again.
        raise Conflict(f"job {job_id} kept changing status; retry the cancel")

    def list_events(self, job_id: JobId, *, after_seq: int = 0) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                select(EVENTS)
                .where(EVENTS.c.job_id == job_id, EVENTS.c.job_seq > after_seq)
                .order_by(EVENTS.c.job_seq)
            ).mappings()
            return [event_from_row(row) for row in rows]

    def get_maintenance(self, host: HostName) -> HostMaintenance:
        with self._read() as conn:
            return self._get_maintenance(conn, host)

    def list_maintenance(self) -> list[HostMaintenance]:
        with self._read() as conn:
            rows = conn.execute(select(MAINTENANCE).order_by(MAINTENANCE.c.host)).mappings()
            return [maintenance_from_row(row) for row in rows]

    def save_task(self, task: Task, *, owner: str | None = None, at: float = 0.0) -> None:
        self.commit(task.job_id, Changes(tasks=(task,)), at=at, owner=owner)

    def put_tasks(self, job_id: JobId, tasks: Sequence[Task], *, at: float = 0.0) -> None:
        self.commit(job_id, Changes(new_tasks=tuple(tasks)), at=at, owner=None)

    def update_job(
        self,
        job_id: JobId,
        *,
        owner: str | None = None,
        at: float = 0.0,
        **fields: Any,
    ) -> Job:
        return self.commit(job_id, Changes(job=JobChange(**fields)), at=at, owner=owner)

    def append_event(
        self,
        job_id: JobId,
        *,
        at: float,
        kind: EventKind,
        message: str,
        instance_id: InstanceId | None = None,
        payload: Payload | None = None,
    ) -> Event:
        event = NewEvent(
            kind=kind, message=message, instance_id=instance_id, payload=payload or PAYLOADS[kind]()
        )
        self.commit(job_id, Changes(events=(event,)), at=at, owner=None)
        return self.list_events(job_id)[-1]

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
        """Write a host's state outside any job (tests, repairs); with ``expected``, compare
        and set."""
        with self._write() as conn:
            if expected is None:
                values = {"state": state.value, "reason": reason, "updated_at": at}
                conn.execute(
                    self._insert(MAINTENANCE)
                    .values(host=host, job_id=job_id, **values)
                    .on_conflict_do_update(
                        index_elements=[MAINTENANCE.c.host], set_={**values, "job_id": job_id}
                    )
                )
            else:
                change = StateChange(host=host, state=state, reason=reason, expected=expected)
                self._set_state(conn, change, at=at, job_id=job_id)
        return HostMaintenance(host=host, state=state, reason=reason, updated_at=at, job_id=job_id)
