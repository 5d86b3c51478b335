"""Host down end to end through the CLI on the simulated cloud: the report (refused while the
service is up unless --fenced), evacuation with previous power states restored, an instance in
error left alone, a capacity shortfall with a reason per instance and nothing lost, the
fencing gate without a BMC, and recover with its double-run guard."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from .conftest import Vacate, by_name, one_line

CLOUD = textwrap.dedent(
    """\
    hosts:
      - {name: h1}
      - {name: h2}
      - {name: h3}
    instances:
      - {id: i-app, name: app, host: h1, flavor: m1.medium}
      - {id: i-db, name: db, host: h1, flavor: m1.large, vm_state: stopped}
      - {id: i-bad, name: bad, host: h1, flavor: m1.small, vm_state: error}
      - {id: i-other, name: other, host: h2, flavor: m1.small}
    """
)

#: h1 holds more than h2 can take: 4 × 16 GiB guests onto a 40 GiB host.
TIGHT = textwrap.dedent(
    """\
    hosts:
      - {name: h1}
      - {name: h2, ram_mb: 40000}
    instances:
      - {id: i-b1, name: big-1, host: h1, flavor: m1.xlarge}
      - {id: i-b2, name: big-2, host: h1, flavor: m1.xlarge}
      - {id: i-b3, name: big-3, host: h1, flavor: m1.xlarge}
      - {id: i-b4, name: big-4, host: h1, flavor: m1.xlarge}
    """
)


def load(vacate: Vacate, text: str) -> None:
    path = vacate.home.parent / "cloud.yaml"
    path.write_text(text)
    vacate("sim", "init", "--from-yaml", str(path), check=0)


def instances(vacate: Vacate) -> dict[str, dict[str, Any]]:
    return by_name(vacate.json("instance", "list", "-f", "json"), "id")


def host(vacate: Vacate, name: str) -> dict[str, Any]:
    found: dict[str, Any] = by_name(vacate.json("host", "list", "-f", "json"))[name]
    return found


def test_a_host_still_up_is_refused_unless_fenced_then_evacuated_with_its_power_states(
    vacate: Vacate,
) -> None:
    load(vacate, CLOUD)
    refused = vacate("host", "down", "h1", check=4)
    assert "twice" in one_line(refused.stderr) and "--fenced" in one_line(refused.stderr)
    also = vacate("host-update", "h1", "--report-host-down", check=4)
    assert "twice" in one_line(also.stderr)
    assert host(vacate, "h1")["maintenance_state"] == "operational"
    assert not host(vacate, "h1")["forced_down"]

    job = vacate.json("host", "down", "h1", "--fenced", "--reason", "PSU", "-f", "json")
    assert job["status"] == "succeeded", job["message"]
    now = instances(vacate)
    assert now["i-app"]["host"] in ("h2", "h3") and now["i-app"]["power_state"] == "running"
    assert now["i-db"]["host"] in ("h2", "h3") and now["i-db"]["vm_state"] == "stopped"
    assert now["i-bad"]["host"] == "h1" and now["i-bad"]["vm_state"] == "error"
    tasks = by_name(job["tasks"], "instance_id")
    assert tasks["i-app"]["power_before"] == "running"
    assert tasks["i-bad"]["outcome"] == "skipped" and "error" in tasks["i-bad"]["reason"]
    assert job["summary"]["evacuated"] == 2
    assert job["summary"]["left_alone"] == 1 and job["summary"]["left_by_policy"] == 0
    h1 = host(vacate, "h1")
    assert h1["maintenance_state"] == "down" and h1["forced_down"]
    assert h1["service_status"] == "disabled"

    # h1 was never off: its copy of app still runs there, so it may not come back yet.
    guard = vacate("host", "recover", "h1", check=4)
    assert "app" in one_line(guard.stderr)
    assert "twice" in one_line(guard.stderr)
    vacate("sim", "revive-host", "h1", check=0)  # its compute restarts and cleans up
    back = vacate.json("host", "recover", "h1", "-f", "json")
    assert back["status"] == "succeeded", back["message"]
    h1 = host(vacate, "h1")
    assert h1["maintenance_state"] == "maintenance" and not h1["forced_down"]
    assert h1["service_status"] == "disabled"


def test_a_capacity_shortfall_leaves_each_instance_with_its_reason_and_loses_nothing(
    vacate: Vacate,
) -> None:
    load(vacate, TIGHT)
    before = instances(vacate)
    vacate("sim", "kill-host", "h1", check=0)
    job = vacate.json("host", "down", "h1", "--fenced", "-f", "json", check=1)
    assert job["status"] == "failed"
    tasks = job["tasks"]
    moved = [t for t in tasks if t["outcome"] == "moved"]
    left = [t for t in tasks if t["outcome"] != "moved"]
    assert moved and left
    assert all("no room" in t["reason"] for t in left), left
    after = instances(vacate)
    assert after.keys() == before.keys()
    assert all(after[t["instance_id"]]["host"] == "h1" for t in left)
    assert job["summary"]["left_on_host"] == len(left)
    table = vacate("job", "show", job["id"], check=0).stdout
    assert "no room" in one_line(table)


def test_the_text_summary_of_a_host_down_counts_evacuations_and_no_live_downtime(
    vacate: Vacate,
) -> None:
    load(vacate, CLOUD)
    vacate("sim", "kill-host", "h1", check=0)
    text = one_line(vacate("host", "down", "h1", "--fenced", check=0).stdout)
    summary = text[text.index("Summary:") :]
    assert "evacuated 2" in summary and "1 left alone" in summary, summary
    assert "evacuation time" in summary and "drain time" not in summary, summary
    assert "live-migration downtime" not in summary, summary  # nothing moved live


def test_without_a_bmc_the_report_waits_at_the_gate_until_fenced(vacate: Vacate) -> None:
    load(vacate, CLOUD)
    vacate("sim", "kill-host", "h1", check=0)
    waiting = vacate("host", "down", "h1", check=1)
    text = one_line(waiting.stdout)
    assert "waits at the fencing gate" in text and "no BMC is configured for h1" in text
    now = instances(vacate)
    assert now["i-app"]["host"] == "h1" and now["i-app"]["vm_state"] == "stopped"
    assert host(vacate, "h1")["maintenance_state"] == "down"
    job = vacate.json("host", "down", "h1", "--fenced", "-f", "json")
    assert job["status"] == "succeeded", job["message"]
    assert instances(vacate)["i-app"]["power_state"] == "running"
    jobs = vacate.json("job", "list", "-f", "json")
    assert sum(j["kind"] == "host_down" for j in jobs) == 1


def test_no_evacuate_only_marks_and_an_unknown_host_is_named(
    vacate: Vacate, tmp_path: Path
) -> None:
    load(vacate, CLOUD)
    vacate("sim", "kill-host", "h1", check=0)
    job = vacate.json("host", "down", "h1", "--no-evacuate", "--fenced", "-f", "json")
    assert job["status"] == "succeeded"
    now = instances(vacate)
    assert now["i-app"]["host"] == "h1" and now["i-app"]["vm_state"] == "stopped"
    missing = vacate("host", "down", "nowhere", "--fenced", check=3)
    assert "nowhere" in missing.stderr


PRIORITY_CLOUD = textwrap.dedent(
    """\
    hosts:
      - {name: h1}
      - {name: h2}
    instances:
      - {id: i-a, name: a-batch, host: h1, flavor: m1.small}
      - {id: i-b, name: b-web, host: h1, flavor: m1.small}
      - {id: i-z, name: z-db, host: h1, flavor: m1.small, metadata: {"vacate:priority": "10"}}
    """
)


def test_the_priority_in_an_instances_metadata_from_the_cloud_file_goes_first(
    vacate: Vacate,
) -> None:
    load(vacate, PRIORITY_CLOUD)
    vacate("sim", "kill-host", "h1", check=0)
    job = vacate.json("host", "down", "h1", "--fenced", "-f", "json")
    assert job["status"] == "succeeded", job["message"]
    events = vacate.json("job", "show", job["id"], "--events", "-f", "json")["events"]
    started = [e["instance_id"] for e in events if e["kind"] == "task.started"]
    assert started and started[0] == "i-z", started  # by name alone it would come last
