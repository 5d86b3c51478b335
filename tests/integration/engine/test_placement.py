"""``--placement``: the plan's destination is sent to the cloud, or none (its scheduler
chooses), on the simulated cloud; the results record where each instance really went."""

from __future__ import annotations

from typing import Any

import pytest

from vacate.domain.jobs import JobStatus, Outcome, Placement
from vacate.domain.model import HostName, InstanceId

from .rig import Rig, RigFactory, cloud_of, vm


def record_destinations(rig: Rig) -> list[tuple[str, HostName | None]]:
    """Every move start the engine sends, with the destination it names."""
    sent: list[tuple[str, HostName | None]] = []
    for name in ("live_migrate", "cold_migrate"):
        real = getattr(rig.cloud, name)

        def call(iid: InstanceId, dest: HostName | None, real: Any = real, **kw: Any) -> Any:
            sent.append((str(iid), dest))
            return real(iid, dest, **kw)

        setattr(rig.cloud, name, call)
    return sent


@pytest.mark.parametrize("placement", [None, Placement.VACATE])
def test_the_simulated_cloud_is_sent_the_planned_destination_by_default_and_with_vacate(
    make_rig: RigFactory, placement: Placement | None
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b", vm_state="stopped")]))
    sent = record_destinations(rig)
    job = rig.drain("src", reason="firmware", placement=placement)
    assert job.status is JobStatus.SUCCEEDED, job.message
    planned = {t.instance_id: t.planned_destination for t in job.tasks}
    assert sorted(sent) == sorted(planned.items())
    assert all(dest is not None for _, dest in sent)
    assert {t.instance_id: t.destination for t in job.tasks} == planned


def test_with_nova_placement_no_destination_is_sent_and_the_result_says_where_it_went(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b", vm_state="stopped")]))
    sent = record_destinations(rig)
    job = rig.drain("src", reason="firmware", placement=Placement.NOVA)
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert sorted(sent) == [("a", None), ("b", None)]
    hosts = rig.hosts_of()
    for task in job.tasks:
        assert task.outcome is Outcome.MOVED
        assert task.destination == hosts[task.instance_id] != "src"
        assert task.planned_destination is not None  # the preflight still predicted one
    started = [e.message for e in rig.store.list_events(job.id) if e.kind == "task.started"]
    assert started and all("scheduler chooses" in m for m in started), started


def test_a_pinned_target_is_sent_even_with_nova_placement(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    sent = record_destinations(rig)
    job = rig.drain("src", reason="firmware", placement=Placement.NOVA, target=HostName("d2"))
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert sent == [("a", "d2")]
    assert rig.hosts_of()[InstanceId("a")] == "d2"
