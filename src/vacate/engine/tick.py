"""What a step sees: its job, the store (to read), one snapshot of the cloud, and the time."""

from __future__ import annotations

from dataclasses import dataclass, field

from vacate.domain.jobs import Job
from vacate.domain.model import MigrationId
from vacate.engine.context import Context
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.escalation import LadderPolicy
from vacate.ports.cloud import Cloud
from vacate.ports.store import Store


@dataclass(kw_only=True)
class Memory:
    """What a run remembers between ticks (never needed for correctness after a restart):
    the last (time, bytes) seen per migration and the throughput since, for the ladder."""

    seen: dict[MigrationId, tuple[float, float]] = field(default_factory=dict)
    rates: dict[MigrationId, float] = field(default_factory=dict)
    #: The fencing gate's back-off: BMC calls failed in a row, and not before when to call again.
    fence_tries: int = 0
    fence_next: float = 0.0
    fence_sent: bool = False


@dataclass(kw_only=True)
class Tick:
    ctx: Context
    job: Job
    snapshot: CloudSnapshot
    now: float
    memory: Memory

    @property
    def cloud(self) -> Cloud:
        """For acting only; reading goes through ``snapshot``."""
        return self.ctx.cloud

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def ladder(self) -> LadderPolicy:
        return self.ctx.ladder
