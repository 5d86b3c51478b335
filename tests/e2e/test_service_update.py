"""``host-update --status`` goes through the service layer: a job with its events, refused
where only the exit workflow may enable the service."""

from __future__ import annotations

from .conftest import Vacate, one_line


def test_a_service_update_is_a_job_with_its_events_and_actor(small_cloud: Vacate) -> None:
    answer = small_cloud.json("host-update", "h3", "--status", "disable", "--reason", "rack")
    assert answer == {"host": "h3", "status": "disabled", "maintenance_mode": "off_maintenance"}
    host = {h["name"]: h for h in small_cloud.json("host", "list", "-f", "json")}["h3"]
    assert host["service_status"] == "disabled" and host["disabled_reason"] == "vacate: rack"

    (job,) = small_cloud.json("job", "list", "--host", "h3", "-f", "json")
    assert job["kind"] == "service_update" and job["status"] == "succeeded"
    assert job["actor"]["name"] and job["actor"]["origin"].startswith("cli")
    shown = small_cloud.json("job", "show", job["id"], "--events", "-f", "json")
    kinds = [e["kind"] for e in shown["events"]]
    assert "service.disabled" in kinds and kinds[-1] == "job.succeeded"
    assert all(e["actor"]["name"] == job["actor"]["name"] for e in shown["events"])


def test_enabling_the_service_of_a_host_in_maintenance_is_refused_naming_the_way_out(
    small_cloud: Vacate,
) -> None:
    small_cloud.json("host-update", "h3", "--maintenance", "enable")

    refused = small_cloud("host-update", "h3", "--status", "enable", check=4)

    message = one_line(refused.stderr)
    assert "'maintenance'" in message and "vacate host maintenance disable h3" in message
    host = {h["name"]: h for h in small_cloud.json("host", "list", "-f", "json")}["h3"]
    assert host["service_status"] == "disabled" and host["maintenance_state"] == "maintenance"
    booted = small_cloud.json("sim", "boot", "--flavor", "m1.small", "--count", "6", "-f", "json")
    assert all(i["host"] != "h3" for i in booted), "an instance landed on a host in maintenance"
