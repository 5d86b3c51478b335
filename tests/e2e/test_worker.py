"""Queued jobs and workers: ``--no-wait``, ``vacate worker``, ``job show``, ``job cancel``, and a
worker killed at real speed whose job the next worker finishes."""

from __future__ import annotations

import textwrap
import time

import pytest

from .conftest import Vacate, by_name

pytestmark = pytest.mark.slow


def test_a_queued_drain_waits_for_a_worker_which_runs_it_to_success(small_cloud: Vacate) -> None:
    queued = small_cloud.json(
        "host",
        "maintenance",
        "enable",
        "h1",
        "--reason",
        "fw",
        "--policy",
        "suspended=skip",
        "--no-wait",
        "-f",
        "json",
    )
    assert queued["status"] == "queued"
    assert queued["tasks"] == []

    small_cloud("worker", "--until-idle", check=0)

    job = small_cloud.json("job", "show", queued["id"], "-f", "json")
    assert job["id"] == queued["id"]
    assert job["status"] == "succeeded"
    assert job["phase"] == "done"
    assert {t["instance_name"]: t["outcome"] for t in job["tasks"]} == {
        "app": "moved",
        "web-1": "moved",
        "db": "moved",
        "sus": "skipped",
    }
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "maintenance"
    assert [i["name"] for i in host["instances"]] == ["sus"]


def test_cancelling_a_queued_drain_ends_it_gives_the_host_back_and_no_worker_runs_it(
    small_cloud: Vacate,
) -> None:
    queued = small_cloud.json(
        "host",
        "maintenance",
        "enable",
        "h1",
        "--reason",
        "fw",
        "--policy",
        "suspended=skip",
        "--no-wait",
        "-f",
        "json",
    )

    cancelled = small_cloud.json("job", "cancel", queued["id"], "-f", "json")

    assert cancelled["status"] == "cancelled"
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    # Left in 'entering', no enable or disable would ever be allowed on it again.
    assert host["maintenance_state"] == "operational"
    assert host["service_status"] == "enabled"
    small_cloud("worker", "--until-idle", check=0)
    job = small_cloud.json("job", "show", queued["id"], "-f", "json")
    assert job["status"] == "cancelled"
    assert job["tasks"] == [], "a cancelled job plans and moves nothing"


#: One stopped guest with a 1 TB root disk on h1: its cold migration copies 100 GiB at
#: ~1.1 GiB/s, 100 simulated seconds — two real seconds at speed 50, longer than the first
#: worker lives.
BIG_COLD_YAML = textwrap.dedent(
    """\
    hosts: [{name: h1}, {name: h2}]
    flavors: [{name: fat, vcpus: 2, ram_mb: 4096, disk_gb: 1000}]
    instances: [{id: i-big, name: big, host: h1, flavor: fat, vm_state: stopped}]
    """
)
SPEED = 50.0


def test_simulated_time_keeps_passing_while_no_process_runs(vacate: Vacate) -> None:
    """Real speed: a worker killed early in the drain, a pause with no Vacate process at all,
    then a new worker finishes the job; the simulated clock counted the pause (and a first
    worker that had finished the job before its kill would fail the clock check too)."""
    cli = Vacate(vacate.home, speed=str(SPEED))
    env = {"VACATE_LEASE_SECONDS": "1", "VACATE_POLL_SECONDS": "1"}
    yaml_path = vacate.home.parent / "big.yaml"
    yaml_path.write_text(BIG_COLD_YAML)
    cli("sim", "init", "--from-yaml", str(yaml_path), check=0)
    queued = cli.json(
        "host", "maintenance", "enable", "h1", "--reason", "fw", "--no-wait", "-f", "json"
    )
    queued_by = time.monotonic()

    worker = cli.popen("worker", env_extra=env)
    try:
        time.sleep(1.5)
        assert worker.poll() is None, f"the worker died on its own; see {cli.home / 'logs'}"
    finally:
        worker.kill()
        worker.wait(timeout=30)
    time.sleep(1.5)  # nothing runs: lease expires, the cold migration carries on
    resumed_at = time.monotonic()
    cli("worker", "--until-idle", env_extra=env, check=0)

    job = cli.json("job", "show", queued["id"], "-f", "json")
    assert job["status"] == "succeeded", job["message"]
    (task,) = job["tasks"]
    assert task["outcome"] == "moved"
    assert task["destination"] == "h2"
    gap = resumed_at - queued_by
    assert job["finished_at"] - job["created_at"] >= 0.95 * SPEED * gap, (
        f"{gap:.1f} s of real time at speed {SPEED} is {SPEED * gap:.0f} simulated s, "
        f"but the job took {job['finished_at'] - job['created_at']:.0f}"
    )
    instances = by_name(cli.json("instance", "list", "-f", "json"))
    assert instances["big"]["host"] == "h2"
    assert instances["big"]["vm_state"] == "stopped"
