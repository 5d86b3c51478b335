"""The codec's decoded records are the values the dataclasses would build, field for field."""

from __future__ import annotations

import dataclasses

from vacate.clouds.sim.codec import instance_from_dict, instance_to_dict
from vacate.domain.model import (
    Flavor,
    GroupId,
    HostName,
    Instance,
    InstanceId,
    PowerState,
    VmState,
    Workload,
)


def full_instance() -> Instance:
    return Instance(
        id=InstanceId("inst-1"),
        name="web-1",
        project="shop",
        flavor=Flavor(name="m1.large", vcpus=4, ram_mb=8192, disk_gb=80),
        vm_state=VmState.STOPPED,
        power_state=PowerState.SHUTDOWN,
        host=HostName("c1"),
        task_state="migrating",
        server_groups=(GroupId("g1"), GroupId("g2")),
        addresses=("10.0.0.5",),
        locked=True,
        az="az2",
        workload=Workload(touched_bytes=1.0, dirty_rate=2.0, wss_bytes=3.0),
        metadata=(("a", "1"), ("vacate:priority", "10")),
    )


def test_a_decoded_instance_equals_the_one_encoded_and_has_every_field_set() -> None:
    inst = full_instance()
    back = instance_from_dict(instance_to_dict(inst))
    assert back == inst
    assert set(vars(back)) == {f.name for f in dataclasses.fields(Instance)}
    plain = dataclasses.replace(inst, server_groups=(), metadata=(), workload=None, host=None)
    assert instance_from_dict(instance_to_dict(plain)) == plain


def test_equal_flavors_decode_to_one_value_and_different_ones_stay_apart() -> None:
    a = instance_to_dict(full_instance())
    b = instance_to_dict(dataclasses.replace(full_instance(), id=InstanceId("inst-2")))
    first, second = instance_from_dict(a), instance_from_dict(b)
    assert first.flavor is second.flavor
    b["flavor"]["ram_mb"] = 4096
    assert instance_from_dict(b).flavor.ram_mb == 4096
    assert instance_from_dict(a).flavor.ram_mb == 8192
