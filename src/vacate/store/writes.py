"""The writes inside one transaction: each takes the caller's connection, so a unit of work
(a step's changes, a job's creation, a lease's take-over) is all of them or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Update, bindparam, insert, select, update

from vacate.domain.actors import Actor
from vacate.domain.changes import JobChange, StateChange
from vacate.domain.errors import Conflict, LeaseLost, NotFound
from vacate.domain.events import NewEvent
from vacate.domain.jobs import Job, JobStatus, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, JobId
from vacate.ports.store import HostMaintenance
from vacate.store.base import EVENTS, JOBS, MAINTENANCE, TASKS, StoreBase
from vacate.store.rows import (
    actor_from,
    job_from_row,
    maintenance_from_row,
    task_from_row,
    task_values,
)

_TASK_UPDATES: dict[tuple[str, ...], Update] = {}


def _task_update(columns: tuple[str, ...]) -> Update:
    """The UPDATE of one task's ``columns``, built once with every value a bound parameter:
    a tick saves a task per move in flight, and building the statement with its values inline
    (coercing each, and keying the compiled-statement cache on them) cost more than running it.
    """
    found = _TASK_UPDATES.get(columns)
    if found is None:
        found = _TASK_UPDATES[columns] = (
            update(TASKS)
            .where(
                TASKS.c.job_id == bindparam("w_job_id"),
                TASKS.c.instance_id == bindparam("w_instance_id"),
            )
            .values({name: bindparam(f"v_{name}", type_=TASKS.c[name].type) for name in columns})
        )
    return found


class RowWrites(StoreBase):
    """Reads and writes on a connection the caller holds (the row lock of ``_check_job`` lasts
    until the caller's transaction ends)."""

    def _get_job(self, conn: Connection, job_id: str) -> Job:
        row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).first()
        if row is None:
            raise NotFound("job", job_id)
        tasks = conn.execute(
            select(TASKS)
            .where(TASKS.c.job_id == job_id)
            .order_by(TASKS.c.sort_order, TASKS.c.instance_name, TASKS.c.instance_id)
        ).mappings()
        return job_from_row(row._mapping, tuple(task_from_row(t) for t in tasks))

    def _check_job(
        self,
        conn: Connection,
        job_id: JobId,
        *,
        owner: str | None,
        expected_status: JobStatus | None = None,
    ) -> Actor:
        """Fence a write (the job's row stays locked for the rest of the transaction) and
        return the job's actor: the engine's events happen on its behalf."""
        row = conn.execute(
            select(
                JOBS.c.lease_owner,
                JOBS.c.status,
                JOBS.c.created_by,
                JOBS.c.actor_role,
                JOBS.c.actor_origin,
            )
            .where(JOBS.c.id == job_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound("job", job_id)
        if owner is not None and row.lease_owner != owner:
            raise LeaseLost(job_id)
        if expected_status is not None and row.status != expected_status.value:
            raise Conflict(f"job {job_id} is {row.status}, not {expected_status.value}")
        return actor_from(row.created_by, row.actor_role, row.actor_origin)

    def _update_job(self, conn: Connection, job_id: JobId, change: JobChange) -> None:
        values: dict[str, Any] = {}
        if change.status is not None:
            values["status"] = change.status.value
        if change.phase is not None:
            values["phase"] = change.phase.value
        for name in ("message", "started_at", "finished_at", "waiting_since"):
            value = getattr(change, name)
            if value is not None:
                values[name] = value
        if change.options is not None:
            values["options"] = change.options.to_dict()
        if change.status is not None and not change.status.is_active:
            # A finished job holds no lease: released with the status, never seen apart.
            values["lease_owner"] = None
            values["lease_expires"] = None
        if values:
            conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(values))

    def _put_tasks(self, conn: Connection, job_id: JobId, tasks: Sequence[Task]) -> None:
        for task in tasks:
            if task.job_id != job_id:
                raise ValueError(
                    f"task {task.instance_id} belongs to job {task.job_id}, not {job_id}"
                )
        conn.execute(
            self._insert(TASKS).on_conflict_do_nothing(
                index_elements=[TASKS.c.job_id, TASKS.c.instance_id]
            ),
            [task_values(task) for task in tasks],
        )

    def _save_task(self, conn: Connection, job_id: JobId, task: Task) -> None:
        values = task_values(task)
        del values["job_id"], values["instance_id"]
        params = {f"v_{name}": value for name, value in values.items()}
        result = conn.execute(
            _task_update(tuple(values)),
            {"w_job_id": job_id, "w_instance_id": task.instance_id, **params},
        )
        if result.rowcount != 1:
            raise NotFound("task", f"{job_id}/{task.instance_id}")

    def _append(
        self,
        conn: Connection,
        job_id: str,
        events: Sequence[NewEvent],
        *,
        at: float,
        actor: Actor | None,
    ) -> None:
        """Number the events after the job's last one: the job row's counter is bumped in the
        same transaction (and locks the row on PostgreSQL), so numbers never repeat or skip."""
        last = conn.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id)
            .values(event_seq=JOBS.c.event_seq + len(events))
            .returning(JOBS.c.event_seq)
        ).scalar_one_or_none()
        if last is None:
            raise NotFound("job", job_id)
        first = last - len(events) + 1
        conn.execute(
            insert(EVENTS),
            [
                {
                    "job_id": job_id,
                    "job_seq": first + i,
                    "at": at,
                    "kind": e.kind.value,
                    "message": e.message,
                    "instance_id": e.instance_id,
                    "data": e.payload.to_dict(),
                    "actor_name": actor.name if actor else "",
                    "actor_role": actor.role.value if actor else "",
                    "actor_origin": actor.origin if actor else "",
                }
                for i, e in enumerate(events)
            ],
        )

    def _get_maintenance(self, conn: Connection, host: str) -> HostMaintenance:
        row = conn.execute(select(MAINTENANCE).where(MAINTENANCE.c.host == host)).first()
        if row is None:
            return HostMaintenance(host=HostName(host), state=MaintenanceState.OPERATIONAL)
        return maintenance_from_row(row._mapping)

    def _set_state(
        self, conn: Connection, change: StateChange, *, at: float, job_id: str | None
    ) -> None:
        """Compare and set inside the caller's transaction; ``Conflict`` (which rolls the whole
        unit back) if the host is no longer in the expected state."""
        values: dict[str, Any] = {
            "state": change.state.value,
            "reason": change.reason,
            "updated_at": at,
            "job_id": job_id,
        }
        result = conn.execute(
            update(MAINTENANCE)
            .where(
                MAINTENANCE.c.host == change.host,
                MAINTENANCE.c.state == change.expected.value,
            )
            .values(values)
        )
        if result.rowcount == 1:
            return
        if change.expected is MaintenanceState.OPERATIONAL:
            # No row means operational: claim the host by being the one to insert it.
            # (RETURNING, not rowcount: drivers disagree on rowcount after an INSERT.)
            inserted = conn.execute(
                self._insert(MAINTENANCE)
                .values(host=change.host, **values)
                .on_conflict_do_nothing(index_elements=[MAINTENANCE.c.host])
                .returning(MAINTENANCE.c.host)
            ).first()
            if inserted is not None:
                return
        current = self._get_maintenance(conn, change.host).state
        raise Conflict(
            f"host {change.host!r} is {current.value!r}, not {change.expected.value!r} as expected"
        )


def busy(job: Job) -> str:
    """What a second command on a busy host is told: which job, and what to do."""
    return (
        f"host {job.host!r} already has active job {job.id} ({job.kind.value}, "
        f"{job.status.value}); follow it with `vacate job watch {job.id}` "
        f"or cancel it with `vacate job cancel {job.id}`"
    )
