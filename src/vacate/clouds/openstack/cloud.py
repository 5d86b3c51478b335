"""The Cloud port over a real Nova: reads, service changes, moves and their controls.

Reading is cheap by construction: ``list_hosts`` is four compute calls (services,
hypervisors, servers, aggregates) and one Placement call for usage, plus inventories kept for
minutes; ``list_instances`` of a host is one servers call with Nova's exact host filter plus
one groups call.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vacate.clouds.openstack.api import Api
from vacate.clouds.openstack.capacity import (
    Amounts,
    Capacity,
    HostCapacity,
    Inventory,
    hypervisors,
    providers_by_host,
)
from vacate.clouds.openstack.groups import Groups
from vacate.clouds.openstack.moves import Mover
from vacate.clouds.openstack.power import Power
from vacate.clouds.openstack.servers import Servers
from vacate.clouds.openstack.servers import parse as parse_server
from vacate.clouds.openstack.services import Service, Services
from vacate.clouds.openstack.usage import servers_used, usable
from vacate.clouds.openstack.watch import Watch
from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError
from vacate.domain.jobs import Placement
from vacate.domain.model import (
    Host,
    HostName,
    Instance,
    InstanceId,
    MigrationId,
    ServerGroup,
    VmState,
)
from vacate.ports.cloud import CloudCapabilities, Migration, MigrationKind

_NO_CONTROL = (
    "Nova's API has no {what} control (it is a nova.conf setting of the computes): "
    "the escalation ladder skips this rung on OpenStack"
)


class OpenStackCloud:
    """A Nova cloud (with its Placement) behind Vacate's Cloud port."""

    def __init__(
        self,
        compute: Api,
        placement: Api,
        *,
        name: str = "openstack",
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
        evacuate_microversion: str | None = None,
    ) -> None:
        self.name = name
        self.compute = compute
        self._services = Services(compute)
        self._servers = Servers(compute)
        self._groups = Groups(compute)
        self._capacity = Capacity(placement, compute)
        self._mover = Mover(
            compute, sleep=sleep, wall=wall, evacuate_microversion=evacuate_microversion
        )
        self._power = Power(compute)
        self._watch = Watch(compute, wall=wall)

    @property
    def capabilities(self) -> CloudCapabilities:
        """Force-complete (2.22) and abort (2.24) only: no downtime, auto-converge or post-copy
        calls exist. Force-complete pauses the guest, or switches to post-copy where the
        computes set ``live_migration_permit_post_copy``. Nova's scheduler picks destinations
        unless the job says otherwise: it knows filters, traits, NUMA and PCI that Vacate's
        plan does not."""
        return CloudCapabilities(
            downtime_control=False,
            auto_converge=False,
            post_copy=False,
            force_complete=True,
            abort=True,
            stream_bytes_per_s=None,
            default_placement=Placement.NOVA,
        )

    # --------------------------------------------------------------- hosts
    def _aggregates(self) -> dict[str, tuple[str, ...]]:
        data = self.compute.get("/os-aggregates", kind="aggregates", name="all")
        found: dict[str, list[str]] = {}
        for agg in data.get("aggregates", []):
            for host in agg.get("hosts") or []:
                found.setdefault(str(host), []).append(str(agg.get("name")))
        return {h: tuple(sorted(names)) for h, names in found.items()}

    def _host(
        self,
        svc: Service,
        capacity: HostCapacity | None,
        counted: dict[str, Amounts],
        aggs: dict[str, tuple[str, ...]],
    ) -> Host:
        inv = usable(capacity, counted.get(svc.host, Amounts())) if capacity else Inventory()
        return Host(
            name=svc.host,
            az=svc.zone,
            service_status=svc.status,
            state=svc.state,
            vcpus=inv.vcpus,
            ram_mb=inv.ram_mb,
            disk_gb=inv.disk_gb,
            disabled_reason=svc.disabled_reason,
            forced_down=svc.forced_down,
            cpu_allocation_ratio=inv.cpu_allocation_ratio,
            ram_allocation_ratio=inv.ram_allocation_ratio,
            disk_allocation_ratio=inv.disk_allocation_ratio,
            aggregates=aggs.get(svc.host, ()),
        )

    def _hosts(self, services: list[Service], host: str | None) -> list[Host]:
        """Services, hypervisors, aggregates, the servers (of ``host``, or all) and one usage
        read: a constant number of calls whatever the number of hosts."""
        capacities = self._capacity.of_hosts(providers_by_host(hypervisors(self.compute)))
        counted = servers_used(self._servers.raw(host))
        aggs = self._aggregates()
        return [self._host(s, capacities.get(s.host), counted, aggs) for s in services]

    def list_hosts(self) -> list[Host]:
        return sorted(self._hosts(self._services.list(), None), key=lambda h: h.name)

    def get_host(self, name: str) -> Host:
        return self._hosts([self._services.find(name)], name)[0]

    # ----------------------------------------------------------- instances
    def list_instances(self, host: str | None = None) -> list[Instance]:
        if host is not None:
            self._services.find(host)  # an unknown host is NotFound, not an empty host
        groups = self._groups.membership()
        found = [parse_server(s, groups) for s in self._servers.raw(host)]
        return sorted(found, key=lambda i: (i.name, i.id))

    def get_instance(self, instance_id: InstanceId) -> Instance:
        """One server; a deleted one (Nova answers 404) is returned ``deleted`` while Nova
        still lists it for admins, so that a move of it ends as "gone", not as an error."""
        try:
            data = self._servers.get(instance_id)
        except NotFound:
            gone = self._servers.deleted(instance_id)
            if gone is None:
                raise
            return parse_server(gone, {})
        if "server_groups" in data:
            return parse_server(data)
        return parse_server(data, self._groups.membership())

    def list_server_groups(self) -> list[ServerGroup]:
        return self._groups.list()

    # ---------------------------------------------------------- migrations
    def get_migration(self, migration_id: MigrationId) -> Migration:
        return self._watch.get(migration_id)

    def list_migrations(self, *, instance_id: InstanceId | None = None) -> list[Migration]:
        return self._watch.list(instance_id=instance_id)

    # ------------------------------------------------------------ services
    def disable_service(self, host: str, reason: str) -> None:
        self._services.disable(host, reason)

    def enable_service(self, host: str) -> None:
        self._services.enable(host)

    def force_down(self, host: str, down: bool) -> None:
        self._services.force_down(host, down)

    # --------------------------------------------------------------- moves
    def live_migrate(
        self,
        instance_id: InstanceId,
        dest: HostName | None,
        *,
        downtime_limit_ms: float | None = None,
    ) -> MigrationId:
        """``downtime_limit_ms`` is never given here (no ``downtime_control``): Nova's computes
        set it from ``live_migration_downtime*``."""
        return self._mover.start(instance_id, MigrationKind.LIVE, dest)

    def cold_migrate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId:
        return self._mover.start(instance_id, MigrationKind.COLD, dest)

    def evacuate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId:
        return self._mover.start(instance_id, MigrationKind.EVACUATION, dest)

    # ------------------------------------------------------- power (host down)
    def mark_stopped(self, instance_id: InstanceId) -> bool:
        """Nova has no call that sets ``vm_state`` stopped: nothing is written. Its servers
        report ``host_status`` DOWN once their host is forced down (``Instance.host_status``)."""
        return False

    def start_instance(self, instance_id: InstanceId) -> None:
        self._power.start(instance_id)

    def stop_instance(self, instance_id: InstanceId) -> None:
        self._power.stop(instance_id)

    def confirm_resize(self, instance_id: InstanceId) -> None:
        """Confirm a finished cold migration; if Nova cannot, revert it so the instance is
        back, whole, on its source rather than stuck in VERIFY_RESIZE."""
        try:
            self._mover.confirm(instance_id)
        except Conflict:
            if self.get_instance(instance_id).vm_state is not VmState.RESIZED:
                return  # confirmed already (a retried call)
            raise
        except (PermanentError, TemporaryError) as exc:
            try:
                self._mover.revert(instance_id)
            except (Conflict, PermanentError, TemporaryError):
                raise exc from None
            raise PermanentError(
                f"confirming the cold migration failed ({exc}); it was reverted"
            ) from exc

    def revert_resize(self, instance_id: InstanceId) -> None:
        self._mover.revert(instance_id)

    # ------------------------------------------------------------ controls
    def set_downtime_limit(self, migration_id: MigrationId, milliseconds: float) -> None:
        raise PermanentError(_NO_CONTROL.format(what="downtime"))

    def enable_auto_converge(
        self, migration_id: MigrationId, *, initial: float | None = None
    ) -> None:
        raise PermanentError(_NO_CONTROL.format(what="auto-converge"))

    def start_post_copy(self, migration_id: MigrationId) -> None:
        raise PermanentError(
            _NO_CONTROL.format(what="post-copy")
            + " (force-complete switches to post-copy where the computes permit it)"
        )

    def force_complete(self, migration_id: MigrationId) -> None:
        self._mover.force_complete(migration_id)

    def abort_migration(self, migration_id: MigrationId) -> None:
        self._mover.abort(migration_id)
