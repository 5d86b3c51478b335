"""Durable storage for Vacate: the Store port on SQLite (embedded default) or PostgreSQL.

``open_store(url)`` is the one entry point: it builds the engine with the settings concurrent
use needs, checks what it finds, and migrates the schema to the current revision before handing
out the store. A database is created only where none exists; anything else it cannot use — a
damaged file, another program's tables, a newer schema, a server that does not answer, a SQLite
file in a directory that does not exist (a typo must not create directories wherever it points;
the default under ``VACATE_HOME`` is created by ``bootstrap``) — is a ``SetupError`` naming it,
and the file is left exactly as it was.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from vacate.domain.errors import SetupError
from vacate.store.migrate import head_revision, known_revisions, upgrade
from vacate.store.sql import SqlStore, make_engine, normalize_url

__all__ = ["SqlStore", "open_store"]

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_file(url: str) -> Path | None:
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


#: A file another process has just created is empty for a moment, until its first write.
_FRESH_FILE_WAIT_S = 3.0


def _fills_up(path: Path) -> bool:
    """Whether an empty file gets its header soon: then another Vacate is creating it."""
    deadline = time.monotonic() + _FRESH_FILE_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if path.stat().st_size > 0:
            return True
    return False


def _check_file(path: Path) -> None:
    """An existing file must be a SQLite database; an empty one is a truncated database, not a
    fresh one (replacing it would lose every host's state)."""
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise SetupError(f"database {path}: cannot read it ({exc.strerror})") from None
    if not head and not _fills_up(path):
        raise SetupError(
            f"database {path} is empty (0 bytes): it was truncated or is not Vacate's; "
            "restore it from a backup, or delete it to start with a fresh database"
        )
    if not head:
        _check_file(path)  # another process wrote it meanwhile: judge what it wrote
        return
    if head != _SQLITE_MAGIC:
        raise SetupError(
            f"database {path} is not a SQLite database (damaged?); restore it from a backup, "
            "or move it away to start with a fresh database"
        )


def _sqlite_schema(path: Path) -> tuple[set[str], str | None]:
    """Tables and revision of an existing SQLite file, read-only (opening it through the
    engine would switch it to WAL and so change the file before it was judged)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SetupError(f"database {path}: {exc}") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    except sqlite3.Error as exc:
        raise SetupError(
            f"database {path} is damaged ({exc}); restore it from a backup, or move it away "
            "to start with a fresh database"
        ) from None
    finally:
        conn.close()
    return tables, revision


def _server_schema(engine: Engine) -> tuple[set[str], str | None]:
    tables = set(inspect(engine).get_table_names())
    revision = None
    if "alembic_version" in tables:
        with engine.connect() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return tables, revision


def _check_schema(tables: set[str], current: str | None, where: str) -> None:
    if not tables:
        return  # nothing there yet: the upgrade creates the schema
    if "alembic_version" not in tables:
        raise SetupError(
            f"database {where} has tables ({', '.join(sorted(tables)[:4])}…) but no Vacate "
            "schema version: it is another program's database; point VACATE_DB_URL elsewhere"
        )
    if current is not None and current not in known_revisions():
        raise SetupError(
            f"database {where} is at schema revision {current!r}, which this Vacate does not "
            f"know (it knows up to {head_revision()!r}): it was written by a newer Vacate"
        )


#: The stores this process has open on each SQLite file. While one holds connections the file
#: is not checked again: reading it with ``open()`` and closing it would release every POSIX
#: lock the process holds on it — SQLite's own included — and another process closing its last
#: connection would then delete the WAL under this one's feet (its later writes lost).
#: ``vacate serve`` opens two stores on one file.
_OPEN: dict[Path, weakref.WeakSet[SqlStore]] = {}


def _in_use(path: Path) -> bool:
    return any(store.connections() > 0 for store in _OPEN.get(path.resolve(), ()))


def open_store(url: str) -> SqlStore:
    """Open (creating or upgrading as needed) the store at ``url``.

    ``sqlite:///path/to/vacate.db`` or ``postgresql+psycopg://user@host/db``.
    """
    try:
        parsed = normalize_url(url)
    except ArgumentError:
        raise SetupError(
            f"VACATE_DB_URL {url.split('://', 1)[0]}://… is not a database URL"
        ) from None
    where = parsed.render_as_string(hide_password=True)
    path = _sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise SetupError(
            f"database {path}: directory {path.parent} does not exist; create it, or point "
            "VACATE_DB_URL at a file in an existing directory"
        )
    if path is not None and not _in_use(path):
        _check_file(path)
        if path.exists():
            _check_schema(*_sqlite_schema(path), str(path))
    try:
        engine = make_engine(url)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise SetupError(f"database {where}: {exc}") from None
    except OSError as exc:
        raise SetupError(f"database {where}: {exc.strerror or exc}") from None
    try:
        if path is None:
            _check_schema(*_server_schema(engine), where)
        upgrade(engine)
    except SetupError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        detail = str(exc.orig).strip().splitlines()
        raise SetupError(
            f"database {where}: {detail[0] if detail else type(exc).__name__}"
        ) from None
    except BaseException:
        engine.dispose()
        raise
    store = SqlStore(engine)
    if path is not None:
        _OPEN.setdefault(path.resolve(), weakref.WeakSet()).add(store)
    return store
