"""The whole product on PostgreSQL: drains queued through the CLI, run by two workers at once.

The store's own tests cover PostgreSQL call by call; this one checks that the engine, the
leases and the one-active-job rule hold across real processes sharing a PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

VACATE = Path(sys.executable).parent / "vacate"

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def run(env: dict[str, str], *args: str, check: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(VACATE), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == check, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


def test_two_workers_share_the_queue_on_postgresql_and_run_each_drain_once(
    pg_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VACATE_")}
    env.update(
        VACATE_HOME=str(tmp_path),
        VACATE_DB_URL=pg_url,
        VACATE_SIM_SPEED="max",
        VACATE_LEASE_SECONDS="5",
    )
    run(env, "sim", "init", "--hosts", "6", "--instances", "36", "--seed", "8")
    before = {i["id"]: i for i in as_json(run(env, "instance", "list", "-f", "json"))}
    jobs = []
    for host in ("c02", "c05"):
        queued = run(
            env,
            "host",
            "maintenance",
            "enable",
            host,
            "--reason",
            "pg",
            "--policy",
            "suspended=skip",
            "--policy",
            "error=skip",
            "--no-wait",
            "-f",
            "json",
        )
        jobs.append(as_json(queued)["id"])
    run(env, "host", "maintenance", "enable", "c02", "--reason", "again", check=4)

    workers = [
        subprocess.Popen(
            [str(VACATE), "worker", "--until-idle"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]

    after = {i["id"]: i for i in as_json(run(env, "instance", "list", "-f", "json"))}
    assert after.keys() == before.keys()
    for job_id, host in zip(jobs, ("c02", "c05"), strict=True):
        job = as_json(run(env, "job", "show", job_id, "--events", "-f", "json"))
        assert job["status"] == "succeeded", job["message"]
        started = [e for e in job["events"] if e["kind"] == "job.started"]
        assert len(started) == 1  # one worker ran it, once
        moved = [t for t in job["tasks"] if t["outcome"] == "moved"]
        left = [t for t in job["tasks"] if t["outcome"] != "moved"]
        assert moved
        for task in moved:
            assert after[task["instance_id"]]["host"] == task["destination"]
            assert task["destination"] not in ("c02", "c05")
        assert all(t["outcome"] == "skipped" and t["reason"] for t in left)
        hosts = {h["name"]: h for h in as_json(run(env, "host", "list", "-f", "json"))}
        assert hosts[host]["maintenance_state"] == "maintenance"
        assert hosts[host]["instance_count"] == len(left)  # only what the policy left there
