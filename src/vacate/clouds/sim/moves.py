"""The simulated cloud's moves: live and cold migration, confirm-resize, evacuation.

Each checks what Nova would refuse (state, task, host up or down), asks the cloud's own
scheduler for the destination (``placing``), and records the migration for the clock to run.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.model import SimState
from vacate.clouds.sim.params import ModelParams
from vacate.clouds.sim.placing import cold_bytes, default_workload, place
from vacate.clouds.sim.stale import stale_copy
from vacate.domain.errors import Conflict
from vacate.domain.model import (
    COLD_MIGRATABLE,
    LIVE_MIGRATABLE,
    HostName,
    Instance,
    InstanceId,
    MigrationId,
    PowerState,
    ServiceState,
    VmState,
)
from vacate.ports.cloud import MigrationStatus

LIVE_STATES = LIVE_MIGRATABLE  # Nova's rules, shared with the policy table
COLD_STATES = COLD_MIGRATABLE


class Moves:
    """The Cloud port's moves, over ``session()`` (mixed into ``SimCloud``)."""

    _params: ModelParams

    def session(self) -> contextlib.AbstractContextManager[SimState]:
        raise NotImplementedError  # SimCloud's: exclusive, up-to-date access to the state

    def _check_movable(
        self, state: SimState, inst: Instance, allowed: tuple[VmState, ...], verb: str
    ) -> str:
        if inst.is_gone:
            raise Conflict(f"instance {inst.name} is {inst.vm_state.value}: nothing to {verb}")
        if inst.vm_state not in allowed:
            raise Conflict(
                f"cannot {verb} instance {inst.name} while it is {inst.vm_state.value} "
                f"(allowed: {', '.join(s.value for s in allowed)})"
            )
        if inst.task_state is not None:
            raise Conflict(f"instance {inst.name} is busy: task_state {inst.task_state!r}")
        if inst.host is None:
            raise Conflict(f"instance {inst.name} has no host")
        source = state.host(inst.host)
        if not source.is_up:
            raise Conflict(f"source host {source.name} is down: evacuate instead")
        return inst.host

    def _failure_fraction(self, state: SimState, instance_id: str) -> float | None:
        entry = state.failing_migrations.get(instance_id)
        if entry is None:
            return None
        count, fraction = entry
        if count <= 1:
            del state.failing_migrations[instance_id]
        else:
            state.failing_migrations[instance_id] = (count - 1, fraction)
        return fraction

    def live_migrate(
        self,
        instance_id: InstanceId,
        dest: HostName | None,
        *,
        downtime_limit_ms: float | None = None,
    ) -> MigrationId:
        with self.session() as s:
            inst = s.instance(instance_id)
            source = self._check_movable(s, inst, LIVE_STATES, "live-migrate")
            target = place(s, inst, source, dest)
            w = inst.workload or default_workload(inst.flavor)
            t = tr.new_live(
                id=s.new_id("mig"),
                instance_id=inst.id,
                source=source,
                dest=target,
                now=s.now,
                workload=w,
                params=self._params,
                downtime_limit_ms=downtime_limit_ms,
                fail_at_fraction=self._failure_fraction(s, inst.id),
            )
            s.transfers[t.id] = t
            s.instances[inst.id] = replace(inst, task_state="migrating")
            return MigrationId(t.id)

    def cold_migrate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId:
        with self.session() as s:
            inst = s.instance(instance_id)
            source = self._check_movable(s, inst, COLD_STATES, "cold-migrate")
            target = place(s, inst, source, dest)
            t = tr.new_cold(
                id=s.new_id("mig"),
                instance_id=inst.id,
                source=source,
                dest=target,
                now=s.now,
                cold_bytes=cold_bytes(inst),
                params=self._params,
                fail_at_fraction=self._failure_fraction(s, inst.id),
            )
            s.transfers[t.id] = t
            s.instances[inst.id] = replace(inst, task_state="resize_migrating")
            return MigrationId(t.id)

    def confirm_resize(self, instance_id: InstanceId) -> None:
        with self.session() as s:
            inst = s.instance(instance_id)
            if inst.vm_state is not VmState.RESIZED:
                raise Conflict(f"instance {inst.name} is {inst.vm_state.value}, not resized")
            for t in s.transfers.values():
                if t.instance_id == instance_id and t.status == MigrationStatus.FINISHED:
                    t.status = MigrationStatus.COMPLETED.value
                    t.finished_at = s.now
            was_running = inst.power_state is PowerState.RUNNING
            s.instances[inst.id] = replace(
                inst, vm_state=VmState.ACTIVE if was_running else VmState.STOPPED
            )

    def evacuate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId:
        with self.session() as s:
            inst = s.instance(instance_id)
            if inst.host is None:
                raise Conflict(f"instance {inst.name} has no host")
            source = s.host(inst.host)
            if source.is_up:
                raise Conflict(
                    f"host {source.name} is up: evacuation needs it down (or forced down)"
                )
            target = place(s, inst, inst.host, dest)
            t = tr.new_evacuation(
                id=s.new_id("mig"),
                instance_id=inst.id,
                source=inst.host,
                dest=target,
                now=s.now,
                params=self._params,
            )
            s.transfers[t.id] = t
            if source.state is ServiceState.UP:
                # Forced down but alive: its copy of the guest keeps running there.
                stale = stale_copy(inst)
                s.instances[stale.id] = stale
            s.instances[inst.id] = replace(inst, task_state="rebuilding")
            return MigrationId(t.id)
