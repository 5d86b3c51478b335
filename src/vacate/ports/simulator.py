"""The simulated cloud's extras — booting, failure injection — that no real backend offers:
only the ``vacate sim`` commands and the tests use them, never the engine."""

from __future__ import annotations

from typing import Protocol

from vacate.domain.model import Flavor, Host, Instance, InstanceId


class SimulatorControls(Protocol):
    def boot(self, name: str, flavor: Flavor, *, project: str = "demo") -> Instance: ...

    def inject_migration_failure(
        self, instance_id: InstanceId, *, count: int = 1, at_fraction: float = 0.5
    ) -> None: ...

    def schedule_host_death(self, host: str, *, after_s: float = 0.0) -> None: ...

    def delete_instance(self, instance_id: InstanceId) -> None: ...

    def revive_host(self, host: str, *, clean: bool = True) -> Host: ...
