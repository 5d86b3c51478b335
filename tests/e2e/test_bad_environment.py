"""Every command, run in a broken environment, says what is wrong in one line and exits 5: never
a traceback, never a silently replaced database or cloud."""

from __future__ import annotations

import pytest

from .conftest import Vacate

COMMANDS = [
    ("host", "list"),
    ("host", "show", "h1"),
    ("plan", "h1"),
    ("host", "maintenance", "enable", "h1", "--reason", "fw"),
    ("host", "maintenance", "disable", "h1"),
    ("host", "migrate-instances", "h1"),
    ("host-update", "h1", "--status", "disable"),
    ("instance", "list"),
    ("instance", "show", "i-app"),
    ("job", "list"),
    ("job", "show", "0123456789ab"),
    ("job", "watch", "0123456789ab"),
    ("job", "cancel", "0123456789ab"),
    ("worker", "--until-idle"),
    ("sim", "boot", "--flavor", "m1.small"),
    ("sim", "fail-migration", "i-app"),
    ("sim", "kill-host", "h2"),
    ("instance", "show", "app"),
    ("token", "list"),
    ("token", "create", "--name", "ci", "--role", "reader"),
    ("token", "revoke", "ci"),
    ("audit", "list"),
    ("serve", "--bind", "127.0.0.1:18779", "--no-worker"),
]

#: Commands that keep only Vacate's own records (tokens, audit) and never read the cloud.
STORE_ONLY = {"token", "audit"}


def assert_one_line_refusal(vacate: Vacate, args: tuple[str, ...], says: str, **kw: object) -> None:
    proc = vacate(*args, **kw)  # type: ignore[arg-type]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    context = f"`vacate {' '.join(args)}` exited {proc.returncode}: {proc.stderr!r}"
    assert proc.returncode == 5, context
    assert len(lines) == 1 and says in lines[0], context
    assert "Traceback" not in proc.stderr + proc.stdout, context


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_damaged_database_is_named_by_every_command(
    small_cloud: Vacate, args: tuple[str, ...]
) -> None:
    database = small_cloud.home / "vacate.db"
    small_cloud("job", "list", check=0)  # the database exists
    database.write_bytes(b"\x00garbage" * 100)
    assert_one_line_refusal(small_cloud, args, "vacate.db")
    assert database.read_bytes() == b"\x00garbage" * 100


#: The job commands given an unknown job find it missing in the database alone; a server
#: keeps answering (its health says what is wrong) rather than refusing to start.
READS_THE_CLOUD = [a for a in COMMANDS if a[0] not in {"job", "serve", *STORE_ONLY}]


@pytest.mark.parametrize("args", READS_THE_CLOUD, ids=" ".join)
def test_a_damaged_cloud_file_is_named_by_every_command_that_reads_the_cloud(
    small_cloud: Vacate, args: tuple[str, ...]
) -> None:
    cloud = small_cloud.home / "sim-cloud.db"
    cloud.write_bytes(b"\x00garbage" * 100)
    assert_one_line_refusal(small_cloud, args, "sim-cloud.db")
    assert cloud.read_bytes() == b"\x00garbage" * 100


@pytest.mark.parametrize("size", [100, 4096, 16384])
def test_a_truncated_cloud_file_is_named_and_left_as_it_is(small_cloud: Vacate, size: int) -> None:
    cloud = small_cloud.home / "sim-cloud.db"
    with cloud.open("r+b") as f:
        f.truncate(size)
    before = cloud.read_bytes()
    for args in (("host", "list"), ("instance", "list", "-f", "json")):
        assert_one_line_refusal(small_cloud, args, "sim-cloud.db")
    assert cloud.read_bytes() == before


def test_a_damaged_cloud_file_of_the_old_format_is_named_and_left_as_it_is(
    small_cloud: Vacate,
) -> None:
    (small_cloud.home / "sim-cloud.db").unlink()
    old = small_cloud.home / "sim-cloud.json"
    old.write_text('{"version": 1, "hosts": [')
    assert_one_line_refusal(small_cloud, ("host", "list"), "sim-cloud.json")
    assert old.read_text() == '{"version": 1, "hosts": ['
    assert not (small_cloud.home / "sim-cloud.db").exists()


@pytest.mark.parametrize("speed", ["inf", "nan"])
def test_a_bad_speed_is_refused_by_every_command_before_it_reaches_the_cloud(
    small_cloud: Vacate, speed: str
) -> None:
    before = (small_cloud.home / "sim-cloud.db").read_bytes()
    for args in COMMANDS:
        assert_one_line_refusal(
            small_cloud, args, "VACATE_SIM_SPEED", env_extra={"VACATE_SIM_SPEED": speed}
        )
    assert (small_cloud.home / "sim-cloud.db").read_bytes() == before


def test_a_hand_damaged_host_in_the_cloud_file_is_refused_before_anything_moves(
    small_cloud: Vacate,
) -> None:
    import json
    import sqlite3

    with sqlite3.connect(small_cloud.home / "sim-cloud.db") as db:
        for name, doc in db.execute("SELECT name, doc FROM hosts").fetchall():
            host = json.loads(doc)
            host["nic_bytes_per_s"] = 0
            db.execute("UPDATE hosts SET doc = ? WHERE name = ?", (json.dumps(host), name))
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    assert_one_line_refusal(
        small_cloud, ("host", "maintenance", "enable", "h1", "--reason", "x"), "NIC speed"
    )
    assert small_cloud.json("job", "list", "-f", "json") == []


@pytest.mark.parametrize("args", [a for a in COMMANDS if a[0] not in STORE_ONLY], ids=" ".join)
def test_every_command_without_a_cloud_says_how_to_make_one_and_creates_nothing(
    vacate: Vacate, args: tuple[str, ...]
) -> None:
    assert_one_line_refusal(vacate, args, "no simulated cloud at")
    assert not vacate.home.exists()
