"""A database Vacate cannot use is refused with one line naming it, and left untouched; only a
database that does not exist yet is created."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from vacate.domain.errors import SetupError
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName
from vacate.store import open_store


def good_database(path: Path) -> None:
    store = open_store(f"sqlite:///{path}")
    store.set_maintenance(HostName("c03"), MaintenanceState.MAINTENANCE, reason="fw", at=1.0)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def truncate(path: Path) -> None:
    path.write_bytes(b"")


def random_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100] + b"\x00" * 50)


def foreign_tables(path: Path) -> None:
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")


def newer_revision(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (truncate, "is empty (0 bytes)"),
        (random_bytes, "is not a SQLite database"),
        (cut_in_half, "vacate.db"),
        (foreign_tables, "another program's database"),
        (newer_revision, "written by a newer Vacate"),
    ],
)
def test_a_damaged_database_is_refused_naming_it_and_left_untouched(
    tmp_path: Path, damage: Callable[[Path], None], says: str
) -> None:
    path = tmp_path / "vacate.db"
    good_database(path)
    damage(path)
    before = path.read_bytes()

    with pytest.raises(SetupError) as refused:
        open_store(f"sqlite:///{path}")

    assert says in str(refused.value) and str(path) in str(refused.value)
    assert "\n" not in str(refused.value)
    assert path.read_bytes() == before, "the damaged file was changed"


def test_a_missing_database_is_created_and_a_good_one_keeps_its_state(tmp_path: Path) -> None:
    path = tmp_path / "vacate.db"
    good_database(path)
    store = open_store(f"sqlite:///{path}")
    assert store.get_maintenance(HostName("c03")).state is MaintenanceState.MAINTENANCE
    store.close()


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(SetupError) as refused:
        open_store("postgresql://vacate:s3cret@127.0.0.1:1/vacate")
    assert "127.0.0.1" in str(refused.value) and "s3cret" not in str(refused.value)
