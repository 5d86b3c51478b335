"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

``db_url`` is an empty database that nothing has touched: SQLite, a new file under
``tmp_path``; PostgreSQL (``VACATE_TEST_PG_URL``, default the local trust-auth server's ``test``
database), a new schema selected through the URL (``options=-csearch_path=...``) so the store
and Alembic see an empty database, dropped after the test. Schemas cost milliseconds where
databases cost a checkpoint.

``store`` is a store whose schema is already at head, without paying for a migration per test:
SQLite copies a file migrated once per session, PostgreSQL empties a schema migrated once per
session (per xdist worker). Both still go through ``open_store``.

An unreachable PostgreSQL skips its half locally but fails it when ``CI=true``: CI must not go
green on half the matrix.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from vacate.store import SqlStore, open_store
from vacate.store.tables import Base

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pg_admin_url() -> str:
    return os.environ.get("VACATE_TEST_PG_URL") or DEFAULT_PG_URL


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the admin database (to create and drop schemas)."""
    url = make_url(pg_admin_url())
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        engine.dispose()
        where = url.render_as_string(hide_password=True)
        message = f"PostgreSQL not reachable at {where}: {exc.__class__.__name__}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    yield engine
    engine.dispose()


def _new_pg_schema(admin: Engine) -> tuple[str, str]:
    name = f"vacate_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    url = admin.url.update_query_dict({"options": f"-csearch_path={name}"})
    return name, url.render_as_string(hide_password=False)


def _drop_pg_schema(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """The URL of a brand-new, empty PostgreSQL schema, dropped after the test."""
    name, url = _new_pg_schema(pg_admin)
    try:
        yield url
    finally:
        _drop_pg_schema(pg_admin, name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend (nothing created in it yet)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "vacate.db"
    open_store(f"sqlite:///{path}").close()  # closing the last connection checkpoints the WAL
    return path


@pytest.fixture(scope="session")
def pg_migrated(pg_admin: Engine) -> Iterator[tuple[str, str]]:
    """(schema, URL) of a PostgreSQL schema migrated to head once per session."""
    name, url = _new_pg_schema(pg_admin)
    try:
        open_store(url).close()
        yield name, url
    finally:
        _drop_pg_schema(pg_admin, name)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """An empty store at the head revision, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "vacate.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        admin: Engine = request.getfixturevalue("pg_admin")
        schema, url = request.getfixturevalue("pg_migrated")
        with admin.connect() as conn:  # DELETE: far cheaper than TRUNCATE on tiny tables
            for table in reversed(Base.metadata.sorted_tables):
                conn.exec_driver_sql(f'DELETE FROM "{schema}"."{table.name}"')
    opened = open_store(url)
    try:
        yield opened
    finally:
        opened.close()
