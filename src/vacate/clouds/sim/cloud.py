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

from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.params import ModelParams
from vacate.clouds.sim.stale import is_stale, stale_copy
from vacate.clouds.sim.state import ClockAnchor, SimState, StateHolder
from vacate.domain.errors import Conflict, NotFound, PermanentError
from vacate.domain.model import (
    COLD_MIGRATABLE,
    GIB,
    LIVE_MIGRATABLE,
    MIB,
    Flavor,
    Host,
    HostName,
    Instance,
    InstanceId,
    MigrationId,
    PowerState,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    VmState,
    Workload,
)
from vacate.planning.filters import RequestSpec, group_hosts
from vacate.planning.hoststate import HostState, build_host_states
from vacate.planning.scheduler import select_destination
from vacate.ports.cloud import CloudCapabilities, Migration, MigrationKind, MigrationStatus

LIVE_STATES = LIVE_MIGRATABLE  # Nova's rules, shared with the policy table
#: Granularity of a virtual-time sleep that wakes when a migration ends.
WAKE_STEP_S = 0.25
COLD_STATES = COLD_MIGRATABLE


class SimCloud:
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
        due = sorted((at, host) for host, at in state.host_deaths.items() if at <= to)
        for at, host in due:
            self._step(state, max(state.now, at))
            self._kill_host(state, host)
            del state.host_deaths[host]
        self._step(state, to)

    def _step(self, state: SimState, to: float) -> None:
        if to <= state.now:
            return
        active = [t for t in state.transfers.values() if not MigrationStatus(t.status).is_terminal]
        ends = {name for t in active for name in (t.source, t.dest) if name in state.hosts}
        nic = {name: state.hosts[name].nic_bytes_per_s for name in ends}  # not every host's
        tr.advance(
            active, nic, state.now, to, self._params, on_finish=lambda t: self._on_finish(state, t)
        )
        state.now = to

    def _on_finish(self, state: SimState, t: tr.Transfer) -> None:
        self._finishes += 1
        inst = state.instances.get(t.instance_id)
        if inst is None:
            return
        status = MigrationStatus(t.status)
        if status is MigrationStatus.COMPLETED:
            inst = replace(inst, host=HostName(t.dest or t.source), task_state=None)
        elif status is MigrationStatus.FINISHED:  # cold: resized on the destination
            inst = replace(
                inst, host=HostName(t.dest or t.source), vm_state=VmState.RESIZED, task_state=None
            )
        elif t.postcopy:  # a post-copy that failed has lost the guest
            inst = replace(inst, vm_state=VmState.ERROR, task_state=None)
        else:
            inst = replace(inst, task_state=None)
        state.instances[inst.id] = inst

    def _kill_host(self, state: SimState, name: str) -> None:
        host = state.hosts.get(name)
        if host is None:
            return
        state.hosts[name] = replace(host, state=ServiceState.DOWN)
        for t in state.transfers.values():
            if MigrationStatus(t.status).is_terminal or name not in (t.source, t.dest):
                continue
            if t.kind == MigrationKind.EVACUATION.value and t.source == name:
                continue  # an evacuation rebuilds elsewhere: it never needed the source
            side = "destination" if t.dest == name else "source"
            tr.fail(t, state.now, f"{side} host {name} died during the migration")
            self._on_finish(state, t)

    # --------------------------------------------------------------- reading
    def list_hosts(self) -> list[Host]:
        with self.session() as s:
            return sorted(s.hosts.values(), key=lambda h: h.name)

    def get_host(self, name: str) -> Host:
        with self.session() as s:
            return s.host(name)

    def list_instances(self, host: str | None = None) -> list[Instance]:
        with self.session() as s:
            if host is not None:
                s.host(host)
            found = [i for i in s.instances.values() if host is None or i.host == host]
            return sorted(found, key=lambda i: (i.name, i.id))

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

    # ------------------------------------------------------------------ moves
    @staticmethod
    def _inflight(state: SimState) -> dict[InstanceId, HostName]:
        return {
            InstanceId(t.instance_id): HostName(t.dest or t.source)
            for t in state.transfers.values()
            if not MigrationStatus(t.status).is_terminal and t.status != MigrationStatus.FINISHED
        }

    def _host_states(self, state: SimState, only: str | None = None) -> dict[HostName, HostState]:
        """Usage as the cloud's scheduler sees it: in-flight moves hold room on the destination."""
        hosts = state.hosts.values() if only is None else [state.hosts[only]]
        return build_host_states(
            hosts, state.instances.values(), {}, inflight=self._inflight(state)
        )

    def _place(self, state: SimState, inst: Instance, source: str | None, dest: str | None) -> str:
        spec = RequestSpec(
            instance=inst,
            groups=dict(state.groups),
            source=HostName(source) if source else None,
            az=None,
            target=HostName(dest) if dest else None,
            target_requested=False,  # the destination asked for, not an operator's --target
            group_hosts=group_hosts(
                inst,
                state.instances.values(),
                source=HostName(source) if source else None,
                inflight=self._inflight(state),
            ),
        )
        if dest is not None and dest in state.hosts:  # a fit on the target is the answer
            quick = select_destination(spec, self._host_states(state, only=dest))
            if quick.host is not None:
                return quick.host
        placement = select_destination(spec, self._host_states(state))
        if placement.host is None:
            raise Conflict(placement.reason)
        return placement.host

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

    def live_migrate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId:
        with self.session() as s:
            inst = s.instance(instance_id)
            source = self._check_movable(s, inst, LIVE_STATES, "live-migrate")
            target = self._place(s, inst, source, dest)
            w = inst.workload or default_workload(inst.flavor)
            t = tr.new_live(
                id=s.new_id("mig"),
                instance_id=inst.id,
                source=source,
                dest=target,
                now=s.now,
                workload=w,
                params=self._params,
                fail_at_fraction=self._failure_fraction(s, inst.id),
            )
            s.transfers[t.id] = t
            s.instances[inst.id] = replace(inst, task_state="migrating")
            return MigrationId(t.id)

    def cold_migrate(self, instance_id: InstanceId, dest: HostName | None) -> MigrationId:
        with self.session() as s:
            inst = s.instance(instance_id)
            source = self._check_movable(s, inst, COLD_STATES, "cold-migrate")
            target = self._place(s, inst, source, dest)
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
            target = self._place(s, inst, inst.host, dest)
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
                self._on_finish(s, t)

    def set_downtime_limit(self, migration_id: MigrationId, milliseconds: float) -> None:
        self._control(migration_id, lambda t, now: tr.set_downtime_limit(t, milliseconds))

    def enable_auto_converge(self, migration_id: MigrationId) -> None:
        self._control(migration_id, lambda t, now: tr.enable_auto_converge(t))

    def start_post_copy(self, migration_id: MigrationId) -> None:
        self._control(migration_id, tr.start_post_copy)

    def force_complete(self, migration_id: MigrationId) -> None:
        self._control(migration_id, tr.force_complete)

    def abort_migration(self, migration_id: MigrationId) -> None:
        self._control(migration_id, tr.abort)

    # ------------------------------------------------------------ simulation
    def boot(self, name: str, flavor: Flavor, *, project: str = "demo") -> Instance:
        """Boot through the cloud's own scheduler: never on a disabled, down or full host."""
        with self.session() as s:
            new_id = InstanceId(s.new_id("inst"))
            draft = Instance(
                id=new_id,
                name=name,
                project=project,
                flavor=flavor,
                vm_state=VmState.ACTIVE,
                power_state=PowerState.RUNNING,
                host=None,
                addresses=(f"10.{(s.next_id // 250) % 250}.{s.next_id % 250}.10",),
                workload=default_workload(flavor),
            )
            spec = RequestSpec(
                instance=draft,
                groups=dict(s.groups),
                source=None,
                az=None,
                target=None,
                group_hosts={},
            )
            placement = select_destination(spec, self._host_states(s))
            if placement.host is None:
                raise PermanentError(placement.reason)
            inst = replace(draft, host=placement.host, az=s.hosts[placement.host].az)
            s.instances[inst.id] = inst
            return inst

    def inject_migration_failure(
        self, instance_id: InstanceId, *, count: int = 1, at_fraction: float = 0.5
    ) -> None:
        """The next ``count`` migrations of this instance fail after ``at_fraction`` of bytes."""
        with self.session() as s:
            s.instance(instance_id)
            s.failing_migrations[instance_id] = (count, at_fraction)

    def delete_instance(self, instance_id: InstanceId) -> None:
        """Its owner deletes the instance: gone at once, with its migrations (as Nova answers
        404 for both)."""
        with self.session() as s:
            s.instance(instance_id)
            del s.instances[instance_id]
            for mid in [m for m, t in s.transfers.items() if t.instance_id == instance_id]:
                del s.transfers[mid]

    def revive_host(self, host: str, *, clean: bool = True) -> Host:
        """The host's compute service reports up again. ``clean`` is what Nova's compute does
        when it starts: it destroys its copies of the guests evacuated from it; without it
        (a host that was never really off) those stale copies keep running."""
        with self.session() as s:
            h = s.host(host)
            s.host_deaths.pop(host, None)
            s.hosts[host] = replace(h, state=ServiceState.UP)
            if clean:
                for stale in [i for i in s.instances.values() if is_stale(i) and i.host == host]:
                    del s.instances[stale.id]
            return s.hosts[host]

    def schedule_host_death(self, host: str, *, after_s: float = 0.0) -> None:
        """The host dies ``after_s`` simulated seconds from now (its migrations fail)."""
        with self.session() as s:
            s.host(host)
            s.host_deaths[host] = s.now + after_s


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


def default_workload(flavor: Flavor) -> Workload:
    """A calm guest: a quarter of its RAM touched, a slow dirty rate."""
    ram = flavor.ram_mb * MIB
    return Workload(touched_bytes=0.25 * ram, dirty_rate=20 * MIB, wss_bytes=0.05 * ram + 16 * MIB)


def cold_bytes(inst: Instance) -> float:
    """What a cold migration copies: the used part of the root disk (a tenth, at least 1 GiB)."""
    return max(1.0 * GIB, 0.1 * inst.flavor.disk_gb * GIB)
