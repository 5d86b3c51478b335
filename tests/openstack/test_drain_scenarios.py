"""Whole drains through the command line, against the session's real Nova.

``VACATE_CLOUD=openstack vacate host maintenance enable compute-1 --reason … -f json``, the
way an operator runs it: the bootstrap opens the cloud of ``OS_CLOUD`` from clouds.yaml, the
engine plans, moves, watches and escalates on wall time, and the host ends in maintenance.
"""

from __future__ import annotations

import json

from novacloud import Nova, Vacate, outcomes

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.model import ServiceStatus


def test_maintenance_drains_compute_1_and_never_touches_compute_10(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    app = nova.boot("app", drained_host)
    db = nova.boot("db", drained_host)
    nova.act(db, {"os-stop": None})
    nova.wait_status(db, "SHUTOFF")
    neighbour = nova.boot("neighbour", "compute-10")

    job = vacate("host", "maintenance", "enable", drained_host, "--reason", "BIOS update")
    assert job["status"] == "succeeded", job
    moved = outcomes(job)
    assert moved["app"][0] == "moved" and moved["app"][1].startswith("live-migrated to ")
    assert moved["db"][0] == "moved" and moved["db"][1].startswith("cold-migrated to ")
    assert "neighbour" not in moved
    assert cloud.list_instances(drained_host) == []
    host = cloud.get_host(drained_host)
    assert host.service_status is ServiceStatus.DISABLED
    assert "BIOS update" in (host.disabled_reason or "")
    assert cloud.get_host("compute-10").service_status is ServiceStatus.ENABLED
    assert cloud.get_instance(neighbour).host == "compute-10"  # type: ignore[arg-type]
    assert nova.server(db)["status"] == "SHUTOFF"  # confirmed, still off
    # On OpenStack Nova's scheduler picks by default: no host was named, and the results say
    # where Nova put each server.
    lives = [b["os-migrateLive"] for b in nova.actions(app) if b and "os-migrateLive" in b]
    assert [body["host"] for body in lives] == [None]
    colds = [b for b in nova.actions(db) if b and "migrate" in b]
    assert colds == [{"migrate": None}]
    tasks = {t["instance_name"]: t for t in job["tasks"]}
    assert tasks["app"]["destination"] == cloud.get_instance(app).host  # type: ignore[arg-type]
    assert tasks["db"]["destination"] == cloud.get_instance(db).host  # type: ignore[arg-type]

    back = vacate("host", "maintenance", "disable", drained_host)
    assert back["status"] == "succeeded", back
    assert cloud.get_host(drained_host).service_status is ServiceStatus.ENABLED


def test_a_migration_that_cannot_converge_is_force_completed_by_the_ladder(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    hot = nova.boot("hot", drained_host)
    nova.plan_live_migration(hot, converge=False)
    job = vacate("host", "maintenance", "enable", drained_host, "--reason", "kernel")
    assert job["status"] == "succeeded", job
    (task,) = job["tasks"]
    assert task["outcome"] == "moved"
    assert [s["action"] for s in task["escalations"]] == ["force-complete"]
    assert task["bytes_sent"] > 0
    vacate("host", "maintenance", "disable", drained_host)


def test_a_failed_live_migration_is_retried_and_nova_s_reason_recorded(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    flaky = nova.boot("flaky", drained_host)
    nova.plan_live_migration(flaky, fail="precheck", reason="port binding failed on the target")
    job = vacate("host", "maintenance", "enable", drained_host, "--reason", "firmware")
    assert job["status"] == "succeeded", job
    (task,) = job["tasks"]
    assert (task["outcome"], task["attempts"]) == ("moved", 2)
    shown = vacate("job", "show", job["id"], "--events")
    events = json.dumps(shown)
    assert "port binding failed on the target" in events
    vacate("host", "maintenance", "disable", drained_host)
