"""The Cloud port: what Vacate needs from a compute cloud, shaped like Nova's asynchronous API.

A move is *accepted* (the call returns a migration id at once) and then *watched*; every
control on a running live migration (downtime limit, auto-converge, post-copy, force-complete,
abort) is a separate call, and ``capabilities`` says which ones a backend offers. Errors are the
classified ones of ``vacate.domain.errors``: ``NotFound`` (already done?), ``Conflict`` or
``TemporaryError`` (retry later), ``PermanentError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from vacate.domain.jobs import Placement
from vacate.domain.model import (
    Host,
    HostName,
    Instance,
    InstanceId,
    MigrationId,
    ServerGroup,
)


class MigrationKind(StrEnum):
    LIVE = "live"
    COLD = "cold"
    EVACUATION = "evacuation"


class MigrationStatus(StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    POST_COPY = "post-copy"
    FINISHED = "finished"  # cold: resized, waiting for confirm
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (
            MigrationStatus.COMPLETED,
            MigrationStatus.FAILED,
            MigrationStatus.CANCELLED,
        )


@dataclass(frozen=True, kw_only=True)
class Migration:
    """A migration as the cloud reports it while it runs and after it ends."""

    id: MigrationId
    instance_id: InstanceId
    kind: MigrationKind
    source: HostName
    dest: HostName | None
    status: MigrationStatus
    created_at: float
    finished_at: float | None = None
    memory_total_bytes: float = 0.0
    memory_processed_bytes: float = 0.0
    memory_remaining_bytes: float = 0.0
    passes: int = 0
    #: ``memory_remaining_bytes`` at the end of each finished pre-copy pass, oldest first.
    pass_remaining: tuple[float, ...] = ()
    downtime_limit_ms: float = 0.0
    throttle: float = 0.0
    auto_converge: bool = False
    paused: bool = False
    downtime_s: float | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class CloudCapabilities:
    downtime_control: bool = False
    auto_converge: bool = False
    #: Auto-converge can start at a throttle of the caller's choosing (QEMU
    #: ``cpu-throttle-initial``, libvirt's ``auto-converge-initial``); Nova sets none.
    throttle_initial: bool = False
    post_copy: bool = False
    force_complete: bool = True
    abort: bool = True
    #: The most one migration stream sends (QEMU's max-bandwidth), if the backend knows it.
    stream_bytes_per_s: float | None = None
    #: ``get_host`` costs what that one host holds (else it reads every host's figures, and a
    #: tick placing on several hosts lists them all once instead of asking one by one).
    cheap_host_reads: bool = False
    #: Who picks destinations when the job does not say (``JobOptions.placement``).
    default_placement: Placement = Placement.VACATE


class Cloud(Protocol):
    @property
    def capabilities(self) -> CloudCapabilities: ...

    # -- reading --
    def list_hosts(self) -> list[Host]: ...
    def get_host(self, name: str) -> Host: ...
    def list_instances(self, host: str | None = None) -> list[Instance]: ...
    def get_instance(self, instance_id: InstanceId) -> Instance: ...
    def list_server_groups(self) -> list[ServerGroup]: ...
    def get_migration(self, migration_id: MigrationId) -> Migration: ...
    def list_migrations(self, *, instance_id: InstanceId | None = None) -> list[Migration]: ...

    # -- services --
    def disable_service(self, host: str, reason: str) -> None: ...
    def enable_service(self, host: str) -> None: ...
    def force_down(self, host: str, down: bool) -> None: ...

    # -- moves (accepted, then watched) --
    def live_migrate(
        self,
        instance_id: InstanceId,
        dest: HostName | None,
        *,
        downtime_limit_ms: float | None = None,
    ) -> MigrationId:
        """Start a live migration; ``downtime_limit_ms`` is in force from its first byte (a
        backend without ``downtime_control`` is never given one)."""
        ...

    def cold_migrate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId: ...
    def confirm_resize(self, instance_id: InstanceId) -> None: ...
    def evacuate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId: ...

    # -- power and state (host down) --
    def mark_stopped(self, instance_id: InstanceId) -> bool:
        """Record that an instance on a failed host is stopped (vm_state stopped, power
        shutdown). False when the backend has no such call (Nova): the instance then reports
        ``host_status`` DOWN and Vacate shows it stopped in its own views, saying so."""
        ...

    def start_instance(self, instance_id: InstanceId) -> None: ...
    def stop_instance(self, instance_id: InstanceId) -> None: ...

    # -- controls on a running live migration --
    def set_downtime_limit(self, migration_id: MigrationId, milliseconds: float) -> None: ...
    def enable_auto_converge(
        self, migration_id: MigrationId, *, initial: float | None = None
    ) -> None:
        """Throttle the guest once its passes stall; ``initial`` is the first throttle
        (a fraction, 0.01–0.99; ``None``: the hypervisor's default, QEMU's 20 %)."""
        ...

    def start_post_copy(self, migration_id: MigrationId) -> None: ...
    def force_complete(self, migration_id: MigrationId) -> None: ...
    def abort_migration(self, migration_id: MigrationId) -> None: ...
