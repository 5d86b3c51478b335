"""Read models: hosts with usage and maintenance state, as every interface shows them, and the
compatibility ``os-hosts`` answer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from vacate.collector import paused
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import Host, Instance
from vacate.engine.context import Context
from vacate.planning.hoststate import holds_resources
from vacate.ports.store import HostMaintenance


@dataclass(frozen=True, kw_only=True)
class HostView:
    host: Host
    maintenance: HostMaintenance
    instance_count: int
    vcpus_used: int
    ram_mb_used: int
    disk_gb_used: int


def group_names(ctx: Context) -> dict[str, str]:
    """Server group id → name: every interface shows names (ids only for a group it lost)."""
    return {g.id: g.name for g in ctx.cloud.list_server_groups()}


def host_views(ctx: Context, only: str | None = None) -> list[HostView]:
    """One view per host (or only ``only``, by exact name: ``NotFound`` names it)."""
    with paused():  # a view per host: many small records, none in a cycle
        return _host_views(ctx, only)


def _host_views(ctx: Context, only: str | None) -> list[HostView]:
    hosts = [ctx.cloud.get_host(only)] if only else ctx.cloud.list_hosts()
    instances = ctx.cloud.list_instances(hosts[0].name) if only else ctx.cloud.list_instances()
    by_host: dict[str, list[Instance]] = defaultdict(list)
    for inst in instances:
        if inst.host is not None and holds_resources(inst):
            by_host[inst.host].append(inst)
    records = {m.host: m for m in ctx.store.list_maintenance()}
    views = []
    for host in hosts:
        mine = by_host.get(host.name, [])
        views.append(
            HostView(
                host=host,
                maintenance=records.get(
                    host.name,
                    HostMaintenance(host=host.name, state=MaintenanceState.OPERATIONAL),
                ),
                instance_count=len(mine),
                vcpus_used=sum(i.flavor.vcpus for i in mine),
                ram_mb_used=sum(i.flavor.ram_mb for i in mine),
                disk_gb_used=sum(i.flavor.disk_gb for i in mine),
            )
        )
    return views


#: Nova's ``maintenance_mode`` words for Vacate's states (the os-hosts document's shape).
_MAINTENANCE_MODE = {
    MaintenanceState.OPERATIONAL: "off_maintenance",
    MaintenanceState.ENTERING: "entering",
    MaintenanceState.MAINTENANCE: "on_maintenance",
    MaintenanceState.EXITING: "exiting",
    MaintenanceState.ERROR: "error",
    MaintenanceState.DOWN: "down",
}


def os_host(view: HostView) -> dict[str, str]:
    """``{"host", "status", "maintenance_mode"}``: the answer of ``nova host-update``."""
    return {
        "host": view.host.name,
        "status": "enabled" if view.host.is_enabled else "disabled",
        "maintenance_mode": _MAINTENANCE_MODE[view.maintenance.state],
    }
