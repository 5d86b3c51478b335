"""Engines for the store: one place that knows how SQLite and PostgreSQL must be set up.

On SQLite, transactions that write start with ``BEGIN IMMEDIATE`` so a writer takes the lock
up front and waits for the busy timeout instead of failing half-way through when another
process wrote first; read-only transactions use a plain ``BEGIN`` and never block the writer
(WAL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

#: Execution option marking a connection whose transactions will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "vacate_write"

#: How long a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


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
