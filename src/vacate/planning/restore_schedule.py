"""The moves back of ``exit --restore``, scheduled from the model like a drain.

A drain's moves share their source's NIC; the moves back share their destination's, the host
leaving maintenance. The fluid model shares a link max-min fairly whichever end it is, so the
restore is the drain played the other way: the home host's NIC is the shared link, each guest's
current host the far end, limited by ``max_per_source`` (moves leaving one host) and, all of
them, by ``max_per_destination`` (moves into the home host). Each guest gets its approach up
front (post-copy at once, a chosen first throttle…) exactly as on the way out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from vacate.domain.jobs import JobOptions
from vacate.domain.model import HostName, Instance
from vacate.domain.prediction import Prediction
from vacate.planning.schedule import (
    LinkModel,
    MoveSpec,
    ScheduleLimits,
    cold_copy_bytes,
    schedule_drain,
)
from vacate.planning.workloads import workload_of


@dataclass(frozen=True)
class MoveBack:
    key: str
    instance: Instance
    #: Where the guest is now, and that host's NIC (bytes/s).
    now_on: HostName
    now_on_nic_bytes_per_s: float
    live: bool


def schedule_restore(
    moves: Sequence[MoveBack],
    *,
    home_nic_bytes_per_s: float,
    options: JobOptions,
    stream_cap_bytes_per_s: float | None = None,
    throttle_initial: bool = False,
) -> dict[str, Prediction]:
    """Each move back's prediction (none under ``--fixed-limits`` or without a NIC speed)."""
    if options.fixed_limits or home_nic_bytes_per_s <= 0 or not moves:
        return {}
    specs = [
        MoveSpec(
            key=m.key,
            dest=m.now_on,
            dest_nic_bytes_per_s=m.now_on_nic_bytes_per_s or home_nic_bytes_per_s,
            workload=workload_of(m.instance) if m.live else None,
            cold_bytes=cold_copy_bytes(m.instance.flavor.disk_gb),
        )
        for m in moves
    ]
    link = LinkModel(
        source_nic_bytes_per_s=home_nic_bytes_per_s,
        stream_cap_bytes_per_s=stream_cap_bytes_per_s or math.inf,
        throttle_initial=throttle_initial,
        max_downtime_s=None if options.max_downtime_ms is None else options.max_downtime_ms / 1000,
    )
    limits = ScheduleLimits(
        max_streams=min(options.max_parallel, options.max_per_destination),
        max_per_destination=options.max_per_source,
        allow_post_copy=options.allow_post_copy,
    )
    return schedule_drain(specs, link, limits).predictions
