"""Host down through the engine and the command line, against the session's real Nova.

compute-1's nova-compute is killed, as when its hypervisor dies; ``vacate host down`` forces
its service down, shows its servers stopped (Nova records no such state: they report
``host_status`` DOWN, and Vacate says that is where the state comes from), waits at the
fencing gate until an operator asserts the host is off, evacuates every server and gives each
the power state it had (Nova 2.95 leaves evacuated servers SHUTOFF: the engine starts the ones
that ran). ``vacate host recover`` is refused until the compute has restarted (Nova's answer),
then brings the host back disabled, in maintenance.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from novacloud import VACATE, Nova, Vacate, outcomes, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.model import ServiceStatus
from vacate.engine.shown import FROM_HOST, RECORDED

DEAD = "compute-1"


def run(vacate: Vacate, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VACATE), *args], env=vacate.env, capture_output=True, text=True, timeout=120
    )


def refused(vacate: Vacate, *args: str) -> str:
    """Run a command that must be refused (exit 4); its one-line message."""
    done = run(vacate, *args)
    assert done.returncode == 4, f"{args}: exit {done.returncode}\n{done.stdout}{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    return message


def recovered(vacate: Vacate, host: str) -> subprocess.CompletedProcess[str] | None:
    """``vacate host recover``'s answer, or None while it is refused as still down."""
    done = run(vacate, "host", "recover", host, "-f", "json")
    if done.returncode == 4 and "still reports down" in done.stderr:
        return None
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def dead_host(cloud: OpenStackCloud, nova: Nova, drained_host: str) -> Iterator[str]:
    """compute-1, empty; afterwards its compute runs again, un-forced and enabled."""
    yield drained_host
    if not cloud.get_host(drained_host).is_up:
        nova.restart(drained_host)
        cloud.force_down(drained_host, False)
        wait_for(f"{drained_host} up", lambda: cloud.get_host(drained_host).is_up, 30.0)
    if cloud.get_host(drained_host).service_status is ServiceStatus.DISABLED:
        cloud.enable_service(drained_host)


def shown(vacate: Vacate, host: str) -> dict[str, dict[str, Any]]:
    """The host's servers as ``vacate host show`` gives them, by name."""
    return {i["name"]: i for i in vacate("host", "show", host)["instances"]}


def test_a_dead_compute_is_reported_down_evacuated_with_its_power_states_and_recovered(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, dead_host: str
) -> None:
    web = nova.boot("down-web", dead_host)
    app = nova.boot("down-app", dead_host)
    batch = nova.boot("down-batch", dead_host)
    nova.act(batch, {"os-stop": None})
    nova.wait_status(batch, "SHUTOFF")
    nova.kill(dead_host)
    assert cloud.get_host(dead_host).state.value == "down"

    # Reported without --fenced: forced down and shown stopped at once, then the job waits at
    # the fencing gate (no BMC is configured) and nothing moves.
    parked = vacate("host", "down", dead_host, "--reason", "PSU dead", check=1)
    assert parked["phase"] == "awaiting_fence", parked
    assert "--fenced" in parked["message"]
    host = cloud.get_host(dead_host)
    assert host.forced_down and host.service_status is ServiceStatus.DISABLED
    before = shown(vacate, dead_host)
    assert set(before) == {"down-web", "down-app", "down-batch"}
    for name in ("down-web", "down-app"):
        # Nova still records them active; Vacate shows them stopped, and says why.
        seen = before[name]
        assert (seen["vm_state"], seen["host_status"]) == ("active", "DOWN"), seen
        assert (seen["shown_state"], seen["shown_state_source"]) == ("stopped", FROM_HOST)
    off = before["down-batch"]
    assert (off["vm_state"], off["shown_state"], off["shown_state_source"]) == (
        "stopped",
        "stopped",
        RECORDED,
    )
    listed = {i["name"]: i for i in vacate("instance", "list", "--host", dead_host)}
    assert listed["down-web"]["shown_state"] == "stopped"
    assert all(nova.migrations_of(s) == [] for s in (web, app, batch))

    # The operator asserts the host is off: the same job goes on and evacuates.
    job = vacate("host", "down", dead_host, "--fenced")
    assert job["id"] == parked["id"]
    assert job["status"] == "succeeded", job
    results = outcomes(job)
    assert set(results) == {"down-web", "down-app", "down-batch"}
    assert all(outcome == "moved" for outcome, _ in results.values()), results
    tasks = {t["instance_id"]: t for t in job["tasks"]}
    for server, status in ((web, "ACTIVE"), (app, "ACTIVE"), (batch, "SHUTOFF")):
        (evacuation,) = nova.migrations_of(server)
        assert evacuation["migration_type"] == "evacuation"
        after = nova.server(server)
        dest = after["OS-EXT-SRV-ATTR:host"]
        assert dest not in (None, dead_host)
        assert tasks[server]["destination"] == dest == evacuation["dest_compute"]
        assert (after["status"], after["OS-EXT-STS:task_state"]) == (status, None), after
    # Only the two that ran were started; the one that was off was left off.
    starts = {s: [b for b in nova.actions(s) if b and "os-start" in b] for s in (web, app, batch)}
    assert (len(starts[web]), len(starts[app]), starts[batch]) == (1, 1, [])
    assert vacate("host", "show", dead_host)["maintenance_state"] == "down"
    assert cloud.list_instances(dead_host) == []

    # Still dead: Nova will not lift the force (its evacuations are recorded `done` until the
    # compute restarts and destroys its copies), and Vacate says what to do.
    message = refused(vacate, "host", "recover", dead_host)
    assert "restart its nova-compute" in message, message
    assert cloud.get_host(dead_host).forced_down
    assert vacate("host", "show", dead_host)["maintenance_state"] == "down"

    # Restarted, the compute reports up at its first heartbeat: until then Vacate refuses, as
    # its service still reports down.
    nova.restart(dead_host)
    done = wait_for(f"{dead_host} recovered", lambda: recovered(vacate, dead_host), 60.0, every=1.0)
    back = json.loads(done.stdout)
    assert back["status"] == "succeeded", back
    host = wait_for(f"{dead_host} up", lambda: (h := cloud.get_host(dead_host)).is_up and h, 30.0)
    assert not host.forced_down and host.service_status is ServiceStatus.DISABLED
    assert vacate("host", "show", dead_host)["maintenance_state"] == "maintenance"
    for server, status in ((web, "ACTIVE"), (batch, "SHUTOFF")):
        assert nova.server(server)["status"] == status  # one copy each, where it was rebuilt


def test_a_report_for_a_host_whose_compute_still_runs_is_refused_without_fenced(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova
) -> None:
    alive = "compute-2"
    server = nova.boot("down-alive", alive)
    message = refused(vacate, "host", "down", alive)
    assert alive in message and "--fenced" in message and "twice" in message, message
    host = cloud.get_host(alive)
    assert host.is_up and not host.forced_down and host.is_enabled
    assert vacate("host", "show", alive)["maintenance_state"] == "operational"
    assert nova.server(server)["status"] == "ACTIVE"
    assert nova.migrations_of(server) == []
