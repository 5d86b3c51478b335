"""Hosts, instances, flavors and server groups as frozen values.

The fields follow Nova's vocabulary (``vm_state``, ``power_state``, ``task_state``, service
``status``/``state``/``forced_down``) so that the OpenStack backend maps them one to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

InstanceId = NewType("InstanceId", str)
HostName = NewType("HostName", str)
GroupId = NewType("GroupId", str)
MigrationId = NewType("MigrationId", str)
JobId = NewType("JobId", str)

GIB = 1024**3
MIB = 1024**2


class VmState(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    ERROR = "error"
    SHELVED = "shelved"
    SHELVED_OFFLOADED = "shelved_offloaded"
    RESIZED = "resized"
    RESCUED = "rescued"
    BUILDING = "building"
    DELETED = "deleted"
    SOFT_DELETED = "soft-delete"


#: The states from which the cloud migrates an instance (Nova's API checks the same): the policy
#: table offers only overrides these allow, and the simulated cloud refuses the rest.
LIVE_MIGRATABLE: tuple[VmState, ...] = (VmState.ACTIVE, VmState.PAUSED)
COLD_MIGRATABLE: tuple[VmState, ...] = (VmState.ACTIVE, VmState.STOPPED)


class PowerState(StrEnum):
    RUNNING = "running"
    SHUTDOWN = "shutdown"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    CRASHED = "crashed"
    NOSTATE = "nostate"


class ServiceStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class ServiceState(StrEnum):
    UP = "up"
    DOWN = "down"


class GroupPolicy(StrEnum):
    AFFINITY = "affinity"
    ANTI_AFFINITY = "anti-affinity"
    SOFT_AFFINITY = "soft-affinity"
    SOFT_ANTI_AFFINITY = "soft-anti-affinity"


@dataclass(frozen=True, kw_only=True)
class Flavor:
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int


@dataclass(frozen=True, kw_only=True)
class Workload:
    """How a guest uses memory: what a live migration must send (DESIGN §5).

    ``touched_bytes`` is what the first pass sends (only touched memory costs),
    ``dirty_rate`` the bytes per second the guest writes, ``wss_bytes`` the writable working set
    that bounds what one pass can dirty.
    """

    touched_bytes: float
    dirty_rate: float
    wss_bytes: float


@dataclass(frozen=True, kw_only=True)
class ServerGroup:
    id: GroupId
    name: str
    policy: GroupPolicy

    @property
    def is_hard(self) -> bool:
        return self.policy in (GroupPolicy.AFFINITY, GroupPolicy.ANTI_AFFINITY)


@dataclass(frozen=True, kw_only=True)
class Instance:
    id: InstanceId
    name: str
    project: str
    flavor: Flavor
    vm_state: VmState
    power_state: PowerState
    host: HostName | None
    task_state: str | None = None
    server_groups: tuple[GroupId, ...] = ()
    addresses: tuple[str, ...] = ()
    locked: bool = False
    az: str | None = None
    workload: Workload | None = None
    #: The state of the instance's host as the cloud reports it with the instance (Nova's
    #: ``host_status``: UP, DOWN, MAINTENANCE, UNKNOWN); None when the backend does not.
    host_status: str | None = None
    #: The instance's metadata (key, value) pairs, e.g. ``vacate:priority`` for host down.
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def is_gone(self) -> bool:
        """Deleted or soft-deleted: nothing to move."""
        return self.vm_state in (VmState.DELETED, VmState.SOFT_DELETED)


@dataclass(frozen=True, kw_only=True)
class Host:
    """A hypervisor and its compute service, as the cloud reports it."""

    name: HostName
    az: str
    service_status: ServiceStatus
    state: ServiceState
    vcpus: int
    ram_mb: int
    disk_gb: int
    disabled_reason: str | None = None
    forced_down: bool = False
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    nic_bytes_per_s: float = 0.0
    aggregates: tuple[str, ...] = field(default=())

    @property
    def is_up(self) -> bool:
        return self.state is ServiceState.UP and not self.forced_down

    @property
    def is_enabled(self) -> bool:
        return self.service_status is ServiceStatus.ENABLED
