"""The Store port on SQLAlchemy: one schema for embedded SQLite and for PostgreSQL.

Every method is one short transaction, because a worker and several CLI readers share one
SQLite file. The invariants that matter under concurrency are enforced by the database, not by
read-then-write in Python: one active job per host is a partial unique index, leases and
maintenance compare-and-set are conditional UPDATEs whose row count says who won.

On SQLite, transactions that write start with ``BEGIN IMMEDIATE`` so a writer takes the lock
up front and waits for the busy timeout instead of failing half-way through when another
process wrote first; read-only transactions use a plain ``BEGIN`` and never block the writer
(WAL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    event,
    insert,
    make_url,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from vacate.domain.actors import SYSTEM, Actor, Role
from vacate.domain.changes import Changes, JobChange, StateChange
from vacate.domain.errors import Conflict, LeaseLost, NotFound, SetupError
from vacate.domain.events import (
    PAYLOADS,
    Event,
    EventKind,
    JobEnded,
    NewEvent,
    Payload,
    TakenOver,
)
from vacate.domain.jobs import Job, JobKind, JobOptions, JobPhase, JobStatus, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, JobId
from vacate.ports.store import HostMaintenance
from vacate.store.rows import (
    actor_from,
    event_from_row,
    job_from_row,
    maintenance_from_row,
    task_from_row,
    task_values,
)
from vacate.store.tables import EventRow, HostMaintenanceRow, JobRow, TaskRow

#: Execution option marking a connection whose transactions will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "vacate_write"

#: How long a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)

# Retries for loops that lost a race (claim_next, create_job, set_maintenance); each retry
# means another writer made progress, so a small bound is plenty.
_MAX_RACE_RETRIES = 20

_jobs: Table = JobRow.__table__  # type: ignore[assignment]
_tasks: Table = TaskRow.__table__  # type: ignore[assignment]
_events: Table = EventRow.__table__  # type: ignore[assignment]
_maintenance: Table = HostMaintenanceRow.__table__  # type: ignore[assignment]


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; a bare ``postgresql://`` means psycopg 3, the driver Vacate ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL) -> Engine:
    """An engine for ``url`` with the session settings the store relies on.

    SQLite: WAL (readers never block the writer), a busy timeout (writers queue instead of
    failing), foreign keys on, and explicit BEGIN/BEGIN IMMEDIATE (see the module docstring).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        parsed = parsed.set(database=str(path))
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction control would not).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    writes = bool(conn.get_execution_options().get(WRITE_OPTION, False))
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def new_job_id() -> JobId:
    return JobId(uuid.uuid4().hex[:12])


class SqlStore:
    """The Store Protocol on a SQLAlchemy engine (SQLite or PostgreSQL).

    The schema must already be at the Alembic head: use ``vacate.store.open_store``, which
    migrates, rather than constructing this directly.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._dialect = engine.dialect.name

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Close every pooled connection (the store can be used again; it reconnects)."""
        self._engine.dispose()

    def connections(self) -> int:
        """Database connections this store holds open now (pooled or in use)."""
        pool = self._engine.pool
        count = getattr(pool, "checkedin", None), getattr(pool, "checkedout", None)
        return sum(int(f()) for f in count if callable(f))

    def __repr__(self) -> str:
        return f"SqlStore({self._where()!r})"

    def _where(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    # -- transactions --

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._translated(), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._translated(), self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """The database going away, or a file turning unreadable, is an environment problem:
        one line naming the database, not a traceback."""
        try:
            yield
        except IntegrityError:
            raise
        except (OperationalError, DBAPIError) as exc:
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()
            raise SetupError(
                f"database {self._where()}: {detail[0] if detail else type(exc).__name__}"
            ) from None

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that supports ``on_conflict_do_*`` on this backend."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        if self._dialect == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"unsupported database backend {self._dialect!r}")

    # -- jobs --

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
        for _ in range(_MAX_RACE_RETRIES):
            job_id = new_job_id()
            try:
                with self._write() as conn:
                    conn.execute(insert(_jobs).values(id=job_id, **values))
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
                    raise Conflict(_busy(active)) from None
                continue
        raise Conflict(f"could not create a job for host {host!r}: it kept changing, retry")

    def active_job(self, host: str) -> Job | None:
        with self._read() as conn:
            job_id = conn.execute(
                select(_jobs.c.id).where(_jobs.c.host == host, _jobs.c.status.in_(_ACTIVE)).limit(1)
            ).scalar_one_or_none()
            return None if job_id is None else self._get_job(conn, job_id)

    def get_job(self, job_id: JobId) -> Job:
        with self._read() as conn:
            return self._get_job(conn, job_id)

    def _get_job(self, conn: Connection, job_id: str) -> Job:
        row = conn.execute(select(_jobs).where(_jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound("job", job_id)
        tasks = conn.execute(
            select(_tasks)
            .where(_tasks.c.job_id == job_id)
            .order_by(_tasks.c.sort_order, _tasks.c.instance_name, _tasks.c.instance_id)
        ).mappings()
        return job_from_row(row._mapping, tuple(task_from_row(t) for t in tasks))

    def list_jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 100
    ) -> list[Job]:
        query = select(_jobs).order_by(_jobs.c.created_at.desc(), _jobs.c.pk.desc())
        if host is not None:
            query = query.where(_jobs.c.host == host)
        if status is not None:
            query = query.where(_jobs.c.status == status.value)
        query = query.limit(max(0, limit))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
            tasks_by_job: dict[str, list[Task]] = {row["id"]: [] for row in rows}
            if tasks_by_job:
                task_rows = conn.execute(
                    select(_tasks)
                    .where(_tasks.c.job_id.in_(list(tasks_by_job)))
                    .order_by(_tasks.c.sort_order, _tasks.c.instance_name, _tasks.c.instance_id)
                ).mappings()
                for task_row in task_rows:
                    tasks_by_job[task_row["job_id"]].append(task_from_row(task_row))
        return [job_from_row(row, tuple(tasks_by_job[row["id"]])) for row in rows]

    # -- the unit of work --

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
            holder = f": {_busy(active)}" if active else ""
            raise Conflict(f"job {job_id} cannot change so{holder}") from None

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
                _jobs.c.lease_owner,
                _jobs.c.status,
                _jobs.c.created_by,
                _jobs.c.actor_role,
                _jobs.c.actor_origin,
            )
            .where(_jobs.c.id == job_id)
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
            conn.execute(update(_jobs).where(_jobs.c.id == job_id).values(values))

    def _put_tasks(self, conn: Connection, job_id: JobId, tasks: Sequence[Task]) -> None:
        for task in tasks:
            if task.job_id != job_id:
                raise ValueError(
                    f"task {task.instance_id} belongs to job {task.job_id}, not {job_id}"
                )
        conn.execute(
            self._insert(_tasks).on_conflict_do_nothing(
                index_elements=[_tasks.c.job_id, _tasks.c.instance_id]
            ),
            [task_values(task) for task in tasks],
        )

    def _save_task(self, conn: Connection, job_id: JobId, task: Task) -> None:
        values = task_values(task)
        del values["job_id"], values["instance_id"]
        result = conn.execute(
            update(_tasks)
            .where(_tasks.c.job_id == job_id, _tasks.c.instance_id == task.instance_id)
            .values(values)
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
            update(_jobs)
            .where(_jobs.c.id == job_id)
            .values(event_seq=_jobs.c.event_seq + len(events))
            .returning(_jobs.c.event_seq)
        ).scalar_one_or_none()
        if last is None:
            raise NotFound("job", job_id)
        first = last - len(events) + 1
        conn.execute(
            insert(_events),
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

    def request_cancel(self, job_id: JobId, *, at: float = 0.0, actor: Actor = SYSTEM) -> Job:
        requested = NewEvent(
            kind=EventKind.JOB_CANCEL_REQUESTED, message=f"cancel requested by {actor.name}"
        )
        for _ in range(_MAX_RACE_RETRIES):
            with self._write() as conn:
                row = conn.execute(
                    select(_jobs.c.status).where(_jobs.c.id == job_id)
                ).scalar_one_or_none()
                if row is None:
                    raise NotFound("job", job_id)
                current = JobStatus(row)
                if current is JobStatus.QUEUED:
                    result = conn.execute(
                        update(_jobs)
                        .where(_jobs.c.id == job_id, _jobs.c.status == JobStatus.QUEUED.value)
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
                        update(_jobs)
                        .where(_jobs.c.id == job_id, _jobs.c.status == JobStatus.RUNNING.value)
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

    # -- leases --

    def claim_next(self, owner: str, *, ttl_s: float, now: float, at: float = 0.0) -> Job | None:
        """Take the lease of the oldest claimable job: queued or running, with no live lease.

        A job whose lease is live is skipped even if ``owner`` holds it: a worker asks for a
        *new* job here and renews the ones it runs with ``acquire_lease``.
        """
        claimable = and_(
            _jobs.c.status.in_(_ACTIVE),
            or_(
                _jobs.c.lease_owner.is_(None),
                _jobs.c.lease_expires.is_(None),
                _jobs.c.lease_expires < now,
            ),
        )
        for _ in range(_MAX_RACE_RETRIES):
            with self._write() as conn:
                candidate = (
                    select(_jobs.c.id, _jobs.c.lease_owner, _jobs.c.status)
                    .where(claimable)
                    .order_by(_jobs.c.created_at, _jobs.c.pk)
                    .limit(1)
                )
                if self._dialect == "postgresql":
                    candidate = candidate.with_for_update(skip_locked=True)
                found = conn.execute(candidate).first()
                if found is None:
                    return None
                result = conn.execute(
                    update(_jobs)
                    .where(_jobs.c.id == found.id, claimable)
                    .values(lease_owner=owner, lease_expires=now + ttl_s)
                )
                if result.rowcount == 1:
                    self._note_take_over(conn, found.id, found.lease_owner, found.status, owner, at)
                    return self._get_job(conn, found.id)
            # Another worker took it between our SELECT and UPDATE: try the next one.
        return None

    def acquire_lease(
        self, job_id: JobId, owner: str, *, ttl_s: float, now: float, at: float = 0.0
    ) -> bool:
        with self._write() as conn:
            before = conn.execute(
                select(_jobs.c.lease_owner, _jobs.c.status).where(_jobs.c.id == job_id)
            ).first()
            result = conn.execute(
                update(_jobs)
                .where(
                    _jobs.c.id == job_id,
                    or_(
                        _jobs.c.lease_owner.is_(None),
                        _jobs.c.lease_owner == owner,
                        _jobs.c.lease_expires < now,
                    ),
                )
                .values(lease_owner=owner, lease_expires=now + ttl_s)
            )
            if result.rowcount == 1 and before is not None:
                self._note_take_over(conn, job_id, before.lease_owner, before.status, owner, at)
            return result.rowcount == 1

    def _note_take_over(
        self,
        conn: Connection,
        job_id: str,
        previous: str | None,
        status: str,
        owner: str,
        at: float,
    ) -> None:
        """A running job whose worker went silent changes hands: that is history too."""
        if previous is None or previous == owner or status != JobStatus.RUNNING.value:
            return
        event = NewEvent(
            kind=EventKind.JOB_TAKEN_OVER,
            message=f"worker {previous} went silent (its lease expired); {owner} took over",
            payload=TakenOver(previous_owner=previous, owner=owner),
        )
        self._append(
            conn, job_id, [event], at=at, actor=Actor(name=owner, role=Role.SYSTEM, origin="worker")
        )

    def release_lease(self, job_id: JobId, owner: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(_jobs)
                .where(_jobs.c.id == job_id, _jobs.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires=None)
            )

    # -- events --

    def list_events(self, job_id: JobId, *, after_seq: int = 0) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                select(_events)
                .where(_events.c.job_id == job_id, _events.c.job_seq > after_seq)
                .order_by(_events.c.job_seq)
            ).mappings()
            return [event_from_row(row) for row in rows]

    # -- maintenance states --

    def get_maintenance(self, host: HostName) -> HostMaintenance:
        with self._read() as conn:
            return self._get_maintenance(conn, host)

    def _get_maintenance(self, conn: Connection, host: str) -> HostMaintenance:
        row = conn.execute(select(_maintenance).where(_maintenance.c.host == host)).first()
        if row is None:
            return HostMaintenance(host=HostName(host), state=MaintenanceState.OPERATIONAL)
        return maintenance_from_row(row._mapping)

    def list_maintenance(self) -> list[HostMaintenance]:
        with self._read() as conn:
            rows = conn.execute(select(_maintenance).order_by(_maintenance.c.host)).mappings()
            return [maintenance_from_row(row) for row in rows]

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
            update(_maintenance)
            .where(
                _maintenance.c.host == change.host,
                _maintenance.c.state == change.expected.value,
            )
            .values(values)
        )
        if result.rowcount == 1:
            return
        if change.expected is MaintenanceState.OPERATIONAL:
            # No row means operational: claim the host by being the one to insert it.
            # (RETURNING, not rowcount: drivers disagree on rowcount after an INSERT.)
            inserted = conn.execute(
                self._insert(_maintenance)
                .values(host=change.host, **values)
                .on_conflict_do_nothing(index_elements=[_maintenance.c.host])
                .returning(_maintenance.c.host)
            ).first()
            if inserted is not None:
                return
        current = self._get_maintenance(conn, change.host).state
        raise Conflict(
            f"host {change.host!r} is {current.value!r}, not {change.expected.value!r} as expected"
        )

    # -- conveniences for tests and tools: each is one unit of work --

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
                    self._insert(_maintenance)
                    .values(host=host, job_id=job_id, **values)
                    .on_conflict_do_update(
                        index_elements=[_maintenance.c.host], set_={**values, "job_id": job_id}
                    )
                )
            else:
                change = StateChange(host=host, state=state, reason=reason, expected=expected)
                self._set_state(conn, change, at=at, job_id=job_id)
        return HostMaintenance(host=host, state=state, reason=reason, updated_at=at, job_id=job_id)


def _busy(job: Job) -> str:
    """What a second command on a busy host is told: which job, and what to do."""
    return (
        f"host {job.host!r} already has active job {job.id} ({job.kind.value}, "
        f"{job.status.value}); follow it with `vacate job watch {job.id}` "
        f"or cancel it with `vacate job cancel {job.id}`"
    )
