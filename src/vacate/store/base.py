"""The store's transactions: a short read or write on one engine, with the database going
away turned into one line naming it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from vacate.domain.errors import SetupError
from vacate.domain.jobs import JobStatus
from vacate.store.connect import WRITE_OPTION
from vacate.store.tables import EventRow, HostMaintenanceRow, JobRow, TaskRow

ACTIVE_STATUSES = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)

#: Retries for loops that lost a race (claim_next, create_job, set_maintenance); each retry
#: means another writer made progress, so a small bound is plenty.
MAX_RACE_RETRIES = 20

JOBS: Table = JobRow.__table__  # type: ignore[assignment]
TASKS: Table = TaskRow.__table__  # type: ignore[assignment]
EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
MAINTENANCE: Table = HostMaintenanceRow.__table__  # type: ignore[assignment]


class StoreBase:
    """An engine, its writer (SQLite: BEGIN IMMEDIATE) and the two kinds of transaction."""

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
