"""Servers as Vacate's ``Instance``: states, flavor, groups, addresses.

The host filter of ``/servers/detail`` (openstacksdk's ``compute_host``) is an exact match on
the instance's host, and every server is checked again, so ``compute-1`` never lists a server
of ``compute-10``. Flavors come embedded in the server (2.47+); group membership comes from
the groups listing (the server body has it only in ``show``, 2.71+).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vacate.clouds.openstack.api import Api, Json
from vacate.domain.model import (
    Flavor,
    GroupId,
    HostName,
    Instance,
    InstanceId,
    PowerState,
    VmState,
)

#: nova.compute.power_state
POWER_STATES = {
    0: PowerState.NOSTATE,
    1: PowerState.RUNNING,
    3: PowerState.PAUSED,
    4: PowerState.SHUTDOWN,
    6: PowerState.CRASHED,
    7: PowerState.SUSPENDED,
}
PAGE = 1000


def _vm_state(value: object) -> VmState:
    try:
        return VmState(str(value))
    except ValueError:
        return VmState.ERROR


def _flavor(data: Json) -> Flavor:
    flavor = data.get("flavor") or {}
    return Flavor(
        name=str(flavor.get("original_name") or flavor.get("id") or "?"),
        vcpus=int(flavor.get("vcpus", 0)),
        ram_mb=int(flavor.get("ram", 0)),
        disk_gb=int(flavor.get("disk", 0)) + int(flavor.get("ephemeral", 0)),
    )


def _addresses(data: Json) -> tuple[str, ...]:
    found: list[str] = []
    for network in sorted((data.get("addresses") or {}).items()):
        for entry in network[1]:
            if entry.get("addr"):
                found.append(str(entry["addr"]))
    return tuple(found)


def parse(data: Json, groups: Mapping[InstanceId, tuple[GroupId, ...]] | None = None) -> Instance:
    server_id = InstanceId(str(data["id"]))
    if groups is not None:
        member_of = groups.get(server_id, ())
    else:
        member_of = tuple(GroupId(str(g)) for g in data.get("server_groups") or ())
    host = data.get("OS-EXT-SRV-ATTR:host")
    return Instance(
        id=server_id,
        name=str(data.get("name") or server_id),
        project=str(data.get("tenant_id") or ""),
        flavor=_flavor(data),
        vm_state=_vm_state(data.get("OS-EXT-STS:vm_state")),
        power_state=POWER_STATES.get(
            int(data.get("OS-EXT-STS:power_state") or 0), PowerState.NOSTATE
        ),
        host=HostName(str(host)) if host else None,
        task_state=data.get("OS-EXT-STS:task_state") or None,
        server_groups=member_of,
        addresses=_addresses(data),
        locked=bool(data.get("locked", False)),
        az=data.get("OS-EXT-AZ:availability_zone") or None,
        # 2.16+, admins: UP, DOWN (the compute is down or forced down), MAINTENANCE, UNKNOWN.
        host_status=str(data["host_status"]) if data.get("host_status") else None,
        metadata=tuple(sorted((str(k), str(v)) for k, v in (data.get("metadata") or {}).items())),
    )


class Servers:
    def __init__(self, api: Api) -> None:
        self._api = api

    def raw(self, host: str | None = None) -> Iterator[Json]:
        """Every project's servers (on exactly ``host``, if given), paged by marker."""
        query: dict[str, str | int] = {"all_tenants": "True", "limit": PAGE}
        if host is not None:
            query["host"] = host
        while True:
            data = self._api.get(
                "/servers/detail", kind="servers on", name=host or "all hosts", query=query
            )
            page = data.get("servers", [])
            for server in page:
                if host is None or server.get("OS-EXT-SRV-ATTR:host") == host:
                    yield server
            if not data.get("servers_links") or not page:
                return
            query["marker"] = str(page[-1]["id"])

    def deleted(self, server_id: str) -> Json | None:
        """A deleted server, as Nova still lists it for admins (``deleted=True``)."""
        data = self._api.get(
            "/servers/detail",
            kind="instance",
            name=server_id,
            query={"all_tenants": "True", "deleted": "True", "uuid": server_id},
        )
        found = [s for s in data.get("servers", []) if s.get("id") == server_id]
        return dict(found[0]) if found else None

    def get(self, server_id: str) -> Json:
        return dict(
            self._api.get(f"/servers/{server_id}", kind="instance", name=server_id)["server"]
        )
