"""The AuthStore port on SQLAlchemy, on the engine of the job store (same database, same
transaction helpers): tokens, the audit log, idempotency keys and the counts of ``/metrics``.

Each method is one short transaction. A race between two requests is settled by the database:
a token name and an idempotency key are primary keys, so the second INSERT loses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from vacate.domain.actors import Role
from vacate.domain.errors import Conflict, NotFound, SetupError
from vacate.domain.jobs import JobStatus, TaskStatus
from vacate.ports.auth import (
    AuditEntry,
    AuditQuery,
    IdempotencyRecord,
    NewAuditEntry,
    StoredToken,
    WorkCounts,
)
from vacate.store.connect import WRITE_OPTION
from vacate.store.sql import SqlStore
from vacate.store.tables import ApiTokenRow, AuditRow, IdempotencyKeyRow, JobRow, TaskRow

_tokens: Table = ApiTokenRow.__table__  # type: ignore[assignment]
_audit: Table = AuditRow.__table__  # type: ignore[assignment]
_keys: Table = IdempotencyKeyRow.__table__  # type: ignore[assignment]
_jobs: Table = JobRow.__table__  # type: ignore[assignment]
_tasks: Table = TaskRow.__table__  # type: ignore[assignment]

_IN_FLIGHT = (TaskStatus.STARTING.value, TaskStatus.MIGRATING.value, TaskStatus.CONFIRMING.value)


def auth_store_for(store: object) -> SqlAuthStore:
    """The auth store beside a job store: one database, one connection pool."""
    if not isinstance(store, SqlStore):
        raise SetupError(f"the API needs the SQL store, not {type(store).__name__}")
    return SqlAuthStore(store)


def _token(row: Any) -> StoredToken:
    try:
        role = Role(row["role"])
    except ValueError:
        role = Role.READER  # an unknown role never grants more than reading
    return StoredToken(
        name=row["name"],
        key_id=row["key_id"],
        secret_hash=row["secret_hash"],
        role=role,
        created_at=row["created_at"],
        created_by=row["created_by"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        at=row["at"],
        actor=row["actor"],
        role=row["role"],
        origin=row["origin"],
        action=row["action"],
        outcome=row["outcome"],
        status=row["status"],
        host=row["host"],
        job_id=row["job_id"],
        detail=row["detail"],
    )


def _record(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        actor=row["actor"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        job_id=row["job_id"],
        created_at=row["created_at"],
    )


class SqlAuthStore:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._engine: Engine = store.engine
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._store._translated(), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._store._translated(), self._writer.begin() as conn:
            yield conn

    # -- tokens --

    def add_token(self, token: StoredToken) -> None:
        values = {
            "name": token.name,
            "key_id": token.key_id,
            "secret_hash": token.secret_hash,
            "role": token.role.value,
            "created_at": token.created_at,
            "created_by": token.created_by,
            "expires_at": token.expires_at,
            "revoked_at": token.revoked_at,
        }
        try:
            with self._write() as conn:
                conn.execute(insert(_tokens).values(values))
        except IntegrityError:
            raise Conflict(
                f"a token named {token.name!r} exists or existed: names are never reused, "
                "choose another"
            ) from None

    def token_by_key(self, key_id: str) -> StoredToken | None:
        with self._read() as conn:
            row = conn.execute(select(_tokens).where(_tokens.c.key_id == key_id)).mappings()
            found = row.first()
        return None if found is None else _token(found)

    def list_tokens(self) -> list[StoredToken]:
        with self._read() as conn:
            rows = conn.execute(select(_tokens).order_by(_tokens.c.created_at, _tokens.c.name))
            return [_token(r) for r in rows.mappings()]

    def revoke_token(self, name: str, *, at: float) -> StoredToken:
        with self._write() as conn:
            conn.execute(
                update(_tokens)
                .where(_tokens.c.name == name, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            row = conn.execute(select(_tokens).where(_tokens.c.name == name)).mappings().first()
        if row is None:
            raise NotFound("token", name)
        return _token(row)

    # -- audit log --

    def record(self, entry: NewAuditEntry) -> None:
        with self._write() as conn:
            conn.execute(
                insert(_audit).values(
                    at=entry.at,
                    actor=entry.actor[:64],
                    role=entry.role[:16],
                    origin=entry.origin[:255],
                    action=entry.action[:64],
                    host=None if entry.host is None else entry.host[:255],
                    job_id=None if entry.job_id is None else entry.job_id[:32],
                    outcome=entry.outcome[:16],
                    status=entry.status,
                    detail=entry.detail,
                )
            )

    def audit(self, query: AuditQuery) -> list[AuditEntry]:
        stmt = select(_audit).order_by(_audit.c.seq.desc()).limit(max(0, query.limit))
        for column, value in (
            (_audit.c.actor, query.actor),
            (_audit.c.action, query.action),
            (_audit.c.host, query.host),
            (_audit.c.job_id, query.job_id),
            (_audit.c.outcome, query.outcome),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.since is not None:
            stmt = stmt.where(_audit.c.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(_audit.c.at < query.until)
        if query.before is not None:
            stmt = stmt.where(_audit.c.seq < query.before)
        with self._read() as conn:
            return [_entry(r) for r in conn.execute(stmt).mappings()]

    # -- idempotency keys --

    def reserve_key(
        self, actor: str, key: str, *, fingerprint: str, at: float
    ) -> IdempotencyRecord | None:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(_keys).values(
                        actor=actor, key=key, fingerprint=fingerprint, job_id=None, created_at=at
                    )
                )
            return None
        except IntegrityError:
            held = self.get_key(actor, key)
            if held is None:  # released between our INSERT and our look: try once more
                return self.reserve_key(actor, key, fingerprint=fingerprint, at=at)
            return held

    def bind_key(self, actor: str, key: str, job_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(_keys)
                .where(_keys.c.actor == actor, _keys.c.key == key)
                .values(job_id=job_id)
            )

    def release_key(self, actor: str, key: str) -> None:
        with self._write() as conn:
            conn.execute(
                delete(_keys).where(
                    _keys.c.actor == actor, _keys.c.key == key, _keys.c.job_id.is_(None)
                )
            )

    def get_key(self, actor: str, key: str) -> IdempotencyRecord | None:
        with self._read() as conn:
            row = (
                conn.execute(select(_keys).where(_keys.c.actor == actor, _keys.c.key == key))
                .mappings()
                .first()
            )
        return None if row is None else _record(row)

    # -- operations --

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    def work_counts(self) -> WorkCounts:
        with self._read() as conn:
            jobs = conn.execute(
                select(_jobs.c.kind, _jobs.c.status, func.count()).group_by(
                    _jobs.c.kind, _jobs.c.status
                )
            ).all()
            tasks = conn.execute(
                select(_tasks.c.outcome, _tasks.c.method, func.count())
                .where(_tasks.c.outcome.is_not(None))
                .group_by(_tasks.c.outcome, _tasks.c.method)
            ).all()
            in_flight = conn.execute(
                select(func.count())
                .select_from(_tasks.join(_jobs, _jobs.c.id == _tasks.c.job_id))
                .where(_jobs.c.status == JobStatus.RUNNING.value, _tasks.c.status.in_(_IN_FLIGHT))
            ).scalar_one()
        return WorkCounts(
            jobs={(k, s): n for k, s, n in jobs},
            tasks={(o, m or "none"): n for o, m, n in tasks},
            in_flight=int(in_flight),
        )
