"""``job show --events``: the job's story, in order, as scripts and people read it."""

from __future__ import annotations

import pytest

from .conftest import Vacate

pytestmark = pytest.mark.slow


def test_the_event_log_tells_the_drain_in_the_order_it_happened(small_cloud: Vacate) -> None:
    job = small_cloud.json(
        "host",
        "maintenance",
        "enable",
        "h1",
        "--reason",
        "fw",
        "--policy",
        "suspended=skip",
        "-f",
        "json",
    )
    shown = small_cloud.json("job", "show", job["id"], "--events", "-f", "json")
    events = shown["events"]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "job.queued" and kinds[-1] == "job.succeeded"
    assert kinds.index("service.disabled") < kinds.index("task.started")
    moved = {e["instance_id"] for e in events if e["kind"] == "task.moved"}
    assert moved == {t["instance_id"] for t in shown["tasks"] if t["outcome"] == "moved"}
    table = small_cloud("job", "show", job["id"], "--events", check=0).stdout
    assert "service.disabled" in table and "vacate: fw" in table
