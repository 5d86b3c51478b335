"""What a new user's trial found left: each through the real CLI on a fresh VACATE_HOME."""

from __future__ import annotations

import re
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from .conftest import Vacate, by_name, one_line

LOCKED_CLOUD = textwrap.dedent(
    """\
    hosts: [{name: h1}, {name: h2}, {name: h3}]
    groups: [{id: grp-web, name: web, policy: anti-affinity}]
    instances:
      - {id: i-app, name: app, host: h1, flavor: m1.small, groups: [web]}
      - {id: i-lk, name: lk, host: h1, flavor: m1.small, locked: true}
      - {id: i-lks, name: lks, host: h1, flavor: m1.small, locked: true, vm_state: stopped}
      - {id: i-d1, name: twin, host: h2, flavor: m1.small}
      - {id: i-d2, name: twin, host: h3, flavor: m1.small}
    """
)


@pytest.fixture
def locked(vacate: Vacate, tmp_path: Path) -> Vacate:
    path = tmp_path / "locked.yaml"
    path.write_text(LOCKED_CLOUD)
    vacate("sim", "init", "--from-yaml", str(path), check=0)
    return vacate


def test_migrate_instances_says_what_policy_left_on_the_host_never_all_moved(
    locked: Vacate,
) -> None:
    job = locked.json(
        "host", "migrate-instances", "h1", "--policy", "locked=skip", "--allow-skip-running",
        "-f", "json",
    )  # fmt: skip
    assert job["status"] == "succeeded"
    assert "all instances moved" not in job["message"]
    assert "2 instance(s) left on h1 by policy, 1 of them running" in job["message"]
    tasks = by_name(job["tasks"], "instance_name")
    for name in ("lk", "lks"):
        assert tasks[name]["reason"] == "locked: skip by policy locked=skip"


def test_policy_locked_with_allow_locked_is_refused_as_a_contradiction(locked: Vacate) -> None:
    refused = locked("plan", "h1", "--policy", "locked=skip", "--allow-locked", check=2)
    assert "contradicts --allow-locked" in one_line(refused.stderr)


def test_a_repeated_policy_for_one_state_is_refused_naming_it(locked: Vacate) -> None:
    refused = locked(
        "plan", "h1", "--policy", "locked=skip", "--policy", "Locked=skip", check=2
    )  # fmt: skip
    assert "--policy locked is given twice" in one_line(refused.stderr)


def test_a_twenty_digit_max_parallel_is_refused_naming_the_option(locked: Vacate) -> None:
    refused = locked("host", "migrate-instances", "h1", "--max-parallel", "9" * 20, check=2)
    assert "--max-parallel must be from 1 to 1000" in one_line(refused.stderr)
    assert locked.json("job", "list", "-f", "json") == []


def test_instance_json_carries_group_names_beside_the_ids(locked: Vacate) -> None:
    instances = by_name(locked.json("instance", "list", "-f", "json"), "id")
    assert instances["i-app"]["server_groups"] == ["grp-web"]
    assert instances["i-app"]["server_group_names"] == ["web"]
    shown = locked.json("host", "show", "h1", "-f", "json")
    assert by_name(shown["instances"], "id")["i-app"]["server_group_names"] == ["web"]
    assert "grp-web" not in locked("host", "show", "h1", check=0).stdout


def test_instance_show_takes_an_exact_name_and_refuses_an_ambiguous_one(locked: Vacate) -> None:
    assert locked.json("instance", "show", "app", "-f", "json")["id"] == "i-app"
    ambiguous = locked("instance", "show", "twin", check=2)
    assert "i-d1, i-d2" in one_line(ambiguous.stderr)
    locked("instance", "show", "ap", check=3)


def test_a_sqlite_file_in_a_missing_directory_is_refused_and_nothing_is_created(
    small_cloud: Vacate, tmp_path: Path
) -> None:
    where = tmp_path / "typo" / "deeper" / "vacate.db"
    refused = small_cloud("job", "list", env_extra={"VACATE_DB_URL": f"sqlite:///{where}"})
    assert refused.returncode == 5
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "does not exist" in refused.stderr and str(where.parent) in one_line(refused.stderr)
    assert not (tmp_path / "typo").exists()


def test_sim_init_refuses_more_instances_than_fit_saying_how_many_do(vacate: Vacate) -> None:
    refused = vacate("sim", "init", "--hosts", "2", "--instances", "500", check=2)
    message = one_line(refused.stderr)
    fit = int(re.search(r"only (\d+) fit", message).group(1))  # type: ignore[union-attr]
    assert 0 < fit < 500 and "--allow-fewer" in message
    assert not vacate.home.exists(), "a refused sim init creates nothing"

    made = vacate("sim", "init", "--hosts", "2", "--instances", "500", "--allow-fewer", check=0)
    assert f"only {fit} of the 500 asked for fit" in one_line(made.stdout)
    assert len(vacate.json("instance", "list", "-f", "json")) == fit


def test_sim_init_from_a_missing_file_names_the_file_before_the_existing_cloud(
    small_cloud: Vacate, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    refused = small_cloud("sim", "init", "--from-yaml", str(missing), check=2)
    assert str(missing) in one_line(refused.stderr)
    assert "already exists" not in refused.stderr


def test_a_missing_cloud_is_an_environment_problem_and_creates_no_database(
    vacate: Vacate,
) -> None:
    for args in (("host", "list"), ("job", "list"), ("instance", "show", "x"), ("plan", "c1")):
        refused = vacate(*args, check=5)
        assert one_line(refused.stderr) == (
            f"error: no simulated cloud at {vacate.home / 'sim-cloud.db'}: run `vacate sim init`"
        )
    assert not vacate.home.exists(), "a failed read wrote into VACATE_HOME"


def test_job_times_are_wall_clock_iso_times_and_durations(small_cloud: Vacate) -> None:
    before = time.time()
    job = small_cloud.json(
        "host", "maintenance", "enable", "h1", "--reason", "fw", "--policy", "suspended=skip",
        "-f", "json",
    )  # fmt: skip
    created = datetime.fromisoformat(job["created_at_iso"]).timestamp()
    finished = datetime.fromisoformat(job["finished_at_iso"]).timestamp()
    # The simulated clock starts at the wall time of `sim init` and runs on (virtual time here).
    assert before - 120 < created <= finished
    assert job["finished_at_iso"].endswith("Z")
    assert finished == pytest.approx(job["finished_at"], abs=0.001)
    for task in job["tasks"]:
        if task["end"] is not None:
            assert datetime.fromisoformat(task["end_iso"]).timestamp() == pytest.approx(
                task["end"], abs=0.001
            )

    table = small_cloud("job", "list", check=0).stdout
    assert job["created_at_iso"][:16] in table  # YYYY-MM-DDTHH:MM
    shown = small_cloud("job", "show", job["id"], "--events", check=0).stdout
    assert re.search(r"took \d+(\.\d)?s|took \d+m \d\ds", shown)
    assert job["finished_at_iso"][:19] + "Z" in shown


def test_a_restore_summary_shows_no_drain_efficiency(small_cloud: Vacate) -> None:
    small_cloud(
        "host", "maintenance", "enable", "h1", "--reason", "fw", "--policy", "suspended=skip",
        check=0,
    )  # fmt: skip
    restore = small_cloud.json("host", "maintenance", "disable", "h1", "--restore", "-f", "json")
    assert restore["summary"]["moved"] >= 1
    assert restore["summary"]["efficiency"] is None
    assert restore["summary"]["lower_bound_s"] is None


def test_host_show_states_the_maintenance_reason_once(small_cloud: Vacate) -> None:
    small_cloud(
        "host", "maintenance", "enable", "h1", "--reason", "firmware", "--policy",
        "suspended=skip", check=0,
    )  # fmt: skip
    shown = small_cloud("host", "show", "h1", check=0).stdout
    assert "maintenance: firmware" in shown
    assert "maintenance: maintenance" not in shown


HELP = [
    ("host", "maintenance", "enable"),
    ("host", "migrate-instances"),
    ("plan",),
    ("sim", "init"),
    ("worker",),
    ("job", "list"),
]


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_shows_no_type_for_flags(vacate: Vacate, args: tuple[str, ...]) -> None:
    shown = vacate(*args, "--help", check=0).stdout
    assert "<bool>" not in shown
    assert "--help" in shown
