"""The command line, end to end: every verb an operator uses, against the simulated cloud.

Most tests load the small exact cloud of ``conftest.SMALL_CLOUD_YAML`` (h1 holds a running
guest, a running member of the hard anti-affinity group "web" that can only go to h4, a stopped
guest and a suspended one; h5 is disabled by another tool). Tests that change nothing share one
such cloud per module; the others get their own.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import Vacate, by_name, one_line, parse_json

pytestmark = pytest.mark.slow

HOST_FIELDS = {
    "name",
    "az",
    "state",
    "service_status",
    "disabled_reason",
    "maintenance_state",
    "instance_count",
    "vcpus_used",
    "vcpus_capacity",
    "ram_mb_used",
    "ram_mb_capacity",
}
INSTANCE_FIELDS = {"id", "name", "host", "vm_state", "power_state", "flavor", "server_groups"}
TASK_FIELDS = {
    "instance_id",
    "outcome",
    "method",
    "destination",
    "duration_s",
    "downtime_s",
    "reason",
}
#: What h1 holds in the small cloud, and what a drain must do with each.
MOVERS = {"app": "live", "web-1": "live", "db": "cold"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Vacate:
    """One small cloud for the tests that must leave everything as it was."""
    cli = Vacate(tmp_path_factory.mktemp("pristine") / "home")
    cli.init_small_cloud()
    return cli


def tasks_by_name(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return by_name(job["tasks"], "instance_name")


# ------------------------------------------------------------------ reading
def test_a_generated_cloud_lists_its_hosts_and_instances_with_every_documented_field(
    vacate: Vacate,
) -> None:
    vacate("sim", "init", "--hosts", "6", "--instances", "30", "--seed", "3", check=0)
    hosts = vacate.json("host", "list", "-f", "json")

    assert len(hosts) == 6
    for host in hosts:
        assert host.keys() >= HOST_FIELDS, HOST_FIELDS - host.keys()
        assert host["state"] == "up"
        assert host["service_status"] == "enabled"
        assert host["maintenance_state"] == "operational"
        assert 0 <= host["vcpus_used"] <= host["vcpus_capacity"]
        assert 0 <= host["ram_mb_used"] <= host["ram_mb_capacity"]
    assert sum(h["instance_count"] for h in hosts) == 30

    busiest = max(hosts, key=lambda h: h["instance_count"])
    instances = vacate.json("instance", "list", "--host", busiest["name"], "-f", "json")
    assert len(instances) == busiest["instance_count"]
    for inst in instances:
        assert inst.keys() >= INSTANCE_FIELDS, INSTANCE_FIELDS - inst.keys()
        assert inst["host"] == busiest["name"]
        assert {"vcpus", "ram_mb", "disk_gb"} <= inst["flavor"].keys()
        assert isinstance(inst["server_groups"], list)
    assert sum(i["flavor"]["vcpus"] for i in instances) == busiest["vcpus_used"]
    assert sum(i["flavor"]["ram_mb"] for i in instances) == busiest["ram_mb_used"]


# ---------------------------------------------------------------- planning
def test_plan_gives_each_instance_its_verdict_and_exits_1_when_one_is_blocked(
    pristine: Vacate,
) -> None:
    proc = pristine("plan", "h1", "-f", "json", check=1)
    plan = parse_json(proc)

    assert plan["host"] == "h1"
    assert plan["ok"] is False
    items = by_name(plan["items"], "instance_name")
    assert {name: items[name]["verdict"] for name in items} == {**MOVERS, "sus": "blocked"}
    assert items["web-1"]["destination"] == "h4", "h4 is the only host without a web member"
    for name in MOVERS:
        assert items[name]["destination"] in {"h2", "h3", "h4"}
    assert items["sus"]["destination"] is None
    assert "suspended" in items["sus"]["reason"]
    assert "--policy suspended=skip" in items["sus"]["reason"]


def test_dry_run_shows_the_plan_and_changes_nothing(pristine: Vacate) -> None:
    proc = pristine(
        "host",
        "maintenance",
        "enable",
        "h2",
        "--reason",
        "fw",
        "--dry-run",
        "-f",
        "json",
        check=0,
    )
    plan = parse_json(proc)
    assert plan["host"] == "h2"
    assert {i["instance_name"] for i in plan["items"]} == {"web-2", "other"}

    host = pristine.json("host", "show", "h2", "-f", "json")
    assert host["service_status"] == "enabled"
    assert host["disabled_reason"] is None
    assert host["maintenance_state"] == "operational"
    assert {i["name"] for i in host["instances"]} == {"web-2", "other"}
    assert pristine.json("job", "list", "-f", "json") == []


# ----------------------------------------------------------- wrong requests
def test_disabling_maintenance_on_an_operational_host_is_a_conflict(pristine: Vacate) -> None:
    proc = pristine("host", "maintenance", "disable", "h3", check=4)
    assert "'operational'" in one_line(proc.stderr)
    assert proc.stdout.strip() == ""


@pytest.mark.parametrize(
    "args",
    [
        ("host", "maintenance", "enable", "no-such-host", "--reason", "fw"),
        ("host", "show", "no-such-host", "-f", "json"),
    ],
    ids=["enable", "show"],
)
def test_an_unknown_host_exits_3_and_names_it(pristine: Vacate, args: tuple[str, ...]) -> None:
    proc = pristine(*args, check=3)
    assert "no-such-host" in one_line(proc.stderr)


@pytest.mark.parametrize(
    "bad",
    [("--policy", "foo=bar"), ("--max-parallel", "0")],
    ids=["unknown-state", "zero-parallel"],
)
def test_a_bad_option_exits_2_with_a_usage_error(pristine: Vacate, bad: tuple[str, ...]) -> None:
    proc = pristine("host", "maintenance", "enable", "h3", "--reason", "fw", *bad, check=2)
    assert proc.stdout.strip() == ""
    assert proc.stderr.strip(), "a usage error says what is wrong"


# ------------------------------------------------------------------ drains
def test_a_plan_with_a_blocked_instance_is_refused_before_anything_is_disabled_or_moved(
    small_cloud: Vacate,
) -> None:
    before = small_cloud.json("instance", "list", "-f", "json")

    proc = small_cloud("host", "maintenance", "enable", "h1", "--reason", "fw", check=1)

    text = one_line(proc.stderr)
    assert "not ready" in text and "nothing was disabled or moved" in text
    assert "sus: suspended instances cannot be migrated" in text
    assert "--policy suspended=skip" in text and "--allow-partial" in text
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "operational" and host["service_status"] == "enabled"
    assert small_cloud.json("instance", "list", "-f", "json") == before
    assert small_cloud.json("job", "list", "-f", "json") == []


def test_a_drain_blocked_by_a_suspended_instance_fails_and_leaves_the_host_in_error(
    small_cloud: Vacate,
) -> None:
    proc = small_cloud(
        "host", "maintenance", "enable", "h1", "--reason", "fw", "--allow-partial", "-f", "json"
    )
    job = parse_json(proc)
    assert proc.returncode == 1
    assert job["status"] == "failed"
    assert "sus" in job["message"]
    tasks = tasks_by_name(job)
    assert set(tasks) == {*MOVERS, "sus"}
    for task in tasks.values():
        assert task.keys() >= TASK_FIELDS, TASK_FIELDS - task.keys()
    for name, method in MOVERS.items():
        assert tasks[name]["outcome"] == "moved", tasks[name]
        assert tasks[name]["method"] == method
        assert tasks[name]["destination"] in {"h2", "h3", "h4"}
        assert tasks[name]["duration_s"] > 0
    assert tasks["web-1"]["destination"] == "h4"
    assert 0 < tasks["app"]["downtime_s"] < 1.0, "a calm live migration pauses for < 1 s"
    assert tasks["db"]["downtime_s"] is None, "a stopped guest has no downtime"
    assert tasks["sus"]["outcome"] == "blocked"
    assert tasks["sus"]["destination"] is None
    assert "suspended" in tasks["sus"]["reason"]

    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "error"
    assert host["service_status"] == "disabled"
    assert host["disabled_reason"].startswith("vacate:")
    assert "fw" in host["disabled_reason"]
    assert [i["name"] for i in host["instances"]] == ["sus"]


def test_a_drain_that_skips_suspended_instances_empties_the_host_and_keeps_addresses(
    small_cloud: Vacate,
) -> None:
    before = by_name(small_cloud.json("instance", "list", "-f", "json"))

    job = small_cloud.json(
        "host",
        "maintenance",
        "enable",
        "h1",
        "--reason",
        "fw",
        "--policy",
        "suspended=skip",
        "-f",
        "json",
    )

    assert job["status"] == "succeeded"
    tasks = tasks_by_name(job)
    assert {n: t["outcome"] for n, t in tasks.items()} == {
        "app": "moved",
        "web-1": "moved",
        "db": "moved",
        "sus": "skipped",
    }
    assert tasks["sus"]["reason"]
    after = by_name(small_cloud.json("instance", "list", "-f", "json"))
    assert after.keys() == before.keys()
    for name in MOVERS:
        assert after[name]["host"] == tasks[name]["destination"] != "h1"
        assert after[name]["addresses"] == before[name]["addresses"]
        assert after[name]["vm_state"] == before[name]["vm_state"]
    assert after["web-1"]["host"] not in {after["web-2"]["host"], after["web-3"]["host"]}
    assert "h5" not in {i["host"] for i in after.values()}
    assert after["sus"]["host"] == "h1"

    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "maintenance"
    assert host["service_status"] == "disabled"
    assert host["disabled_reason"].startswith("vacate:")


@pytest.fixture(scope="module")
def h4_in_maintenance(tmp_path_factory: pytest.TempPathFactory) -> Vacate:
    """A small cloud whose empty host h4 was put in maintenance (it has nothing to move)."""
    cli = Vacate(tmp_path_factory.mktemp("h4-maintenance") / "home")
    cli.init_small_cloud()
    cli("host", "maintenance", "enable", "h4", "--reason", "fw", "-f", "json", check=0)
    return cli


def test_enabling_maintenance_on_a_host_already_in_maintenance_is_a_conflict(
    h4_in_maintenance: Vacate,
) -> None:
    proc = h4_in_maintenance("host", "maintenance", "enable", "h4", "--reason", "again", check=4)
    message = one_line(proc.stderr)
    assert "h4" in message
    assert "'maintenance'" in message, "the error names the current state"


def test_booted_instances_never_land_on_a_host_in_maintenance_or_disabled(
    h4_in_maintenance: Vacate,
) -> None:
    booted = h4_in_maintenance.json(
        "sim", "boot", "--flavor", "m1.small", "--count", "5", "-f", "json"
    )

    assert len(booted) == 5
    hosts = by_name(h4_in_maintenance.json("host", "list", "-f", "json"))
    # h4 and h5 are the emptiest hosts: a scheduler that ignored the service would pick them.
    assert hosts["h4"]["maintenance_state"] == "maintenance"
    for inst in booted:
        host = hosts[inst["host"]]
        assert host["service_status"] == "enabled", inst
        assert host["maintenance_state"] == "operational", inst
    assert hosts["h4"]["instance_count"] == 0
    assert hosts["h5"]["instance_count"] == 0


def test_disable_with_restore_moves_the_drained_instances_back(small_cloud: Vacate) -> None:
    small_cloud(
        "host",
        "maintenance",
        "enable",
        "h1",
        "--reason",
        "fw",
        "--policy",
        "suspended=skip",
        "-f",
        "json",
        check=0,
    )

    job = small_cloud.json("host", "maintenance", "disable", "h1", "--restore", "-f", "json")

    assert job["status"] == "succeeded"
    tasks = tasks_by_name(job)
    assert set(tasks) == set(MOVERS)
    for task in tasks.values():
        assert task["outcome"] == "moved"
        assert task["destination"] == "h1"
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "operational"
    assert host["service_status"] == "enabled"
    assert {i["name"] for i in host["instances"]} == {*MOVERS, "sus"}


def test_host_update_turns_maintenance_on_and_off_like_nova(small_cloud: Vacate) -> None:
    on = small_cloud.json("host-update", "h3", "--maintenance", "enable")
    assert on == {"host": "h3", "status": "disabled", "maintenance_mode": "on_maintenance"}
    off = small_cloud.json("host-update", "h3", "--maintenance", "disable")
    assert off == {"host": "h3", "status": "enabled", "maintenance_mode": "off_maintenance"}


def test_migrate_instances_cold_moves_every_guest_and_leaves_the_maintenance_state(
    small_cloud: Vacate,
) -> None:
    job = small_cloud.json(
        "host", "migrate-instances", "h1", "--cold", "--policy", "suspended=skip", "-f", "json"
    )

    assert job["status"] == "succeeded"
    tasks = tasks_by_name(job)
    for name in MOVERS:
        assert tasks[name]["outcome"] == "moved", tasks[name]
        assert tasks[name]["method"] == "cold"
    assert tasks["app"]["downtime_s"] > 0, "a running guest restarts when cold-migrated"
    assert tasks["sus"]["outcome"] == "skipped"
    instances = by_name(small_cloud.json("instance", "list", "-f", "json"))
    for name in MOVERS:
        assert instances[name]["host"] == tasks[name]["destination"] != "h1"
    assert instances["app"]["vm_state"] == "active", "a running guest comes back running"
    assert instances["db"]["vm_state"] == "stopped", "a stopped guest stays stopped"
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "operational"
    assert host["service_status"] == "enabled"


# -------------------------------------------------------------- known bugs
def test_an_impossible_policy_is_refused_before_a_job_exists(small_cloud: Vacate) -> None:
    proc = small_cloud(
        "host",
        "maintenance",
        "enable",
        "h1",
        "--reason",
        "fw",
        "--policy",
        "suspended=live",
        "-f",
        "json",
    )
    assert proc.returncode == 2
    assert "suspended" in one_line(proc.stderr)
    assert small_cloud.json("job", "list", "-f", "json") == []
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "operational"
    small_cloud("worker", "--until-idle", check=0)


def test_an_unknown_target_host_exits_3_and_touches_nothing(small_cloud: Vacate) -> None:
    proc = small_cloud(
        "host",
        "maintenance",
        "enable",
        "h2",
        "--reason",
        "fw",
        "--target",
        "no-such-host",
        "-f",
        "json",
    )
    assert proc.returncode == 3, one_line(proc.stderr)
    assert "no-such-host" in one_line(proc.stderr)
    host = small_cloud.json("host", "show", "h2", "-f", "json")
    assert host["maintenance_state"] == "operational"
    assert host["service_status"] == "enabled"


#: A guest Nova calls active whose hypervisor says it is shut down.
ACTIVE_BUT_SHUT_DOWN_YAML = """\
hosts: [{name: h1}, {name: h2}]
instances: [{id: i-odd, name: odd, host: h1, vm_state: active, power_state: shutdown}]
"""


def test_the_policy_a_blocked_plan_suggests_is_accepted(vacate: Vacate) -> None:
    path = vacate.home.parent / "odd.yaml"
    path.write_text(ACTIVE_BUT_SHUT_DOWN_YAML)
    vacate("sim", "init", "--from-yaml", str(path), check=0)
    (item,) = parse_json(vacate("plan", "h1", "-f", "json", check=1))["items"]
    assert item["verdict"] == "blocked"
    suggested = re.search(r"--policy (\S+=\S+)", item["reason"])
    assert suggested, item["reason"]

    proc = vacate("plan", "h1", "--policy", suggested.group(1), "-f", "json")

    assert proc.returncode == 0, one_line(proc.stderr)
    (item,) = parse_json(proc)["items"]
    assert item["verdict"] == "cold"
    assert item["destination"] == "h2"


def test_sim_init_from_a_missing_yaml_file_is_a_usage_error(vacate: Vacate) -> None:
    missing = vacate.home.parent / "no-such-cloud.yaml"
    proc = vacate("sim", "init", "--from-yaml", str(missing))
    assert proc.returncode == 2
    assert "no-such-cloud.yaml" in one_line(proc.stderr)
    assert "Traceback" not in proc.stderr
