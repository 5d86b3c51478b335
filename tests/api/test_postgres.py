"""Two ``vacate serve`` processes on one PostgreSQL database share the work: the one running a
drain is killed with SIGKILL in the middle of it, and the other takes the job over once the
lease expires and finishes it — no instance lost, none moved twice, no event repeated."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from .conftest import make_cloud
from .server import Home, Server, wait_for_job

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_server_killed_mid_drain_leaves_its_job_to_the_other(pg_url: str, tmp_path: Path) -> None:
    home = Home(
        tmp_path / "home",
        speed="4",
        extra={"VACATE_DB_URL": pg_url, "VACATE_LEASE_SECONDS": "3", "VACATE_POLL_SECONDS": "1"},
    )
    tokens = make_cloud(home)
    servers = [Server(home, name="a"), Server(home, name="b")]
    try:
        for server in servers:
            server.wait_ready()
        with servers[0].client(tokens.admin) as admin:
            before = {i["id"] for i in admin.get("/v1/instances").json()}
            job_id = admin.post(
                "/v1/hosts/c02/maintenance",
                json={"reason": "pg", "policy": {"suspended": "skip", "error": "skip"}},
            ).json()["id"]
            owner = wait_for_moves(admin, job_id)
        victim = next(s for s in servers if owner.split("/")[0].endswith(f":{s.pid}"))
        survivor = next(s for s in servers if s is not victim)
        victim.kill()

        with survivor.client(tokens.admin) as admin:
            done = wait_for_job(admin, job_id, timeout_s=120)
            events = admin.get(f"/v1/jobs/{job_id}/events").json()
            after = admin.get("/v1/instances").json()
    finally:
        for server in servers:
            server.kill()

    assert done["status"] == "succeeded", done["message"]
    kinds = [e["kind"] for e in events]
    assert "job.taken-over" in kinds
    taken = next(e for e in events if e["kind"] == "job.taken-over")
    assert taken["data"]["previous_owner"] == owner
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    moved = Counter(e["instance_id"] for e in events if e["kind"] == "task.moved")
    assert moved and max(moved.values()) == 1
    assert {i["id"] for i in after} == before  # nothing lost, nothing made twice
    assert not [i for i in after if i["host"] == "c02" and i["vm_state"] in ("active", "stopped")]
    assert kinds.count("job.started") == 1


def wait_for_moves(admin: httpx.Client, job_id: str) -> str:
    """Wait until the job is moving instances; the worker that runs it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = admin.get(f"/v1/jobs/{job_id}").json()
        started = any(t["status"] in ("starting", "migrating") for t in job["tasks"])
        if job["status"] == "running" and job["owner"] and started:
            owner: str = job["owner"]
            return owner
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never started moving")
