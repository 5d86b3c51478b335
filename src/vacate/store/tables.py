"""The relational schema of the store, as typed SQLAlchemy 2 declarative tables.

This is the model Alembic's autogenerate compares against: the hand-written revisions in
``migrations/versions`` must build exactly this (a test checks there is no difference). Enums
are stored as their string values and options, escalations and event data as JSON, so the
schema does not change when the domain adds a value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Deterministic constraint and index names, so migrations can refer to them on every backend.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Statuses that make a job active; at most one active job per host (partial unique index).
ACTIVE_STATUSES_SQL = "status IN ('queued', 'running')"

#: Name of the partial unique index that enforces one active job per host.
ONE_ACTIVE_JOB_INDEX = "uq_jobs_one_active_per_host"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class JobRow(Base):
    """A job. ``pk`` only orders jobs created in the same instant; ``id`` is the public id."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            ONE_ACTIVE_JOB_INDEX,
            "host",
            unique=True,
            sqlite_where=text(ACTIVE_STATUSES_SQL),
            postgresql_where=text(ACTIVE_STATUSES_SQL),
        ),
        Index("ix_jobs_status_created_at", "status", "created_at"),
        Index("ix_jobs_host_created_at", "host", "created_at"),
        {"sqlite_autoincrement": True},
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    host: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(16))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    cancel_requested: Mapped[bool] = mapped_column(Boolean)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires: Mapped[float | None] = mapped_column(Float)
    actor_role: Mapped[str] = mapped_column(String(16), server_default="admin")
    actor_origin: Mapped[str] = mapped_column(String(255), server_default="")
    found_state: Mapped[str] = mapped_column(String(16), server_default="operational")
    found_reason: Mapped[str] = mapped_column(Text, server_default="")
    waiting_since: Mapped[float | None] = mapped_column(Float)
    #: The last event number given out for this job: events are numbered 1, 2, 3 … per job.
    event_seq: Mapped[int] = mapped_column(Integer, server_default="0")


class TaskRow(Base):
    """One instance's part of a job; keyed by (job id, instance id)."""

    __tablename__ = "tasks"

    job_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    instance_name: Mapped[str] = mapped_column(String(255))
    state_before: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(255))
    sort_order: Mapped[int] = mapped_column(Integer)
    planned_destination: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str | None] = mapped_column(String(16))
    destination: Mapped[str | None] = mapped_column(String(255))
    migration_id: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    downtime_s: Mapped[float | None] = mapped_column(Float)
    bytes_sent: Mapped[float] = mapped_column(Float)
    progress: Mapped[float] = mapped_column(Float)
    escalations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    not_before: Mapped[float | None] = mapped_column(Float)
    power_before: Mapped[str] = mapped_column(String(16), server_default="")
    prediction: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class EventRow(Base):
    """The progress stream. ``seq`` is global (the order across jobs, for the audit log);
    ``job_seq`` numbers one job's events 1, 2, 3 … (the event stream's ids)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_job_id_seq", "job_id", "seq"),
        Index("uq_events_job_id_job_seq", "job_id", "job_seq", unique=True),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(32), ForeignKey("jobs.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    job_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    actor_name: Mapped[str] = mapped_column(String(255), server_default="")
    actor_role: Mapped[str] = mapped_column(String(16), server_default="")
    actor_origin: Mapped[str] = mapped_column(String(255), server_default="")


class HostMaintenanceRow(Base):
    """Vacate's own record of a host's maintenance state; no row means ``operational``."""

    __tablename__ = "host_maintenance"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)
    # No foreign key: the record of a host outlives any pruning of old jobs.
    job_id: Mapped[str | None] = mapped_column(String(32))


class ApiTokenRow(Base):
    """An API token: only the hash of its secret is kept. Names are never reused, so the audit
    log keeps meaning one token per name."""

    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The public half of the token, used to find the row; the secret is compared by hash.
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[float | None] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)


class AuditRow(Base):
    """Who did what, to which host or job, from where, and how it ended (wall time)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_seq", "actor", "seq"),
        Index("ix_audit_log_host_seq", "host", "seq"),
        Index("ix_audit_log_job_id_seq", "job_id", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)


class IdempotencyKeyRow(Base):
    """A client's ``Idempotency-Key`` and the job it started: the same key again answers with
    the same job. ``job_id`` is empty while the first request is still queueing it."""

    __tablename__ = "idempotency_keys"

    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float)
