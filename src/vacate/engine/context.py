"""What a job needs to run, wired once by the entry point (bootstrap)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vacate.domain.jobs import Job
from vacate.planning.escalation import LadderPolicy
from vacate.ports.clock import Clock
from vacate.ports.cloud import Cloud
from vacate.ports.fence import Fencer, NoFencer
from vacate.ports.store import Store

Observer = Callable[[Job], None]


@dataclass(kw_only=True)
class Context:
    cloud: Cloud
    store: Store
    clock: Clock
    owner: str
    poll_s: float = 2.0
    lease_ttl_s: float = 15.0
    ladder: LadderPolicy = field(default_factory=LadderPolicy)
    #: Leases are about living processes, so they run on wall time, not simulated time.
    wall: Callable[[], float] = time.time
    sleep_wall: Callable[[float], None] = time.sleep
    observer: Observer | None = None
    #: Powers failed hosts off for a host-down job (no BMC configured: operators assert it).
    fencer: Fencer = field(default_factory=NoFencer)
