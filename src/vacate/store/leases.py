"""Leases: who runs a job. Each claim or renewal is one conditional UPDATE whose row count
says who won; a running job changing hands is recorded as an event in the same transaction."""

from __future__ import annotations

from sqlalchemy import Connection, and_, or_, select, update

from vacate.domain.actors import Actor, Role
from vacate.domain.events import EventKind, NewEvent, TakenOver
from vacate.domain.jobs import Job, JobStatus
from vacate.domain.model import JobId
from vacate.store.base import ACTIVE_STATUSES, JOBS, MAX_RACE_RETRIES
from vacate.store.writes import RowWrites


class LeaseStore(RowWrites):
    """Claiming, renewing and releasing a job's lease."""

    def claim_next(self, owner: str, *, ttl_s: float, now: float, at: float = 0.0) -> Job | None:
        """Take the lease of the oldest claimable job: queued or running, with no live lease.

        A job whose lease is live is skipped even if ``owner`` holds it: a worker asks for a
        *new* job here and renews the ones it runs with ``acquire_lease``.
        """
        claimable = and_(
            JOBS.c.status.in_(ACTIVE_STATUSES),
            or_(
                JOBS.c.lease_owner.is_(None),
                JOBS.c.lease_expires.is_(None),
                JOBS.c.lease_expires < now,
            ),
        )
        for _ in range(MAX_RACE_RETRIES):
            with self._write() as conn:
                candidate = (
                    select(JOBS.c.id, JOBS.c.lease_owner, JOBS.c.status)
                    .where(claimable)
                    .order_by(JOBS.c.created_at, JOBS.c.pk)
                    .limit(1)
                )
                if self._dialect == "postgresql":
                    candidate = candidate.with_for_update(skip_locked=True)
                found = conn.execute(candidate).first()
                if found is None:
                    return None
                result = conn.execute(
                    update(JOBS)
                    .where(JOBS.c.id == found.id, claimable)
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
                select(JOBS.c.lease_owner, JOBS.c.status).where(JOBS.c.id == job_id)
            ).first()
            result = conn.execute(
                update(JOBS)
                .where(
                    JOBS.c.id == job_id,
                    or_(
                        JOBS.c.lease_owner.is_(None),
                        JOBS.c.lease_owner == owner,
                        JOBS.c.lease_expires < now,
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
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires=None)
            )
