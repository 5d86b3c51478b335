"""The built-in simulated cloud: the Cloud port over a persisted state and the §5 migration model.

Every call first brings the cloud up to "now" (migrations progress, injected host deaths fire),
then acts, then saves. "Now" comes from the clock anchor in the state, so simulated time keeps
passing while no Vacate process runs; with speed ``max`` it is virtual and moves only when a
Vacate process sleeps on this cloud's clock.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from vacate.clouds.sim import timeline
from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.model import instance_table, sorted_hosts
from vacate.clouds.sim.moves import COLD_STATES, LIVE_STATES, Moves
from vacate.clouds.sim.params import ModelParams
from vacate.clouds.sim.simops import Simulation
from vacate.clouds.sim.state import ClockAnchor, SimState, StateHolder
from vacate.domain.errors import Conflict, NotFound
from vacate.domain.model import (
    Host,
    Instance,
    InstanceId,
    MigrationId,
    PowerState,
    ServerGroup,
    ServiceStatus,
    VmState,
)
from vacate.ports.cloud import CloudCapabilities, Migration, MigrationStatus

__all__ = ["COLD_STATES", "LIVE_STATES", "SimClock", "SimCloud"]

#: Granularity of a virtual-time sleep that wakes when a migration ends.
WAKE_STEP_S = 0.25


class SimCloud(Moves, Simulation):
    """A cloud of simulated hypervisors; see the module docstring."""

    def __init__(
        self,
        holder: StateHolder,
        *,
        speed: float | None,
        params: ModelParams | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._holder = holder
        self._speed = speed
        self._params = params or ModelParams()
        self._wall = wall
        self._now = 0.0
        self._anchor: ClockAnchor | None = None
        self._finishes = 0  # migrations ended in this process: what a virtual sleep wakes on
        self.clock = SimClock(self)

    @property
    def params(self) -> ModelParams:
        return self._params

    @property
    def capabilities(self) -> CloudCapabilities:
        return CloudCapabilities(
            downtime_control=True,
            auto_converge=True,
            throttle_initial=True,
            cheap_host_reads=True,
            post_copy=True,
            force_complete=True,
            abort=True,
            stream_bytes_per_s=self._params.stream_cap_bytes_per_s,
        )

    # ------------------------------------------------------------------ time
    @contextlib.contextmanager
    def session(self) -> Iterator[SimState]:
        """Exclusive, up-to-date access to the state (for the sim's own commands and tests)."""
        with self._holder.session() as state:
            self._advance(state, self._target_time(state))
            yield state
            self._now = state.now
            self._anchor = state.anchor

    def _anchor_time(self, anchor: ClockAnchor) -> float:
        assert anchor.speed is not None
        return anchor.sim_at_anchor + (self._wall() - anchor.wall_at_anchor) * anchor.speed

    def _target_time(self, state: SimState) -> float:
        anchor = state.anchor
        if self._speed is None:
            if anchor.speed is not None:  # from real time to virtual: catch up once
                state.anchor = ClockAnchor(speed=None)
                return max(state.now, self._anchor_time(anchor))
            return state.now
        if anchor.speed != self._speed:
            base = state.now if anchor.speed is None else max(state.now, self._anchor_time(anchor))
            state.anchor = ClockAnchor(
                sim_at_anchor=base, wall_at_anchor=self._wall(), speed=self._speed
            )
        return max(state.now, self._anchor_time(state.anchor))

    def advance_by(self, seconds: float, *, wake_on_change: bool = False) -> float:
        """Virtual time: let ``seconds`` pass now — or, with ``wake_on_change``, only until a
        migration ends (the next event a waiting engine cares about). Real time: just read."""
        with self._holder.session() as state:
            target = self._target_time(state)
            if self._speed is None:
                target = state.now + max(0.0, seconds)
            if wake_on_change:
                finishes = self._finishes
                while state.now < target and self._finishes == finishes:
                    self._advance(state, min(target, state.now + WAKE_STEP_S))
            self._advance(state, target if not wake_on_change else state.now)
            self._now = state.now
            self._anchor = state.anchor
            return state.now

    def now(self) -> float:
        """The cloud's time. At real speeds it is read from the shared state every time, never
        from a copy: another process may have re-anchored the clock (a different speed) and
        every process must agree, or a task could start "after" the migration it started."""
        if self._speed is not None or self._anchor is None:
            with self.session():
                pass
        return self._now

    def _advance(self, state: SimState, to: float) -> None:
        timeline.advance(state, to, self._params, self._ended)

    def _ended(self, t: tr.Transfer) -> None:
        self._finishes += 1

    # --------------------------------------------------------------- reading
    def list_hosts(self) -> list[Host]:
        with self.session() as s:
            return sorted_hosts(s)

    def get_host(self, name: str) -> Host:
        with self.session() as s:
            return s.host(name)

    def list_instances(self, host: str | None = None) -> list[Instance]:
        with self.session() as s:
            if host is None:
                return instance_table(s).listed()
            s.host(host)
            return instance_table(s).on(host)

    def get_instance(self, instance_id: InstanceId) -> Instance:
        with self.session() as s:
            return s.instance(instance_id)

    def list_server_groups(self) -> list[ServerGroup]:
        with self.session() as s:
            return sorted(s.groups.values(), key=lambda g: g.name)

    def get_migration(self, migration_id: MigrationId) -> Migration:
        with self.session() as s:
            return tr.view(self._transfer(s, migration_id))

    def list_migrations(self, *, instance_id: InstanceId | None = None) -> list[Migration]:
        with self.session() as s:
            found = [
                t
                for t in s.transfers.values()
                if instance_id is None or t.instance_id == instance_id
            ]
            return [tr.view(t) for t in sorted(found, key=lambda t: (t.created_at, t.id))]

    @staticmethod
    def _transfer(state: SimState, migration_id: str) -> tr.Transfer:
        try:
            return state.transfers[migration_id]
        except KeyError:
            raise NotFound("migration", migration_id) from None

    # --------------------------------------------------------------- services
    def disable_service(self, host: str, reason: str) -> None:
        with self.session() as s:
            h = s.host(host)
            s.hosts[host] = replace(
                h, service_status=ServiceStatus.DISABLED, disabled_reason=reason
            )

    def enable_service(self, host: str) -> None:
        with self.session() as s:
            h = s.host(host)
            s.hosts[host] = replace(h, service_status=ServiceStatus.ENABLED, disabled_reason=None)

    def force_down(self, host: str, down: bool) -> None:
        with self.session() as s:
            h = s.host(host)
            s.hosts[host] = replace(h, forced_down=down)

    # ------------------------------------------------------- power (host down)
    def mark_stopped(self, instance_id: InstanceId) -> bool:
        """Write the record only (like Nova's reset-state): a host that is still up keeps
        running its guests whatever their records say."""
        with self.session() as s:
            inst = s.instance(instance_id)
            s.instances[inst.id] = replace(
                inst, vm_state=VmState.STOPPED, power_state=PowerState.SHUTDOWN
            )
            return True

    def start_instance(self, instance_id: InstanceId) -> None:
        self._power(instance_id, VmState.ACTIVE, PowerState.RUNNING, "start")

    def stop_instance(self, instance_id: InstanceId) -> None:
        self._power(instance_id, VmState.STOPPED, PowerState.SHUTDOWN, "stop")

    def _power(self, instance_id: InstanceId, vm: VmState, power: PowerState, verb: str) -> None:
        with self.session() as s:
            inst = s.instance(instance_id)
            wanted_from = VmState.STOPPED if vm is VmState.ACTIVE else VmState.ACTIVE
            if inst.vm_state is vm:
                return
            if inst.vm_state is not wanted_from or inst.task_state is not None:
                raise Conflict(
                    f"cannot {verb} instance {inst.name} while it is {inst.vm_state.value}"
                    + (f" ({inst.task_state})" if inst.task_state else "")
                )
            if inst.host is None or not s.host(inst.host).is_up:
                raise Conflict(f"cannot {verb} instance {inst.name}: its host {inst.host} is down")
            s.instances[inst.id] = replace(inst, vm_state=vm, power_state=power)

    # --------------------------------------------------------------- controls
    def _control(
        self, migration_id: MigrationId, action: Callable[[tr.Transfer, float], None]
    ) -> None:
        with self.session() as s:
            t = self._transfer(s, migration_id)
            try:
                action(t, s.now)
            except ValueError as exc:
                raise Conflict(str(exc)) from None
            if MigrationStatus(t.status).is_terminal:
                timeline.finish(s, t, self._ended)

    def set_downtime_limit(self, migration_id: MigrationId, milliseconds: float) -> None:
        self._control(migration_id, lambda t, now: tr.set_downtime_limit(t, milliseconds))

    def enable_auto_converge(
        self, migration_id: MigrationId, *, initial: float | None = None
    ) -> None:
        self._control(migration_id, lambda t, now: tr.enable_auto_converge(t, initial))

    def start_post_copy(self, migration_id: MigrationId) -> None:
        self._control(migration_id, tr.start_post_copy)

    def force_complete(self, migration_id: MigrationId) -> None:
        self._control(migration_id, tr.force_complete)

    def abort_migration(self, migration_id: MigrationId) -> None:
        self._control(migration_id, tr.abort)


class SimClock:
    """The simulated cloud's clock: scaled real time, or virtual time (speed ``max``)."""

    def __init__(self, cloud: SimCloud) -> None:
        self._cloud = cloud

    def now(self) -> float:
        return self._cloud.now()

    def sleep(self, seconds: float) -> None:
        speed = self._cloud._speed
        if speed is None:
            self._cloud.advance_by(seconds, wake_on_change=True)
        else:
            time.sleep(max(0.0, seconds) / speed)
