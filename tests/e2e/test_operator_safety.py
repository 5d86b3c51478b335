"""The operator trial's defects, through the real CLI: a host is never reported safe while a
guest still runs on it, and a dead host's plan never says ready."""

from __future__ import annotations

from .conftest import Vacate, by_name, one_line


def test_instances_left_by_policy_are_named_counted_and_running_ones_need_acknowledgement(
    small_cloud: Vacate,
) -> None:
    refused = small_cloud(
        "plan", "h1", "--policy", "active=skip", "--policy", "suspended=skip", check=1
    )
    assert "--allow-skip-running" in one_line(refused.stdout)

    job = small_cloud.json(
        "host", "maintenance", "enable", "h1", "--reason", "fw",
        "--policy", "active=skip", "--policy", "suspended=skip", "--policy", "stopped=skip",
        "--allow-skip-running", "-f", "json",
    )  # fmt: skip

    assert job["status"] == "succeeded"
    assert "empty" not in job["message"]
    assert "4 instance(s) left on it by policy, 2 of them running" in job["message"]
    for name in ("app", "web-1", "db", "sus"):
        assert name in job["message"]
    assert job["summary"]["left_by_policy"] == 4 and job["summary"]["left_running"] == 2
    host = small_cloud.json("host", "show", "h1", "-f", "json")
    assert host["maintenance_state"] == "maintenance" and host["instance_count"] == 4


def test_a_dead_hosts_plan_is_blocked_saying_it_needs_evacuation(small_cloud: Vacate) -> None:
    small_cloud("sim", "kill-host", "h2", check=0)

    plan = small_cloud.json("plan", "h2", "-f", "json", check=1)

    assert plan["ok"] is False
    items = by_name(plan["items"], "instance_name")
    for name in ("web-2", "other"):
        assert items[name]["verdict"] == "blocked"
        assert "down" in items[name]["reason"] and "evacuat" in items[name]["reason"]
    refused = small_cloud("host", "maintenance", "enable", "h2", "--reason", "x", check=1)
    assert "evacuat" in one_line(refused.stderr)
    assert small_cloud.json("job", "list", "-f", "json") == []


def test_a_busy_or_wrong_state_host_is_a_conflict_whatever_its_plan_says(
    small_cloud: Vacate,
) -> None:
    """The host's state is judged before the plan: a second enable on a host in maintenance
    that still holds a blocked instance is exit 4 naming the state, not exit 1."""
    small_cloud(
        "host", "maintenance", "enable", "h1", "--reason", "fw", "--policy", "suspended=skip",
        check=0,
    )  # fmt: skip
    again = small_cloud("host", "maintenance", "enable", "h1", "--reason", "again", check=4)
    assert "'maintenance'" in one_line(again.stderr)
    assert "vacate host maintenance disable h1" in one_line(again.stderr)
