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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry

from vacate.domain.errors import Conflict, LeaseLost, NotFound
from vacate.domain.jobs import (
    EscalationStep,
    Event,
    Job,
    JobKind,
    JobOptions,
    JobPhase,
    JobStatus,
    Method,
    Outcome,
    Task,
    TaskStatus,
    Verdict,
)
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, JobId, MigrationId
from vacate.ports.store import HostMaintenance
from vacate.store.tables import EventRow, HostMaintenanceRow, JobRow, TaskRow

#: Execution option marking a connection whose transactions will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "vacate_write"

#: How long a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

T = TypeVar("T")

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
        path.parent.mkdir(parents=True, exist_ok=True)
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

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"

    # -- transactions --

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

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
        created_by: str = "",
    ) -> Job:
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
            "created_by": created_by,
            "cancel_requested": False,
            "lease_owner": None,
            "lease_expires": None,
        }
        for _ in range(_MAX_RACE_RETRIES):
            job_id = new_job_id()
            try:
                with self._write() as conn:
                    conn.execute(insert(_jobs).values(id=job_id, **values))
            except IntegrityError:
                # Most likely the partial unique index: name the job that holds the host. If
                # it finished in the meantime (or the random id collided), just try again.
                active = self._active_job(host)
                if active is not None:
                    raise Conflict(
                        f"host {host!r} already has active job {active[0]} ({active[1]})"
                    ) from None
                continue
            return Job(
                id=job_id,
                kind=kind,
                host=host,
                status=JobStatus.QUEUED,
                options=options,
                phase=JobPhase.PREFLIGHT,
                created_at=created_at,
                created_by=created_by,
            )
        raise Conflict(f"could not create a job for host {host!r}: it kept changing, retry")

    def _active_job(self, host: str) -> tuple[str, str] | None:
        with self._read() as conn:
            row = conn.execute(
                select(_jobs.c.id, _jobs.c.status)
                .where(_jobs.c.host == host, _jobs.c.status.in_(_ACTIVE))
                .limit(1)
            ).first()
        return None if row is None else (row.id, row.status)

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
        return _job_from_row(row._mapping, tuple(_task_from_row(t) for t in tasks))

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
                    tasks_by_job[task_row["job_id"]].append(_task_from_row(task_row))
        return [_job_from_row(row, tuple(tasks_by_job[row["id"]])) for row in rows]

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
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = status.value
        if phase is not None:
            values["phase"] = phase.value
        if message is not None:
            values["message"] = message
        if started_at is not None:
            values["started_at"] = started_at
        if finished_at is not None:
            values["finished_at"] = finished_at
        if not values:
            return self.get_job(job_id)
        try:
            with self._write() as conn:
                self._check_job(conn, job_id, owner=owner, expected_status=expected_status)
                result = conn.execute(update(_jobs).where(_jobs.c.id == job_id).values(values))
                if result.rowcount != 1:
                    raise NotFound("job", job_id)
                return self._get_job(conn, job_id)
        except IntegrityError:
            # Re-activating a finished job while the host has another active one.
            active = self._active_job(self.get_job(job_id).host)
            holder = f" by job {active[0]} ({active[1]})" if active else ""
            raise Conflict(f"job {job_id} cannot become {status}: host is taken{holder}") from None

    def request_cancel(self, job_id: JobId) -> Job:
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
                            cancel_requested=True,
                            message="cancelled before it started",
                        )
                    )
                elif current is JobStatus.RUNNING:
                    result = conn.execute(
                        update(_jobs)
                        .where(_jobs.c.id == job_id, _jobs.c.status == JobStatus.RUNNING.value)
                        .values(cancel_requested=True)
                    )
                else:
                    raise Conflict(f"job {job_id} is already {current.value}: nothing to cancel")
                if result.rowcount == 1:
                    return self._get_job(conn, job_id)
            # The status changed between our read and our write (PostgreSQL): look again.
        raise Conflict(f"job {job_id} kept changing status; retry the cancel")

    # -- leases --

    def claim_next(self, owner: str, *, ttl_s: float, now: float) -> Job | None:
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
                    select(_jobs.c.id)
                    .where(claimable)
                    .order_by(_jobs.c.created_at, _jobs.c.pk)
                    .limit(1)
                )
                if self._dialect == "postgresql":
                    candidate = candidate.with_for_update(skip_locked=True)
                job_id = conn.execute(candidate).scalar_one_or_none()
                if job_id is None:
                    return None
                result = conn.execute(
                    update(_jobs)
                    .where(_jobs.c.id == job_id, claimable)
                    .values(lease_owner=owner, lease_expires=now + ttl_s)
                )
                if result.rowcount == 1:
                    return self._get_job(conn, job_id)
            # Another worker took it between our SELECT and UPDATE: try the next one.
        return None

    def acquire_lease(self, job_id: JobId, owner: str, *, ttl_s: float, now: float) -> bool:
        with self._write() as conn:
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
            return result.rowcount == 1

    def release_lease(self, job_id: JobId, owner: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(_jobs)
                .where(_jobs.c.id == job_id, _jobs.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires=None)
            )

    # -- tasks --

    def put_tasks(self, job_id: JobId, tasks: Sequence[Task]) -> None:
        for task in tasks:
            if task.job_id != job_id:
                raise ValueError(
                    f"task {task.instance_id} belongs to job {task.job_id}, not {job_id}"
                )
        with self._write() as conn:
            exists = conn.execute(select(_jobs.c.pk).where(_jobs.c.id == job_id)).first()
            if exists is None:
                raise NotFound("job", job_id)
            if tasks:
                conn.execute(
                    self._insert(_tasks).on_conflict_do_nothing(
                        index_elements=[_tasks.c.job_id, _tasks.c.instance_id]
                    ),
                    [_task_values(task) for task in tasks],
                )

    def _check_job(
        self,
        conn: Connection,
        job_id: JobId,
        *,
        owner: str | None,
        expected_status: JobStatus | None = None,
    ) -> None:
        """Fence a write: the job's row is locked for the rest of the transaction."""
        if owner is None and expected_status is None:
            return
        row = conn.execute(
            select(_jobs.c.lease_owner, _jobs.c.status)
            .where(_jobs.c.id == job_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound("job", job_id)
        if owner is not None and row.lease_owner != owner:
            raise LeaseLost(job_id)
        if expected_status is not None and row.status != expected_status.value:
            raise Conflict(f"job {job_id} is {row.status}, not {expected_status.value}")

    def save_task(self, task: Task, *, owner: str | None = None) -> None:
        values = _task_values(task)
        del values["job_id"], values["instance_id"]
        with self._write() as conn:
            self._check_job(conn, task.job_id, owner=owner)
            result = conn.execute(
                update(_tasks)
                .where(_tasks.c.job_id == task.job_id, _tasks.c.instance_id == task.instance_id)
                .values(values)
            )
            if result.rowcount != 1:
                raise NotFound("task", f"{task.job_id}/{task.instance_id}")

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
    ) -> Event:
        payload = dict(data or {})
        try:
            with self._write() as conn:
                seq = conn.execute(
                    insert(_events)
                    .values(
                        job_id=job_id,
                        at=at,
                        kind=kind,
                        message=message,
                        instance_id=instance_id,
                        data=payload,
                    )
                    .returning(_events.c.seq)
                ).scalar_one()
        except IntegrityError:
            raise NotFound("job", job_id) from None
        return Event(
            job_id=job_id,
            at=at,
            kind=kind,
            message=message,
            instance_id=instance_id,
            seq=seq,
            data=payload,
        )

    def list_events(self, job_id: JobId, *, after_seq: int = 0) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                select(_events)
                .where(_events.c.job_id == job_id, _events.c.seq > after_seq)
                .order_by(_events.c.seq)
            ).mappings()
            return [
                Event(
                    job_id=JobId(row["job_id"]),
                    at=row["at"],
                    kind=row["kind"],
                    message=row["message"],
                    instance_id=_opt(InstanceId, row["instance_id"]),
                    seq=row["seq"],
                    data=dict(row["data"] or {}),
                )
                for row in rows
            ]

    # -- maintenance states --

    def get_maintenance(self, host: HostName) -> HostMaintenance:
        with self._read() as conn:
            return self._get_maintenance(conn, host)

    def _get_maintenance(self, conn: Connection, host: str) -> HostMaintenance:
        row = conn.execute(select(_maintenance).where(_maintenance.c.host == host)).first()
        if row is None:
            return HostMaintenance(host=HostName(host), state=MaintenanceState.OPERATIONAL)
        return _maintenance_from_row(row._mapping)

    def list_maintenance(self) -> list[HostMaintenance]:
        with self._read() as conn:
            rows = conn.execute(select(_maintenance).order_by(_maintenance.c.host)).mappings()
            return [_maintenance_from_row(row) for row in rows]

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
        record = HostMaintenance(
            host=host, state=state, reason=reason, updated_at=at, job_id=job_id
        )
        values: dict[str, Any] = {
            "state": state.value,
            "reason": reason,
            "updated_at": at,
            "job_id": job_id,
        }
        if expected is None:
            upsert = self._insert(_maintenance).values(host=host, **values)
            with self._write() as conn:
                conn.execute(
                    upsert.on_conflict_do_update(index_elements=[_maintenance.c.host], set_=values)
                )
            return record
        for _ in range(_MAX_RACE_RETRIES):
            with self._write() as conn:
                result = conn.execute(
                    update(_maintenance)
                    .where(_maintenance.c.host == host, _maintenance.c.state == expected.value)
                    .values(values)
                )
                if result.rowcount == 1:
                    return record
                if expected is MaintenanceState.OPERATIONAL:
                    # No row means operational: claim the host by being the one to insert it.
                    # (RETURNING, not rowcount: drivers disagree on rowcount after an INSERT.)
                    inserted = conn.execute(
                        self._insert(_maintenance)
                        .values(host=host, **values)
                        .on_conflict_do_nothing(index_elements=[_maintenance.c.host])
                        .returning(_maintenance.c.host)
                    ).first()
                    if inserted is not None:
                        return record
                current = self._get_maintenance(conn, host).state
            if current is not expected:
                raise Conflict(
                    f"host {host!r} is {current.value!r}, not {expected.value!r} as expected"
                )
            # It changed back to the expected state between our statements: try again.
        raise Conflict(f"host {host!r} kept changing maintenance state; retry")


# -- row <-> domain --


def _opt(wrap: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else wrap(value)


def _job_from_row(row: Any, tasks: tuple[Task, ...]) -> Job:
    return Job(
        id=JobId(row["id"]),
        kind=JobKind(row["kind"]),
        host=HostName(row["host"]),
        status=JobStatus(row["status"]),
        options=JobOptions.from_dict(dict(row["options"] or {})),
        phase=JobPhase(row["phase"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        message=row["message"],
        created_by=row["created_by"],
        cancel_requested=bool(row["cancel_requested"]),
        tasks=tasks,
    )


def _task_values(task: Task) -> dict[str, Any]:
    return {
        "job_id": task.job_id,
        "instance_id": task.instance_id,
        "instance_name": task.instance_name,
        "state_before": task.state_before,
        "verdict": task.verdict.value,
        "source": task.source,
        "sort_order": task.order,
        "planned_destination": task.planned_destination,
        "status": task.status.value,
        "method": task.method.value if task.method is not None else None,
        "destination": task.destination,
        "migration_id": task.migration_id,
        "attempt": task.attempt,
        "started_at": task.started_at,
        "ended_at": task.ended_at,
        "downtime_s": task.downtime_s,
        "bytes_sent": task.bytes_sent,
        "progress": task.progress,
        "escalations": [
            {"action": step.action, "at": step.at, "detail": step.detail}
            for step in task.escalations
        ],
        "outcome": task.outcome.value if task.outcome is not None else None,
        "reason": task.reason,
    }


def _task_from_row(row: Any) -> Task:
    return Task(
        job_id=JobId(row["job_id"]),
        instance_id=InstanceId(row["instance_id"]),
        instance_name=row["instance_name"],
        state_before=row["state_before"],
        verdict=Verdict(row["verdict"]),
        source=HostName(row["source"]),
        order=row["sort_order"],
        planned_destination=_opt(HostName, row["planned_destination"]),
        status=TaskStatus(row["status"]),
        method=_opt(Method, row["method"]),
        destination=_opt(HostName, row["destination"]),
        migration_id=_opt(MigrationId, row["migration_id"]),
        attempt=row["attempt"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        downtime_s=row["downtime_s"],
        bytes_sent=row["bytes_sent"],
        progress=row["progress"],
        escalations=tuple(
            EscalationStep(
                action=str(step["action"]), at=float(step["at"]), detail=str(step.get("detail", ""))
            )
            for step in (row["escalations"] or [])
        ),
        outcome=_opt(Outcome, row["outcome"]),
        reason=row["reason"],
    )


def _maintenance_from_row(row: Any) -> HostMaintenance:
    return HostMaintenance(
        host=HostName(row["host"]),
        state=MaintenanceState(row["state"]),
        reason=row["reason"],
        updated_at=row["updated_at"],
        job_id=_opt(JobId, row["job_id"]),
    )
