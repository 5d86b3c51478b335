"""Fixtures of the API tests: a simulated cloud (``vacate sim init --hosts 8 --instances 60
--seed 1``) with tokens of every kind, and a ``vacate serve`` on it; PostgreSQL schemas.

``cloud`` is made once per session and copied per use (a ``sim init`` and four tokens cost
seconds); ``server`` is one server per test module, so modules must leave each other's hosts
alone — each module drains its own.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from .server import Home, Server, running

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Tokens:
    admin: str
    reader: str
    expired: str
    revoked: str

    def all(self) -> list[str]:
        return [self.admin, self.reader, self.expired, self.revoked]


def make_cloud(home: Home) -> Tokens:
    home.cli("sim", "init", "--hosts", "8", "--instances", "60", "--seed", "1")
    tokens = Tokens(
        admin=home.token("ops-admin", "admin"),
        reader=home.token("ops-reader", "reader"),
        expired=home.token("ops-expired", "admin", "--expires", "1s"),
        revoked=home.token("ops-revoked", "admin"),
    )
    home.cli("token", "revoke", "ops-revoked")
    return tokens


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tokens]:
    path = tmp_path_factory.mktemp("template") / "home"
    tokens = make_cloud(Home(path))
    time.sleep(1.1)  # the expired token has expired
    return path, tokens


@pytest.fixture
def home(template: tuple[Path, Tokens], tmp_path: Path) -> Home:
    """A copy of the template home: the cloud and the tokens, nothing run yet."""
    shutil.copytree(template[0], tmp_path / "home")
    return Home(tmp_path / "home")


@pytest.fixture(scope="session")
def tokens(template: tuple[Path, Tokens]) -> Tokens:
    return template[1]


@pytest.fixture(scope="module")
def server(
    template: tuple[Path, Tokens], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server per test module, at speed ``max``, on its own copy of the template."""
    path = tmp_path_factory.mktemp("served") / "home"
    shutil.copytree(template[0], path)
    with running(Home(path)) as served:
        yield served


def pg_admin_url() -> str:
    return os.environ.get("VACATE_TEST_PG_URL") or DEFAULT_PG_URL


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped after the test. Missing PostgreSQL skips locally and
    fails under ``CI=true``: CI must not go green without it."""
    url = make_url(pg_admin_url())
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"vacate_api_{uuid.uuid4().hex[:12]}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    except SQLAlchemyError as exc:
        engine.dispose()
        message = f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    try:
        yield url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        engine.dispose()
