"""Planning inputs built from the cloud's instances: group members' hosts and in-flight room."""

from __future__ import annotations

from vacate.domain.model import HostName, InstanceId, VmState
from vacate.planning.filters import group_hosts
from vacate.planning.hoststate import build_host_states

from .builders import host, vm


def test_group_hosts_lists_the_other_members_hosts_never_the_instance_itself() -> None:
    me = vm("me", on="c1", groups=["g"])
    others = [vm("a", on="c2", groups=["g"]), vm("b", on="c3", groups=["g"]), vm("x", on="c4")]
    assert group_hosts(me, [me, *others]) == {"g": frozenset({"c2", "c3"})}


def test_group_hosts_leaves_out_the_source_and_deleted_members() -> None:
    me = vm("me", on="c1", groups=["g"])
    peer = vm("peer", on="c1", groups=["g"])  # also on the host being drained
    gone = vm("gone", on="c5", groups=["g"], vm_state=VmState.DELETED)
    far = vm("far", on="c2", groups=["g"])
    found = group_hosts(me, [me, peer, gone, far], source=HostName("c1"))
    assert found == {"g": frozenset({"c2"})}


def test_group_hosts_counts_a_member_in_flight_where_it_is_going() -> None:
    me = vm("me", on="c1", groups=["g"])
    moving = vm("moving", on="c1", groups=["g"])
    found = group_hosts(
        me,
        [me, moving],
        source=HostName("c1"),
        inflight={InstanceId("id-moving"): HostName("c7")},
    )
    assert found == {"g": frozenset({"c7"})}


def test_a_move_in_flight_holds_room_on_its_destination_as_well_as_its_source() -> None:
    hosts = [host("c1"), host("c2")]
    moving = vm("moving", on="c1", ram_mb=4096)
    states = build_host_states(
        hosts, [moving], {}, inflight={InstanceId("id-moving"): HostName("c2")}
    )
    assert states[HostName("c1")].ram_mb_used == 4096
    assert states[HostName("c2")].ram_mb_used == 4096
    plain = build_host_states(hosts, [moving], {})
    assert plain[HostName("c2")].ram_mb_used == 0
