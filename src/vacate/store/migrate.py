"""Bring a database to the schema this code expects, with Alembic, on every ``open_store``.

A fresh database gets the whole schema, an older one the missing revisions, one at head
nothing: the check runs in a read-only transaction first, so CLI readers opening a busy SQLite
file never queue behind the worker for a write lock. When there is work, it runs inside one
write transaction that also serialises concurrent migrators (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-level advisory lock), and DDL is transactional on both backends.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from vacate.store.connect import WRITE_OPTION

#: The Alembic environment shipped inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit number).
_PG_MIGRATION_LOCK = 0x76616361_7465  # "vacate"


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini) for the package's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The revision this code's schema corresponds to (read once per process)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no Alembic revisions found in {MIGRATIONS_DIR}")
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision this code can upgrade from."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database Vacate never touched."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Upgrade the database behind ``engine`` to the head revision (no-op when already there)."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), "head")
