"""Bring a database to the schema this code expects, with Alembic, on every ``open_store``.

A fresh database gets the whole schema, an older one the missing revisions, one at head
nothing: the check runs in a read-only transaction first, so CLI readers opening a busy SQLite
file never queue behind the worker for a write lock. When there is work, it runs inside one
write transaction that also serialises concurrent migrators (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-level advisory lock), and DDL is transactional on both backends.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from vacate.store.connect import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

#: The Alembic environment shipped inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit number).
_PG_MIGRATION_LOCK = 0x76616361_7465  # "vacate"


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini) for the package's migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


_REVISION = re.compile(r'^revision: str = "([^"]+)"', re.MULTILINE)
_DOWN = re.compile(r'^down_revision: [^=]+= (?:"([^"]+)"|None)', re.MULTILINE)


@functools.cache
def _revision_files() -> dict[str, str | None]:
    """Each shipped revision and the one it revises, read from the files themselves: the check
    that a database is at head runs on every command, and importing Alembic for it costs more
    than most commands (Alembic is imported only when there is a migration to run)."""
    found: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("[0-9]*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            raise RuntimeError(f"{path} is not a revision this code understands")
        found[revision.group(1)] = down.group(1)
    return found


@functools.cache
def head_revision() -> str:
    """The revision this code's schema corresponds to: the one no other revision revises."""
    revisions = _revision_files()
    heads = set(revisions) - {down for down in revisions.values() if down is not None}
    if len(heads) != 1:
        raise RuntimeError(f"expected one Alembic head in {MIGRATIONS_DIR}, found {sorted(heads)}")
    return heads.pop()


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision this code can upgrade from."""
    return frozenset(_revision_files())


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database Vacate never touched."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def upgrade(engine: Engine) -> None:
    """Upgrade the database behind ``engine`` to the head revision (no-op when already there)."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return
    from alembic import command

    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), "head")
