"""The arithmetic of room on OpenStack, without a Nova: allocations the servers do not explain
come off the host's usable amounts, rounded down, in allocated units (after the ratios)."""

from __future__ import annotations

from vacate.clouds.openstack.capacity import Amounts, HostCapacity, Inventory, from_hypervisor
from vacate.clouds.openstack.usage import flavor_amounts, servers_used, usable

INV = Inventory(vcpus=8, ram_mb=15872, disk_gb=400, cpu_allocation_ratio=4.0)


def server(host: str | None, vm_state: str = "active", **flavor: int) -> dict[str, object]:
    return {
        "OS-EXT-SRV-ATTR:host": host,
        "OS-EXT-STS:vm_state": vm_state,
        "flavor": {"vcpus": 2, "ram": 2048, "disk": 20, **flavor},
    }


def test_servers_count_on_their_host_with_swap_as_whole_gigabytes_of_disk() -> None:
    used = servers_used(
        [
            server("a"),
            server("a", swap=512, ephemeral=5),
            server("b", vm_state="shelved_offloaded"),
            server(None),
        ]
    )
    assert used == {"a": Amounts(vcpus=4, ram_mb=4096, disk_gb=20 + 20 + 5 + 1)}
    assert flavor_amounts(server("a", swap=2048)).disk_gb == 22


def test_only_what_the_servers_do_not_explain_comes_off() -> None:
    counted = Amounts(vcpus=4, ram_mb=4096, disk_gb=40)
    same = HostCapacity(inventory=INV, used=counted, source="placement")
    assert usable(same, counted) == INV
    more = HostCapacity(
        inventory=INV, used=Amounts(vcpus=6, ram_mb=10240, disk_gb=40), source="placement"
    )
    less = usable(more, counted)
    assert (less.vcpus, less.ram_mb, less.disk_gb) == (7, 15872 - 6144, 400)
    assert less.cpu_allocation_ratio == 4.0
    # Fewer allocations than servers (a move's bookkeeping lagging) never adds room.
    assert usable(HostCapacity(inventory=INV, used=Amounts(), source="placement"), counted) == INV


def test_a_full_host_has_no_room_beyond_its_servers() -> None:
    counted = Amounts(vcpus=4, ram_mb=4096, disk_gb=40)
    full = HostCapacity(
        inventory=INV, used=Amounts(vcpus=32, ram_mb=15872, disk_gb=400), source="placement"
    )
    room = usable(full, counted)
    assert room.vcpus * room.cpu_allocation_ratio <= counted.vcpus
    assert room.ram_mb <= counted.ram_mb and room.disk_gb <= counted.disk_gb


def test_hypervisor_figures_count_reserved_memory_as_used_with_novas_default_ratios() -> None:
    hyp = {"vcpus": 8, "memory_mb": 16384, "local_gb": 400, "memory_mb_used": 512 + 2048}
    one = from_hypervisor(hyp)
    assert (one.inventory.cpu_allocation_ratio, one.inventory.ram_allocation_ratio) == (4.0, 1.0)
    room = usable(one, Amounts(ram_mb=2048))
    assert (room.vcpus, room.ram_mb, room.disk_gb) == (8, 16384 - 512, 400)
