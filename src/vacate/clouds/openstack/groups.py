"""Server groups and their policies (2.64+: one ``policy``; older clouds: ``policies``)."""

from __future__ import annotations

from vacate.clouds.openstack.api import Api, Json
from vacate.domain.model import GroupId, GroupPolicy, InstanceId, ServerGroup


def parse(data: Json) -> ServerGroup:
    policy = data.get("policy") or (data.get("policies") or ["soft-affinity"])[0]
    return ServerGroup(
        id=GroupId(str(data["id"])), name=str(data.get("name") or ""), policy=GroupPolicy(policy)
    )


class Groups:
    def __init__(self, api: Api) -> None:
        self._api = api

    def raw(self) -> list[Json]:
        """Every project's groups, paged (Nova caps a page at its ``max_limit``)."""
        found: list[Json] = []
        while True:
            data = self._api.get(
                "/os-server-groups",
                kind="server groups",
                name="all",
                query={"all_projects": "True", "limit": 1000, "offset": len(found)},
            )
            page = data.get("server_groups", [])
            found.extend(page)
            if len(page) < 1000:
                return found

    def list(self) -> list[ServerGroup]:
        return sorted((parse(g) for g in self.raw()), key=lambda g: (g.name, g.id))

    def membership(self) -> dict[InstanceId, tuple[GroupId, ...]]:
        """Which groups each server is in, from one listing."""
        members: dict[InstanceId, list[GroupId]] = {}
        for group in self.raw():
            for member in group.get("members") or []:
                members.setdefault(InstanceId(str(member)), []).append(GroupId(str(group["id"])))
        return {k: tuple(v) for k, v in members.items()}
