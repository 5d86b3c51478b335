"""Closed-form estimates from the live-migration model of DESIGN §5 (pre-copy).

Pass 0 sends the guest's *touched* bytes (only touched memory costs). While pass *i* is on the
wire the guest dirties ``D × pass_i / b`` bytes, at most its writable working set, and that is
what pass *i+1* sends. QEMU stops and copies once ``pending ≤ b × downtime_limit``. When the
dirty rate is at least the bandwidth the pending set never shrinks, and QEMU never gives up by
itself: the estimate is ``None`` and the engine's escalation ladder has to act.

These are planning numbers (execution order, "how long will this drain take"), not the
simulator: one stream, constant bandwidth, no auto-converge.
"""

from __future__ import annotations

from collections.abc import Iterable

from vacate.domain.model import Workload

#: Beyond this many passes a pre-copy is treated as not converging (Nova would abort it first).
MAX_PASSES = 10_000


def live_migration_seconds(
    workload: Workload,
    bandwidth: float,
    *,
    downtime_limit_s: float = 0.3,
    setup_s: float = 5.0,
) -> float | None:
    """Seconds from start to switch-over, or ``None`` when pre-copy will not converge.

    ``setup_s + (pass_0 + pass_1 + … + pass_k) / b`` where ``pass_k`` is the first pending set
    that fits the stop rule (it is sent during the stop-and-copy, as the downtime).
    """
    if bandwidth <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")
    threshold = bandwidth * downtime_limit_s
    pending = workload.touched_bytes
    sent = pending  # pass 0 always runs: the bulk copy
    for _ in range(MAX_PASSES):
        dirtied = min(workload.wss_bytes, workload.dirty_rate * pending / bandwidth)
        sent += dirtied
        if dirtied <= threshold:
            return setup_s + sent / bandwidth
        if dirtied >= pending:
            return None  # the pending set does not shrink: it never will
        pending = dirtied
    return None


def drain_lower_bound(
    workloads: Iterable[Workload],
    source_nic_bytes_per_s: float,
    stream_cap_bytes_per_s: float,
) -> float:
    """``max(Σ touched / B_source, max touched / min(B_stream, B_source))`` in seconds.

    No drain of the source can beat it: everything leaves through one NIC, and the largest
    guest goes through one stream at most. A drain's efficiency is this over its makespan.
    """
    if source_nic_bytes_per_s <= 0 or stream_cap_bytes_per_s <= 0:
        raise ValueError("bandwidths must be positive")
    touched = [w.touched_bytes for w in workloads]
    if not touched:
        return 0.0
    stream = min(stream_cap_bytes_per_s, source_nic_bytes_per_s)
    return max(sum(touched) / source_nic_bytes_per_s, max(touched) / stream)
