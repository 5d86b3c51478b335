"""Kill the worker mid-drain, at random moments, and check that nothing was lost or doubled.

For each seed: a generated cloud (6 hosts, 40 instances, with the hard anti-affinity group
``grp-web``), a drain of its busiest host queued with ``--no-wait``, one or two background
``vacate worker`` processes each SIGKILLed after a random delay, then ``vacate worker
--until-idle`` to finish the job. Whatever the moment of the kills, the end state must be one a
careful operator could have reached by hand:

* the job is finished (succeeded, or failed saying why), with one task per instance of the host;
* every instance that existed still exists, exactly once, and nothing else appeared;
* only the drained host's instances moved, none onto it, each to where its task says;
* no host is over its capacity, and the members of ``grp-web`` are on distinct hosts;
* an instance still on the drained host has a task that says why (not "moved");
* no instance is left mid-migration (a task_state, or a resize never confirmed);
* the host's maintenance state and service match the job's result;
* the event log is exactly the history of that state: numbered 1, 2, 3 … without a gap, one
  ``job.<status>`` event for the job's end and one ``task.<outcome>`` per task, the last state
  change naming the host's state — whatever line the kills landed on.

``vacate worker --until-idle`` is started at once after the last kill: it must wait for the
dead worker's lease to expire and take the job over, not exit because nothing is claimable.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from typing import Any

import pytest

from .conftest import Vacate, by_name

pytestmark = pytest.mark.slow

LEASE_S = 1.0
WORKER_ENV = {"VACATE_LEASE_SECONDS": str(int(LEASE_S)), "VACATE_POLL_SECONDS": "1"}
SEEDS = [1, 2, 3]


def _busiest(instances: list[dict[str, Any]]) -> str:
    counts = Counter(i["host"] for i in instances)
    return max(sorted(counts), key=lambda h: counts[h])


def _kill_workers(cli: Vacate, rng: random.Random) -> list[float]:
    """Start ``vacate worker`` and SIGKILL it after a random delay, once or twice.

    The first worker usually dies in the middle of the moves, a second one while it takes
    the job over (its lease must expire first)."""
    delays = []
    for _ in range(rng.randint(1, 2)):
        worker = cli.popen("worker", env_extra=WORKER_ENV)
        delay = rng.uniform(0.6, 1.6)
        time.sleep(delay)
        exited_alone = worker.poll()
        worker.kill()
        worker.wait(timeout=30)
        assert exited_alone is None, (
            f"`vacate worker` died on its own (exit {exited_alone}) before it was killed; "
            f"see {cli.home / 'logs'}"
        )
        assert worker.returncode == -signal.SIGKILL
        delays.append(round(delay, 2))
    return delays


@pytest.mark.parametrize("seed", SEEDS)
def test_a_drain_survives_its_worker_being_killed_at_random_moments(
    vacate: Vacate, seed: int
) -> None:
    rng = random.Random(seed)
    vacate("sim", "init", "--hosts", "6", "--instances", "40", "--seed", str(seed), check=0)
    before = by_name(vacate.json("instance", "list", "-f", "json"), "id")
    drained = _busiest(list(before.values()))
    on_drained = {i for i, inst in before.items() if inst["host"] == drained}
    policy = ["--policy", "suspended=skip", "--policy", "error=skip"] if rng.random() < 0.5 else []
    queued = vacate.json(
        "host",
        "maintenance",
        "enable",
        drained,
        "--reason",
        "crash test",
        "--no-wait",
        *policy,
        "-f",
        "json",
    )

    delays = _kill_workers(vacate, rng)
    vacate("worker", "--until-idle", env_extra=WORKER_ENV, check=0)

    context = f"seed {seed}, drained {drained}, policy {policy}, kills after {delays} s"
    job = vacate.json("job", "show", queued["id"], "--events", "-f", "json")
    hosts = by_name(vacate.json("host", "list", "-f", "json"))
    after_list = vacate.json("instance", "list", "-f", "json")

    # The job is over, and says why if it failed.
    assert job["status"] in ("succeeded", "failed"), f"{context}: {job['status']} {job['phase']}"
    assert job["phase"] == "done", context
    tasks = by_name(job["tasks"], "instance_id")
    assert set(tasks) == on_drained, context
    assert all(t["outcome"] is not None for t in tasks.values()), context
    if job["status"] == "failed":
        assert job["message"], context
        assert any(t["outcome"] != "moved" and t["reason"] for t in tasks.values()), context

    # Every instance exactly once; only the drained host's ones moved, each where its task says.
    ids_after = [i["id"] for i in after_list]
    assert len(ids_after) == len(set(ids_after)), f"{context}: duplicated instances"
    after = by_name(after_list, "id")
    assert after.keys() == before.keys(), f"{context}: {after.keys() ^ before.keys()}"
    for iid, inst in after.items():
        if iid not in on_drained:
            assert inst["host"] == before[iid]["host"], f"{context}: {inst['name']} moved"
            continue
        task = tasks[iid]
        if inst["host"] == drained:
            assert task["outcome"] != "moved", (
                f"{context}: {inst['name']} 'moved' but is still here"
            )
            assert task["reason"], f"{context}: {inst['name']} left on {drained} without a reason"
        else:
            assert task["outcome"] == "moved", f"{context}: {inst['name']} moved, task {task}"
            assert inst["host"] == task["destination"], f"{context}: {inst['name']}"
        assert inst["task_state"] is None, f"{context}: {inst['name']} left mid-migration"
        assert inst["vm_state"] != "resized", f"{context}: {inst['name']} resize not confirmed"

    # Capacity and the hard anti-affinity group hold everywhere.
    for host in hosts.values():
        assert host["vcpus_used"] <= host["vcpus_capacity"], f"{context}: {host}"
        assert host["ram_mb_used"] <= host["ram_mb_capacity"], f"{context}: {host}"
    web_hosts = [i["host"] for i in after_list if "grp-web" in i["server_groups"]]
    assert len(web_hosts) >= 2, f"{context}: the generated cloud has no web group"
    assert len(web_hosts) == len(set(web_hosts)), f"{context}: grp-web shares a host {web_hosts}"

    # The host says what the job did.
    host = hosts[drained]
    expected_state = "maintenance" if job["status"] == "succeeded" else "error"
    assert host["maintenance_state"] == expected_state, context
    assert host["service_status"] == "disabled", context
    assert host["disabled_reason"].startswith("vacate:"), context

    # The event log is the history of exactly this state.
    events = job["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), context
    ends = [e for e in events if e["kind"].startswith("job.") and e["kind"][4:] in
            ("succeeded", "failed", "cancelled")]  # fmt: skip
    assert [e["kind"] for e in ends] == [f"job.{job['status']}"], context
    assert events[-1] == ends[0], f"{context}: events after the job ended"
    for iid, task in tasks.items():
        outcome_events = [
            e for e in events if e["instance_id"] == iid and e["kind"] == f"task.{task['outcome']}"
        ]
        assert len(outcome_events) == 1, f"{context}: {task['instance_name']} {outcome_events}"
        assert outcome_events[0]["data"]["outcome"] == task["outcome"], context
    changes = [e for e in events if e["kind"] == "state.changed"]
    assert changes and changes[-1]["data"]["after"] == expected_state, context
