"""Servers of a host against a real Nova: exact host, states, flavor, groups, addresses."""

from __future__ import annotations

import pytest
from novacloud import Nova, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.errors import NotFound
from vacate.domain.model import GroupPolicy, InstanceId, MigrationId, PowerState, VmState


def test_servers_of_compute_1_are_exactly_its_own(cloud: OpenStackCloud, nova: Nova) -> None:
    group = nova.group("web", "anti-affinity")
    running = nova.boot("web-1", "compute-1", group=group)
    stopped = nova.boot("batch-1", "compute-1", flavor="2")
    paused = nova.boot("db-1", "compute-1")
    elsewhere = nova.boot("web-10", "compute-10")
    nova.act(stopped, {"os-stop": None})
    nova.wait_status(stopped, "SHUTOFF")
    nova.act(paused, {"pause": None})
    nova.wait_status(paused, "PAUSED")
    nova.act(paused, {"lock": None})

    found = {i.id: i for i in cloud.list_instances("compute-1")}
    assert {running, stopped, paused} <= set(found)
    assert elsewhere not in found
    assert {i.host for i in found.values()} == {"compute-1"}
    assert elsewhere in {i.id for i in cloud.list_instances("compute-10")}

    web = found[InstanceId(running)]
    assert (web.vm_state, web.power_state, web.task_state) == (
        VmState.ACTIVE,
        PowerState.RUNNING,
        None,
    )
    assert (web.flavor.name, web.flavor.vcpus, web.flavor.ram_mb, web.flavor.disk_gb) == (
        "m1.tiny",
        1,
        512,
        1,
    )
    assert web.server_groups == (group,)
    assert web.addresses and all(a.count(".") == 3 for a in web.addresses)
    assert web.az == "nova" and web.project and not web.locked

    batch = found[InstanceId(stopped)]
    assert (batch.vm_state, batch.power_state) == (VmState.STOPPED, PowerState.SHUTDOWN)
    assert batch.flavor.name == "m1.small" and batch.server_groups == ()

    db = found[InstanceId(paused)]
    assert (db.vm_state, db.power_state, db.locked) == (VmState.PAUSED, PowerState.PAUSED, True)
    nova.act(paused, {"unlock": None})

    # One server, read alone, says the same.
    assert cloud.get_instance(InstanceId(running)) == web


def test_server_groups_carry_their_policies(cloud: OpenStackCloud, nova: Nova) -> None:
    made = {
        policy: nova.group(f"g-{policy}", policy)
        for policy in ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity")
    }
    groups = {g.id: g for g in cloud.list_server_groups()}
    for policy, group_id in made.items():
        assert groups[group_id].policy is GroupPolicy(policy)
    assert groups[made["anti-affinity"]].is_hard and not groups[made["soft-affinity"]].is_hard


def test_a_deleted_server_reads_as_gone(cloud: OpenStackCloud, nova: Nova) -> None:
    server = InstanceId(nova.boot("short-lived", "compute-2"))
    nova.api("DELETE", f"/servers/{server}")
    gone = wait_for(
        "the deletion", lambda: (i := cloud.get_instance(server)).vm_state is VmState.DELETED and i
    )
    assert gone.is_gone and gone.id == server


def test_unknown_things_are_not_found(cloud: OpenStackCloud) -> None:
    with pytest.raises(NotFound):
        cloud.get_instance(InstanceId("00000000-0000-0000-0000-000000000000"))
    with pytest.raises(NotFound):
        cloud.list_instances("compute-")
    with pytest.raises(NotFound):
        cloud.get_migration(MigrationId("00000000-0000-0000-0000-000000000000/999"))
