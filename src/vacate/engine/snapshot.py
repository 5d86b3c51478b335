"""One look at the cloud per tick: every decision in a tick uses the same truth.

Each part is read at most once, on first use (a tick that only watches two migrations never
lists hosts), so the calls a tick makes grow with the moves in flight, not with the size of
the cloud: a handful of list calls plus one read per migration being watched. A tick that
starts moves reads the hosts it places on one by one (the host, its instances), not the
whole cloud, unless something in the tick needs the whole of it anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from functools import cached_property

from vacate.domain.errors import NotFound
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import (
    GroupId,
    Host,
    HostName,
    Instance,
    InstanceId,
    MigrationId,
    ServerGroup,
)
from vacate.engine.hostroom import LazyHostStates
from vacate.planning.hoststate import HostState, build_host_states
from vacate.ports.cloud import Cloud, Migration, MigrationStatus
from vacate.ports.store import Store


def in_flight(migration: Migration) -> bool:
    """Still moving (a finished cold migration only waits for its confirm)."""
    return not migration.status.is_terminal and migration.status is not MigrationStatus.FINISHED


class CloudSnapshot:
    def __init__(self, cloud: Cloud, store: Store) -> None:
        self._cloud = cloud
        self._store = store
        self._migrations: dict[MigrationId, Migration] = {}
        self._instances: dict[InstanceId, Instance] = {}
        self._on_host: dict[str, list[Instance]] = {}
        self._looked_up: dict[str, Host | None] = {}  # hosts asked for one by one (placing)

    @property
    def cloud(self) -> Cloud:
        return self._cloud

    @cached_property
    def hosts(self) -> dict[HostName, Host]:
        return {h.name: h for h in self._cloud.list_hosts()}

    def host(self, name: str) -> Host:
        if "hosts" in self.__dict__:
            if name not in self.hosts:
                raise NotFound("host", name)
            return self.hosts[HostName(name)]
        return self._cloud.get_host(name)

    @cached_property
    def instances(self) -> dict[InstanceId, Instance]:
        found = {i.id: i for i in self._cloud.list_instances()}
        self._instances.update(found)
        return found

    def instances_on(self, host: str) -> list[Instance]:
        if "instances" in self.__dict__:
            return list(self._by_host.get(host, []))
        if host not in self._on_host:
            self._on_host[host] = self._cloud.list_instances(host)
            self._instances.update((i.id, i) for i in self._on_host[host])
        return self._on_host[host]

    def instance(self, instance_id: InstanceId) -> Instance:
        """Raises ``NotFound`` when the instance no longer exists."""
        if instance_id not in self._instances:
            self._instances[instance_id] = self._cloud.get_instance(instance_id)
        return self._instances[instance_id]

    @cached_property
    def groups(self) -> dict[GroupId, ServerGroup]:
        return {g.id: g for g in self._cloud.list_server_groups()}

    @cached_property
    def migrations(self) -> list[Migration]:
        return self._cloud.list_migrations()

    @cached_property
    def in_flight(self) -> list[Migration]:
        return [m for m in self.migrations if in_flight(m)]

    def migration(self, migration_id: MigrationId) -> Migration:
        if migration_id not in self._migrations:
            self._migrations[migration_id] = self._cloud.get_migration(migration_id)
        return self._migrations[migration_id]

    def migrations_of(self, instance_id: InstanceId) -> list[Migration]:
        if "migrations" in self.__dict__:
            return [m for m in self.migrations if m.instance_id == instance_id]
        return self._cloud.list_migrations(instance_id=instance_id)

    @cached_property
    def maintenance(self) -> Mapping[str, MaintenanceState]:
        return {m.host: m.state for m in self._store.list_maintenance()}

    def host_states(
        self, inflight: Mapping[InstanceId, HostName] | None = None
    ) -> MutableMapping[HostName, HostState]:
        """Every host's free room as of this snapshot, moves in flight holding their
        destination's room too; each host's worked out when first asked for."""
        moving = dict(inflight or {})
        return LazyHostStates(
            lambda: list(self.hosts),
            lambda name: self._host_state(name, moving),
            lambda: self.every_host_state(moving),
            exists=self._has_host,
        )

    def every_host_state(
        self, inflight: Mapping[InstanceId, HostName] | None = None
    ) -> dict[HostName, HostState]:
        """``host_states``, built for every host at once (a plan reads them all)."""
        return build_host_states(
            self.hosts.values(), self.instances.values(), self.maintenance, inflight=inflight
        )

    def _host_state(self, name: HostName, moving: Mapping[InstanceId, HostName]) -> HostState:
        """One host's entry of ``every_host_state``: its instances, and the moves into it."""
        into = {i: dest for i, dest in moving.items() if dest == name}
        arriving = [
            inst for inst in map(self.known, into) if inst is not None and inst.host != name
        ]
        return build_host_states(
            [self._one_host(name)],
            self.instances_on(name) + arriving,
            self.maintenance,
            inflight=into,
        )[name]

    def _listed_hosts(self) -> bool:
        """Hosts come from the one listing: it was read, or one host costs as much as all (a
        backend without cheap per-host reads: Nova's reads every hypervisor either way)."""
        return "hosts" in self.__dict__ or not self._cloud.capabilities.cheap_host_reads

    def _has_host(self, name: HostName) -> bool:
        """Whether the cloud has this host, asking for it alone unless the hosts are listed."""
        if self._listed_hosts():
            return name in self.hosts
        if name not in self._looked_up:
            try:
                self._looked_up[name] = self._cloud.get_host(name)
            except NotFound:
                self._looked_up[name] = None
        return self._looked_up[name] is not None

    def _one_host(self, name: HostName) -> Host:
        """A host that ``_has_host``: from the listing when the tick has it, else by name."""
        if self._listed_hosts():
            return self.hosts[name]
        found = self._looked_up[name] if self._has_host(name) else None
        if found is None:
            raise NotFound("host", name)
        return found

    @cached_property
    def _by_host(self) -> dict[str, list[Instance]]:
        """The tick's listing of every instance, by host, once something has read it all."""
        found: dict[str, list[Instance]] = {}
        for inst in self.instances.values():
            if inst.host is not None:
                found.setdefault(inst.host, []).append(inst)
        return found

    def known(self, instance_id: InstanceId) -> Instance | None:
        """The instance as this snapshot has it, read if need be; None once it is gone."""
        if "instances" in self.__dict__:
            return self.instances.get(instance_id)
        try:
            return self.instance(instance_id)
        except NotFound:
            return None

    def forget(self, instance_id: InstanceId) -> None:
        """The tick changed this instance (a call was made): read it again if asked."""
        self._instances.pop(instance_id, None)
