"""A host-down job survives its worker being SIGKILLed while it waits at the fencing gate and
again while it evacuates: the next worker takes it over, nothing is evacuated twice, nothing
is lost, and every guest that ran runs again — once."""

from __future__ import annotations

import signal
import subprocess
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from vacate.clouds.sim.state import FileState

from .conftest import Vacate, by_name

pytestmark = pytest.mark.slow

WORKER_ENV = {"VACATE_LEASE_SECONDS": "1", "VACATE_POLL_SECONDS": "1"}
GUESTS = 5
CLOUD = "hosts:\n  - {name: h1}\n  - {name: h2}\n  - {name: h3}\ninstances:\n" + "".join(
    f"  - {{id: i-{n}, name: vm-{n}, host: h1, flavor: m1.medium}}\n" for n in range(GUESTS)
)


def wait_for(vacate: Vacate, job_id: str, ok: Any, what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        job = vacate.json("job", "show", job_id, "-f", "json")
        if ok(job):
            return
        assert job["status"] in ("queued", "running"), f"{what}: {job['status']} {job['message']}"
        assert time.monotonic() < deadline, f"never {what}: {job['phase']} {job['message']}"
        time.sleep(0.2)


def kill(worker: subprocess.Popen[str]) -> None:
    assert worker.poll() is None, "the worker died on its own"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL


def evacuations(home: Path) -> Counter[str]:
    """Evacuations the simulated cloud accepted, per instance (its own record)."""
    with FileState(home / "sim-cloud.db").session() as state:
        moves = list(state.transfers.values())
    return Counter(t.instance_id for t in moves if t.kind == "evacuation")


def test_the_job_resumes_after_kills_at_the_gate_and_mid_evacuation_without_doubling(
    tmp_path: Path,
) -> None:
    # Real time (speed 1): an evacuation takes 30 s, long enough to kill a worker inside it.
    vacate = Vacate(tmp_path / "home", speed="1")
    path = tmp_path / "cloud.yaml"
    path.write_text(textwrap.dedent(CLOUD))
    vacate("sim", "init", "--from-yaml", str(path), check=0)
    before = by_name(vacate.json("instance", "list", "-f", "json"), "id")
    vacate("sim", "kill-host", "h1", check=0)
    job_id = vacate.json("host", "down", "h1", "--no-wait", "-f", "json")["id"]

    worker = vacate.popen("worker", env_extra=WORKER_ENV)
    wait_for(
        vacate, job_id, lambda j: j["phase"] == "awaiting_fence" and j["message"], "at the gate"
    )
    kill(worker)
    assert not evacuations(vacate.home)

    again = vacate.json("host", "down", "h1", "--fenced", "--no-wait", "-f", "json")
    assert again["id"] == job_id
    worker = vacate.popen("worker", env_extra=WORKER_ENV)
    wait_for(
        vacate,
        job_id,
        lambda j: any(t["status"] == "migrating" for t in j["tasks"]),
        "evacuating",
    )
    kill(worker)
    assert evacuations(vacate.home)

    vacate("worker", "--until-idle", env_extra=WORKER_ENV, check=0)
    job = vacate.json("job", "show", job_id, "--events", "-f", "json")
    assert job["status"] == "succeeded", job["message"]
    assert "job.taken-over" in {e["kind"] for e in job["events"]}
    assert evacuations(vacate.home) == Counter({iid: 1 for iid in before})
    after = by_name(vacate.json("instance", "list", "-f", "json"), "id")
    assert after.keys() == before.keys()
    assert all(i["host"] in ("h2", "h3") and i["power_state"] == "running" for i in after.values())
