"""Never tell an operator a host is safe when it is not (the operator trial's defects)."""

from __future__ import annotations

from typing import Any

from vacate.domain.jobs import JobPhase, JobStatus
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName

from .rig import RigFactory, cloud_of, vm


def test_a_service_enabled_behind_the_drains_back_is_disabled_again_before_maintenance(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b")]))
    meddled: list[bool] = []

    def enable_during_the_moves(job: Any) -> None:
        if job.phase is JobPhase.MOVE and not meddled:
            rig.cloud.enable_service("src")  # another tool, or a hand
            meddled.append(True)

    rig.observers.append(enable_during_the_moves)
    job = rig.drain("src", reason="fw")

    assert meddled
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.MAINTENANCE
    assert not rig.cloud.get_host("src").is_enabled, "maintenance with an enabled service"
    kinds = [e.message for e in rig.store.list_events(job.id) if e.kind == "service.disabled"]
    assert any("disabled again" in m for m in kinds)
