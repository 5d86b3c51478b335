"""The engine-test rig and exact clouds: see conftest.py for the fixture that builds a Rig."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import from_mapping
from vacate.clouds.sim.state import SimState
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job, JobOptions
from vacate.domain.model import HostName, Instance, InstanceId
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.ports.cloud import CloudCapabilities, Migration, MigrationStatus
from vacate.store import SqlStore

#: A drain in these tests takes simulated minutes; hours mean the engine is stuck.
MAX_SIM_SECONDS = 6 * 3600.0
#: And a few thousand steps at most.
MAX_STEPS = 20_000

JobObserver = Callable[[Job], None]


class LimitedSimCloud(SimCloud):
    """The simulated cloud, minus the controls a test says its backend lacks."""

    lacking: dict[str, bool]

    @property
    def capabilities(self) -> CloudCapabilities:
        return replace(super().capabilities, **getattr(self, "lacking", {}))


class RunawayDrain(AssertionError):
    """The engine kept going far beyond what the scenario needs."""


@dataclass
class Rig:
    cloud: LimitedSimCloud
    store: SqlStore
    ctx: Context
    #: Called with the job after every step of every run (the engine's observer hook).
    observers: list[JobObserver] = field(default_factory=list)
    steps: int = 0

    def watch(self, job: Job) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS or self.cloud.clock.now() > MAX_SIM_SECONDS:
            raise RunawayDrain(
                f"job {job.id} still {job.status.value}/{job.phase.value} after {self.steps} "
                f"steps and {self.cloud.clock.now():.0f} simulated seconds"
            )
        for observer in list(self.observers):
            observer(job)

    # -- workers --
    def worker(self, owner: str, **changes: Any) -> Context:
        """Another worker on the same cloud and store (its own owner name for leases)."""
        return replace(self.ctx, owner=owner, **changes)

    # -- commands --
    def enter(self, host: str, **options: Any) -> Job:
        """Queue a drain. These tests are about what the engine does with whatever plan it
        gets, so a partial plan is accepted unless a test says otherwise (the refusal up
        front is the commands' business, tested there)."""
        options.setdefault("allow_partial", True)
        return commands.enter_maintenance(
            self.ctx, host, JobOptions(**options), actor=Actor(name="tester")
        )

    def exit(self, host: str, *, restore: bool = False) -> Job:
        return commands.exit_maintenance(
            self.ctx, host, restore=restore, actor=Actor(name="tester")
        )

    def run(self, job: Job, ctx: Context | None = None) -> Job:
        finished = run_one(ctx or self.ctx, job.id)
        assert finished is not None, "the runner could not take the job's lease"
        return finished

    def drain(self, host: str, **options: Any) -> Job:
        return self.run(self.enter(host, **options))

    # -- the cloud's truth --
    def instances(self) -> dict[InstanceId, Instance]:
        return {i.id: i for i in self.cloud.list_instances()}

    def hosts_of(self) -> dict[InstanceId, HostName | None]:
        return {i.id: i.host for i in self.cloud.list_instances()}

    def on(self, host: str) -> list[Instance]:
        return self.cloud.list_instances(host)

    def migrations(self, instance_id: str | None = None) -> list[Migration]:
        if instance_id is None:
            return self.cloud.list_migrations()
        return self.cloud.list_migrations(instance_id=InstanceId(instance_id))

    def running_migrations(self) -> list[Migration]:
        return [m for m in self.cloud.list_migrations() if not m.status.is_terminal]

    def set_capabilities(self, **changes: bool) -> None:
        """From now on the cloud offers these controls or not (``post_copy=False`` ...)."""
        self.cloud.lacking = changes


RigFactory = Callable[..., Rig]


# -- clouds described exactly --------------------------------------------------------------

#: A guest that dirties memory far faster than one stream (1.1 GiB/s) sends, over a 2 GiB
#: working set: pre-copy alone never converges.
HOT = {"touched_mb": 6000, "dirty_mb_s": 3000, "wss_mb": 2048}


def cloud_of(
    instances: list[dict[str, Any]],
    *,
    destinations: tuple[str, ...] = ("d1", "d2", "d3"),
    source: str = "src",
    groups: list[dict[str, Any]] | None = None,
    hosts: list[dict[str, Any]] | None = None,
) -> SimState:
    """``source`` plus ``destinations`` (all alike), holding ``instances`` (on ``source``
    unless they say otherwise)."""
    return from_mapping(
        {
            "hosts": hosts or [{"name": source}, *({"name": d} for d in destinations)],
            "groups": groups or [],
            "instances": [{"host": source, **spec} for spec in instances],
        }
    )


def vm(name: str, **spec: Any) -> dict[str, Any]:
    """An instance spec whose id is its name, so tests can look it up by name."""
    return {"name": name, "id": name, "flavor": "m1.large", **spec}


def hot_vm(name: str, **spec: Any) -> dict[str, Any]:
    return vm(name, flavor="m1.xlarge", workload=dict(HOT), **spec)


def completed(migrations: list[Migration]) -> list[Migration]:
    return [m for m in migrations if m.status is MigrationStatus.COMPLETED]
