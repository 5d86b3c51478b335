"""Nova's fake virt driver, made to behave like a hypervisor where live migration matters.

Loaded by ``nova_server.py`` inside the Nova process (never by the tests themselves). The plain
fake driver finishes a live migration at once, reports no progress and leaves the guest
registered on the source (so an evacuation back later fails with ``InstanceExists``). This one
takes a configurable time per live migration while saving ``memory_*`` figures the way the
libvirt driver does, honours force-complete and abort, forgets the guest on the source, and
fails on demand — all steered by ``CONTROL``, which the helper server's control endpoint sets.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from nova import exception
from nova.compute import power_state
from nova.virt import fake

MIB = 1024 * 1024
#: How often a running live migration saves its figures (libvirt's monitor: every 0.5 s).
STEP_S = 0.2
#: A migration that cannot converge gives up on its own after this long.
STUCK_LIMIT_S = 120.0


@dataclasses.dataclass
class Plan:
    """How the next live migration of one server behaves."""

    seconds: float = 0.3
    converge: bool = True
    #: ``precheck``: the destination's pre-live-migration step raises (Nova records the
    #: reason in the instance action); ``during``: the copy fails halfway (rolled back).
    fail: str | None = None
    reason: str = "injected failure"


class Control:
    """Per-server plans for the next live migration; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, Plan] = {}
        self.default_seconds = 0.3

    def set(self, server_id: str, plan: Plan) -> None:
        with self._lock:
            self._plans[server_id] = plan

    def peek(self, server_id: str) -> Plan:
        with self._lock:
            return self._plans.get(server_id) or Plan(seconds=self.default_seconds)

    def take(self, server_id: str) -> Plan:
        with self._lock:
            return self._plans.pop(server_id, None) or Plan(seconds=self.default_seconds)

    def take_precheck_failure(self, server_id: str) -> str | None:
        with self._lock:
            plan = self._plans.get(server_id)
            if plan is None or plan.fail != "precheck":
                return None
            del self._plans[server_id]
            return plan.reason


CONTROL = Control()


@dataclasses.dataclass
class _Running:
    complete: threading.Event = dataclasses.field(default_factory=threading.Event)
    abort: threading.Event = dataclasses.field(default_factory=threading.Event)


class VacateFakeDriver(fake.FakeDriver):
    """A small hypervisor (8 vCPU, 16 GiB, 400 GB) with slow, observable live migrations."""

    vcpus = 8
    memory_mb = 16384
    local_gb = 400

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._running: dict[str, _Running] = {}

    def _power(self, instance, state):
        if instance.uuid in self.instances:
            self.instances[instance.uuid].state = state

    # The plain fake driver leaves the power state RUNNING through these.
    def pause(self, instance):
        self._power(instance, power_state.PAUSED)

    def unpause(self, instance):
        self._power(instance, power_state.RUNNING)

    def suspend(self, context, instance):
        self._power(instance, power_state.SUSPENDED)

    def resume(self, context, instance, network_info, block_device_info=None, share_info=None):
        self._power(instance, power_state.RUNNING)

    def pre_live_migration(
        self, context, instance, block_device_info, network_info, disk_info, migrate_data
    ):
        reason = CONTROL.take_precheck_failure(instance.uuid)
        if reason is not None:
            raise exception.MigrationError(reason=reason)
        return migrate_data

    def live_migration(
        self,
        context,
        instance,
        dest,
        post_method,
        recover_method,
        block_migration=False,
        migrate_data=None,
    ):
        plan = CONTROL.take(instance.uuid)
        migration = migrate_data.migration
        total = instance.flavor.memory_mb * MIB
        running = self._running[instance.uuid] = _Running()
        started = time.monotonic()
        processed = 0.0
        try:
            while True:
                elapsed = time.monotonic() - started
                if running.abort.is_set():
                    recover_method(
                        context, instance, dest, migrate_data, migration_status="cancelled"
                    )
                    return
                if running.complete.is_set():
                    break
                if plan.converge:
                    fraction = 1.0 if plan.seconds <= 0 else min(1.0, elapsed / plan.seconds)
                    if plan.fail == "during" and fraction >= 0.5:
                        recover_method(context, instance, dest, migrate_data)
                        return
                    if fraction >= 1.0:
                        break
                    remaining = total * (1.0 - fraction)
                    processed = total * fraction
                else:
                    if elapsed > STUCK_LIMIT_S:
                        recover_method(context, instance, dest, migrate_data)
                        return
                    # One pass a second: the dirty set never shrinks below a third.
                    within = elapsed % 1.0
                    remaining = total * (0.5 - 0.2 * within)
                    processed = total * (0.5 + elapsed)
                self._save_stats(migration, total, processed, remaining)
                running.complete.wait(STEP_S)
        finally:
            self._running.pop(instance.uuid, None)
        self._save_stats(migration, total, max(processed, total), 0.0)
        post_method(context, instance, dest, block_migration, migrate_data)

    @staticmethod
    def _save_stats(migration, total: float, processed: float, remaining: float) -> None:
        migration.memory_total = int(total)
        migration.memory_processed = int(processed)
        migration.memory_remaining = int(remaining)
        # Shared storage: nothing to copy on disk.
        migration.disk_total = 0
        migration.disk_processed = 0
        migration.disk_remaining = 0
        migration.save()

    def live_migration_force_complete(self, instance):
        running = self._running.get(instance.uuid)
        if running is not None:
            running.complete.set()

    def live_migration_abort(self, instance):
        running = self._running.get(instance.uuid)
        if running is not None:
            running.abort.set()

    def post_live_migration(self, context, instance, block_device_info, migrate_data=None):
        # Runs on the source: the guest lives on the destination now.
        self.destroy(context, instance, network_info=None, block_device_info=block_device_info)
