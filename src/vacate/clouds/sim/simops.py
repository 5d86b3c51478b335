"""What only a simulated cloud can do: boot through its scheduler, inject failures, delete
an instance as its owner would, kill and revive hosts."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from vacate.clouds.sim.model import SimState
from vacate.clouds.sim.params import ModelParams
from vacate.clouds.sim.placing import default_workload, place_new
from vacate.clouds.sim.stale import is_stale
from vacate.domain.errors import PermanentError
from vacate.domain.model import (
    Flavor,
    Host,
    Instance,
    InstanceId,
    PowerState,
    ServiceState,
    VmState,
)


class Simulation:
    """The simulator's own commands, over ``session()`` (mixed into ``SimCloud``)."""

    _params: ModelParams

    def session(self) -> contextlib.AbstractContextManager[SimState]:
        raise NotImplementedError  # SimCloud's: exclusive, up-to-date access to the state

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
            placement = place_new(s, draft)
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
