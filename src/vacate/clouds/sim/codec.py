"""JSON-safe dicts for the simulated cloud's hosts, instances and groups (its persisted state)."""

from __future__ import annotations

from typing import Any

from vacate.domain.model import (
    Flavor,
    GroupId,
    GroupPolicy,
    Host,
    HostName,
    Instance,
    InstanceId,
    PowerState,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    VmState,
    Workload,
)


def _by_value(kind: Any) -> Any:
    """``kind(value)`` as a dict lookup (an Enum call is slow, and a cloud has many records);
    an unknown value still raises ``ValueError``."""
    members = {m.value: m for m in kind}

    def parse(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return kind(value)

    return parse


_SERVICE_STATUS = _by_value(ServiceStatus)
_SERVICE_STATE = _by_value(ServiceState)
_VM_STATE = _by_value(VmState)
_POWER_STATE = _by_value(PowerState)


def host_to_dict(host: Host) -> dict[str, Any]:
    return {
        "name": host.name,
        "az": host.az,
        "service_status": host.service_status.value,
        "state": host.state.value,
        "disabled_reason": host.disabled_reason,
        "forced_down": host.forced_down,
        "vcpus": host.vcpus,
        "ram_mb": host.ram_mb,
        "disk_gb": host.disk_gb,
        "cpu_allocation_ratio": host.cpu_allocation_ratio,
        "ram_allocation_ratio": host.ram_allocation_ratio,
        "disk_allocation_ratio": host.disk_allocation_ratio,
        "nic_bytes_per_s": host.nic_bytes_per_s,
        "aggregates": list(host.aggregates),
    }


def host_from_dict(d: dict[str, Any]) -> Host:
    return Host(
        name=HostName(d["name"]),
        az=str(d.get("az", "nova")),
        service_status=_SERVICE_STATUS(d.get("service_status", "enabled")),
        state=_SERVICE_STATE(d.get("state", "up")),
        disabled_reason=d.get("disabled_reason"),
        forced_down=bool(d.get("forced_down", False)),
        vcpus=int(d["vcpus"]),
        ram_mb=int(d["ram_mb"]),
        disk_gb=int(d["disk_gb"]),
        cpu_allocation_ratio=float(d.get("cpu_allocation_ratio", 4.0)),
        ram_allocation_ratio=float(d.get("ram_allocation_ratio", 1.0)),
        disk_allocation_ratio=float(d.get("disk_allocation_ratio", 1.0)),
        nic_bytes_per_s=float(d["nic_bytes_per_s"]),
        aggregates=tuple(d.get("aggregates", ())),
    )


def flavor_to_dict(flavor: Flavor) -> dict[str, Any]:
    return {
        "name": flavor.name,
        "vcpus": flavor.vcpus,
        "ram_mb": flavor.ram_mb,
        "disk_gb": flavor.disk_gb,
    }


def flavor_from_dict(d: dict[str, Any]) -> Flavor:
    # A cloud has many instances and few flavors: equal flavors decode to one shared value.
    key = (d["name"], d["vcpus"], d["ram_mb"], d["disk_gb"])
    found = _FLAVORS.get(key)
    if found is None:
        if len(_FLAVORS) >= _MAX_FLAVORS:
            _FLAVORS.clear()
        found = _FLAVORS[key] = Flavor(
            name=str(d["name"]),
            vcpus=int(d["vcpus"]),
            ram_mb=int(d["ram_mb"]),
            disk_gb=int(d["disk_gb"]),
        )
    return found


_FLAVORS: dict[tuple[Any, ...], Flavor] = {}
_MAX_FLAVORS = 4096


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    w = inst.workload
    return {
        "id": inst.id,
        "name": inst.name,
        "project": inst.project,
        "flavor": flavor_to_dict(inst.flavor),
        "vm_state": inst.vm_state.value,
        "power_state": inst.power_state.value,
        "task_state": inst.task_state,
        "host": inst.host,
        "server_groups": list(inst.server_groups),
        "addresses": list(inst.addresses),
        "locked": inst.locked,
        "az": inst.az,
        "metadata": dict(inst.metadata),
        "workload": None
        if w is None
        else {
            "touched_bytes": w.touched_bytes,
            "dirty_rate": w.dirty_rate,
            "wss_bytes": w.wss_bytes,
        },
    }


def instance_from_dict(d: dict[str, Any]) -> Instance:
    w = d.get("workload")
    metadata = d.get("metadata")
    # Built field by field (a frozen dataclass's __init__ sets each field through
    # ``object.__setattr__``, which dominates loading a cloud of many instances); the values
    # are exactly what ``Instance(...)`` would hold.
    inst: Instance = object.__new__(Instance)
    inst.__dict__.update(
        id=InstanceId(d["id"]),
        name=str(d["name"]),
        project=str(d.get("project", "demo")),
        flavor=flavor_from_dict(d["flavor"]),
        vm_state=_VM_STATE(d.get("vm_state", "active")),
        power_state=_POWER_STATE(d.get("power_state", "running")),
        host=HostName(d["host"]) if d.get("host") else None,
        task_state=d.get("task_state"),
        server_groups=tuple(GroupId(g) for g in d.get("server_groups", ())),
        addresses=tuple(d.get("addresses", ())),
        locked=bool(d.get("locked", False)),
        az=d.get("az"),
        workload=None
        if w is None
        else Workload(
            touched_bytes=float(w["touched_bytes"]),
            dirty_rate=float(w["dirty_rate"]),
            wss_bytes=float(w["wss_bytes"]),
        ),
        host_status=None,
        metadata=tuple(sorted((str(k), str(v)) for k, v in metadata.items())) if metadata else (),
    )
    return inst


def group_to_dict(group: ServerGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "policy": group.policy.value}


def group_from_dict(d: dict[str, Any]) -> ServerGroup:
    return ServerGroup(id=GroupId(d["id"]), name=str(d["name"]), policy=GroupPolicy(d["policy"]))
