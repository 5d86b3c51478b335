"""Host down over a real loopback server: the report (refused while the service is up unless
fenced), recover and its double-run guard, the os-hosts call with the design document's body,
and an Alertmanager webhook payload in Alertmanager's own format."""

from __future__ import annotations

import time
from typing import Any

import httpx

from .conftest import Tokens
from .server import Server, wait_for_job

#: The design document's example (docs: report-host-fault-to-update-server-state-immediately),
#: its missing commas restored.
DOCUMENT_BODY = {
    "host": {"status": "enable", "maintenance_mode": "enable", "host_down_reported": "true"}
}


def parked(client: httpx.Client, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["phase"] == "awaiting_fence" and job["message"].startswith("awaiting fence:"):
            return job
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def on_host(client: httpx.Client, host: str) -> list[dict[str, Any]]:
    instances: list[dict[str, Any]] = client.get(f"/v1/hosts/{host}").json()["instances"]
    return instances


def test_a_report_is_refused_while_the_service_is_up_and_evacuates_once_fenced(
    server: Server, tokens: Tokens
) -> None:
    with server.client(tokens.reader) as reader:
        assert reader.post("/v1/hosts/c02/down", json={"fenced": True}).status_code == 403
    with server.client(tokens.admin) as admin:
        before = {i["id"] for i in on_host(admin, "c02")}
        everyone = {i["id"] for i in admin.get("/v1/instances").json()}
        refused = admin.post("/v1/hosts/c02/down", json={})
        assert refused.status_code == 409
        assert "twice" in refused.json()["error"]["message"]
        assert admin.get("/v1/hosts/c02").json()["maintenance_state"] == "operational"

        answer = admin.post("/v1/hosts/c02/down", json={"fenced": True, "reason": "PSU fault"})
        assert answer.status_code == 202, answer.text
        job = answer.json()
        assert answer.headers["Location"] == f"/v1/jobs/{job['id']}"
        assert job["kind"] == "host_down"
        done = wait_for_job(admin, job["id"])
        tasks = {t["instance_id"]: t for t in done["tasks"]}
        assert set(tasks) == before
        for task in tasks.values():
            assert task["outcome"] in ("moved", "skipped", "blocked", "failed"), task
            if task["outcome"] != "moved":
                assert task["reason"], task
        assert any(t["outcome"] == "moved" for t in tasks.values())
        host = admin.get("/v1/hosts/c02").json()
        assert host["maintenance_state"] == "down" and host["forced_down"]
        # Nothing lost, nothing doubled (the stale copies of a host never off have ids of
        # their own and are the guard's business, below).
        now = [i for i in admin.get("/v1/instances").json() if "@" not in i["id"]]
        assert sorted(i["id"] for i in now) == sorted(everyone)

        # The host was never really off: its copies of what was evacuated still run there.
        stale = admin.post("/v1/hosts/c02/recover")
        assert stale.status_code == 409
        moved = [t for t in tasks.values() if t["outcome"] == "moved"]
        assert moved[0]["instance_name"] in stale.json()["error"]["message"]
        server.home.cli("sim", "revive-host", "c02")
        with server.client(tokens.reader) as reader:
            assert reader.post("/v1/hosts/c02/recover").status_code == 403
        back = admin.post("/v1/hosts/c02/recover")
        assert back.status_code == 202, back.text
        assert wait_for_job(admin, back.json()["id"])["status"] == "succeeded"
        host = admin.get("/v1/hosts/c02").json()
        assert host["maintenance_state"] == "maintenance"
        assert not host["forced_down"] and host["service_status"] == "disabled"


def test_the_documents_os_hosts_call_reports_a_dead_host_which_then_waits_for_its_fence(
    server: Server, tokens: Tokens
) -> None:
    server.home.cli("sim", "kill-host", "c03")
    nova = httpx.Client(
        base_url=f"{server.url}/v2.1/65c5d5b7e3bd44308e67fc50f362aee6",
        headers={"X-Auth-Token": tokens.admin},
        timeout=30,
    )
    answer = nova.put("/os-hosts/c03", json=DOCUMENT_BODY)
    assert answer.status_code == 200, answer.text
    assert answer.json()["host"]["maintenance_mode"] == "down"
    with server.client(tokens.admin) as admin:
        job_id = admin.get("/v1/hosts/c03").json()["jobs"][0]["id"]
        waiting = parked(admin, job_id)
        assert "no BMC is configured for c03" in waiting["message"]
        assert all(
            i["vm_state"] in ("stopped", "error", "resized", "soft-delete", "deleted")
            for i in on_host(admin, "c03")
        )
        again = admin.post("/v1/hosts/c03/down", json={"fenced": True})
        assert again.status_code == 202 and again.json()["id"] == job_id
        done = wait_for_job(admin, job_id)
        assert done["phase"] == "done"
        assert any(t["outcome"] == "moved" for t in done["tasks"])


def test_an_alertmanager_webhook_reports_firing_hosts_and_ignores_resolved_alerts(
    server: Server, tokens: Tokens
) -> None:
    server.home.cli("sim", "kill-host", "c04")
    payload = {
        "version": "4",
        "groupKey": '{}:{alertname="HostDown"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "vacate",
        "groupLabels": {"alertname": "HostDown"},
        "commonLabels": {"alertname": "HostDown", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HostDown", "instance": "c04:9100", "job": "node"},
                "annotations": {"summary": "node exporter unreachable"},
                "startsAt": "2026-12-02T01:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example:9090/graph",
                "fingerprint": "a1b2c3d4e5f60718",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "HostDown", "instance": "c05:9100"},
                "annotations": {},
                "startsAt": "2026-12-02T00:00:00Z",
                "endsAt": "2026-12-02T00:10:00Z",
                "generatorURL": "http://prometheus.example:9090/graph",
                "fingerprint": "0f1e2d3c4b5a6978",
            },
            {
                "status": "firing",
                "labels": {"alertname": "HostDown", "nodename": "nowhere-01"},
                "annotations": {},
                "startsAt": "2026-12-02T01:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example:9090/graph",
                "fingerprint": "1122334455667788",
            },
        ],
    }
    with server.client(tokens.reader) as reader:
        assert reader.post("/v1/alerts/alertmanager", json=payload).status_code == 403
    with server.client(tokens.admin) as admin:
        answer = admin.post("/v1/alerts/alertmanager", json=payload)
        assert answer.status_code == 202, answer.text
        said = {a["fingerprint"]: a for a in answer.json()["alerts"]}
        fired = said["a1b2c3d4e5f60718"]
        assert fired["host"] == "c04" and fired["action"] == "reported-down"
        assert said["0f1e2d3c4b5a6978"]["action"] == "none"
        assert said["1122334455667788"]["action"] == "refused"
        assert "nowhere-01" in said["1122334455667788"]["detail"]
        job = parked(admin, fired["job"])
        assert job["kind"] == "host_down" and job["host"] == "c04"
        assert admin.get("/v1/hosts/c05").json()["maintenance_state"] == "operational"
        repeat = admin.post("/v1/alerts/alertmanager", json=payload).json()["alerts"][0]
        assert repeat["action"] == "already-reported" and repeat["job"] == fired["job"]
