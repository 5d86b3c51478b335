"""The state Vacate shows for an instance of a host reported down, and where it comes from."""

from __future__ import annotations

from vacate.domain.model import Flavor, HostName, Instance, InstanceId, PowerState, VmState
from vacate.engine.shown import FROM_HOST, RECORDED, shown_state
from vacate.serialize import instance_to_dict


def server(vm_state: VmState, host_status: str | None) -> Instance:
    return Instance(
        id=InstanceId("s-1"),
        name="web",
        project="p",
        flavor=Flavor(name="m1.small", vcpus=1, ram_mb=2048, disk_gb=20),
        vm_state=vm_state,
        power_state=PowerState.RUNNING,
        host=HostName("c1"),
        host_status=host_status,
    )


def test_an_active_server_on_a_down_host_is_shown_stopped_saying_where_that_comes_from() -> None:
    data = instance_to_dict(server(VmState.ACTIVE, "DOWN"), groups={})
    assert data["vm_state"] == "active"  # what the cloud recorded is still reported as is
    assert (data["shown_state"], data["shown_state_source"]) == ("stopped", FROM_HOST)


def test_a_recorded_state_is_shown_as_recorded() -> None:
    assert shown_state(server(VmState.ACTIVE, "UP")) == ("active", RECORDED)
    assert shown_state(server(VmState.ERROR, "DOWN")) == ("error", RECORDED)
    assert shown_state(server(VmState.STOPPED, None)) == ("stopped", RECORDED)
