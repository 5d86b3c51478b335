"""The moves back of ``exit --restore`` scheduled from the model (planning/restore_schedule.py)."""

from __future__ import annotations

from vacate.domain.jobs import JobOptions
from vacate.domain.model import (
    GIB,
    MIB,
    Flavor,
    HostName,
    Instance,
    InstanceId,
    PowerState,
    VmState,
    Workload,
)
from vacate.domain.prediction import Approach
from vacate.planning.restore_schedule import MoveBack, schedule_restore

NIC = 3 * GIB


def guest(name: str, dirty_mib_s: float) -> Instance:
    return Instance(
        id=InstanceId(name),
        name=name,
        project="p",
        flavor=Flavor(name="m", vcpus=2, ram_mb=8192, disk_gb=20),
        vm_state=VmState.ACTIVE,
        power_state=PowerState.RUNNING,
        host=HostName("away"),
        workload=Workload(touched_bytes=6 * GIB, dirty_rate=dirty_mib_s * MIB, wss_bytes=1 * GIB),
    )


def back(*instances: Instance) -> list[MoveBack]:
    return [
        MoveBack(
            key=i.id, instance=i, now_on=HostName("away"), now_on_nic_bytes_per_s=NIC, live=True
        )
        for i in instances
    ]


def test_each_move_back_gets_its_approach_like_a_drain() -> None:
    moves = back(guest("calm", 20), guest("hot", 2500))
    found = schedule_restore(
        moves, home_nic_bytes_per_s=NIC, options=JobOptions(reason="x"), stream_cap_bytes_per_s=GIB
    )
    assert found["calm"].approach is Approach.PRE_COPY
    assert found["hot"].approach is Approach.POST_COPY
    no_pc = schedule_restore(
        moves,
        home_nic_bytes_per_s=NIC,
        options=JobOptions(reason="x", allow_post_copy=False),
        stream_cap_bytes_per_s=GIB,
        throttle_initial=True,
    )
    assert no_pc["hot"].approach is Approach.AUTO_CONVERGE
    assert no_pc["hot"].throttle_initial is not None


def test_no_schedule_under_fixed_limits_or_without_the_home_nic_speed() -> None:
    moves = back(guest("hot", 2500))
    fixed = JobOptions(reason="x", fixed_limits=True)
    assert schedule_restore(moves, home_nic_bytes_per_s=NIC, options=fixed) == {}
    assert schedule_restore(moves, home_nic_bytes_per_s=0.0, options=JobOptions(reason="x")) == {}
