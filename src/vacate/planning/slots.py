"""How many moves may start now: the concurrency limits, overall, per source, per destination.

Pure. The limits protect hosts and links, so they count every move in flight in the cloud
(other jobs' and other tools' too), plus this job's moves the cloud has not accepted yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from vacate.domain.model import HostName


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_parallel: int
    max_per_source: int
    max_per_destination: int


@dataclass(kw_only=True)
class Slots:
    """Moves in flight, taken one by one as a tick starts moves."""

    limits: Limits
    #: This job's moves in flight (the overall limit is per job, as Nova counts a request).
    active: int
    per_source: Counter[HostName] = field(default_factory=Counter)
    per_dest: Counter[HostName] = field(default_factory=Counter)

    @classmethod
    def counting(
        cls,
        limits: Limits,
        *,
        active: int,
        flights: Iterable[tuple[HostName, HostName | None]],
    ) -> Slots:
        """``flights``: (source, destination) of every move in flight in the cloud, and of this
        job's moves not accepted yet."""
        slots = cls(limits=limits, active=active)
        for source, dest in flights:
            slots.per_source[source] += 1
            if dest is not None:
                slots.per_dest[dest] += 1
        return slots

    @property
    def full(self) -> bool:
        return self.active >= self.limits.max_parallel

    def source_free(self, source: HostName) -> bool:
        return self.per_source[source] < self.limits.max_per_source

    def dest_free(self, dest: HostName) -> bool:
        return self.per_dest[dest] < self.limits.max_per_destination

    def take(self, source: HostName, dest: HostName) -> None:
        self.active += 1
        self.per_source[source] += 1
        self.per_dest[dest] += 1
