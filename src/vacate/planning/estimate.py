"""Estimates from the live-migration model of DESIGN §5, pass by pass, for the planner.

Pass 0 sends the guest's *touched* bytes (only touched memory costs). While a pass is on the
wire the guest dirties ``D × duration`` bytes, at most its writable working set, and that is
what the next pass sends. QEMU stops and copies once ``pending ≤ b × downtime_limit``. When the
dirty rate is at least the bandwidth the pending set never shrinks, and QEMU never gives up by
itself: the estimate says so and the engine's escalation ladder has to act.

What the planner can choose up front is modelled as the simulated cloud does it, so that the two
agree: auto-converge (20 % throttle, +10 % every second pass that dirtied over half its bytes; a
throttled guest dirties ``(1 − throttle) × 0.8`` of its rate), post-copy (the pending set, the
*union* of the pass's unsent pages and those dirtied since, is pulled at the post-copy rate) and
pause (force-complete: downtime counts from the pause). Bandwidth is the fair share of the source
NIC among the migrations in flight: pre-copy is also held to the stream cap, the stop-and-copy
and the post-copy pull are not, but they still share the NIC with the other streams.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from vacate.domain.model import Workload

#: Beyond this many passes a pre-copy is treated as not converging (Nova would abort it first).
MAX_PASSES = 10_000


@dataclass(frozen=True, kw_only=True)
class Network:
    """The bandwidth one migration sees: its source NIC shared by ``streams`` like it."""

    source_nic_bytes_per_s: float
    dest_nic_bytes_per_s: float = math.inf
    #: Migrations leaving the source at once, this one included.
    streams: int = 1
    #: QEMU ``max-bandwidth``: the per-stream ceiling of the pre-copy passes.
    stream_cap_bytes_per_s: float = math.inf
    #: QEMU ``max-postcopy-bandwidth``: the post-copy pull's ceiling; 0 = unlimited.
    postcopy_bandwidth_bytes_per_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("source_nic_bytes_per_s", "dest_nic_bytes_per_s", "stream_cap_bytes_per_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.streams < 1:
            raise ValueError(f"streams must be at least 1, got {self.streams}")
        if not self.postcopy_bandwidth_bytes_per_s >= 0:
            raise ValueError("postcopy_bandwidth_bytes_per_s must be >= 0 (0 = unlimited)")

    @property
    def fair_share_bytes_per_s(self) -> float:
        """A pre-copy stream's max-min fair rate: the NIC's share, the stream cap, the dest."""
        return min(
            self.stream_cap_bytes_per_s,
            self.source_nic_bytes_per_s / self.streams,
            self.dest_nic_bytes_per_s,
        )

    def uncapped_bytes_per_s(self, ceiling: float = math.inf) -> float:
        """The rate of a stream free of the stream cap while the others send pre-copy.

        Max-min fairness gives it what the other ``streams − 1`` leave of the source NIC
        (never less than an even share), up to its own ``ceiling`` and the destination NIC.
        """
        others = (self.streams - 1) * min(
            self.stream_cap_bytes_per_s, self.source_nic_bytes_per_s / self.streams
        )
        return min(ceiling, self.dest_nic_bytes_per_s, self.source_nic_bytes_per_s - others)

    @property
    def pull_bytes_per_s(self) -> float:
        return self.uncapped_bytes_per_s(self.postcopy_bandwidth_bytes_per_s or math.inf)


@dataclass(frozen=True, kw_only=True)
class AutoConverge:
    """QEMU's auto-converge defaults, and how much a throttled guest still dirties."""

    initial: float = 0.20
    step: float = 0.10
    ceiling: float = 0.99
    #: A pass counts when it dirtied more than this share of the bytes it sent.
    trigger: float = 0.50
    #: A throttled guest dirties ``(1 − throttle) × dirty_share`` of its rate.
    dirty_share: float = 0.8


@dataclass(frozen=True, kw_only=True)
class Controls:
    """How the migration is run; times of post-copy and pause count from the first byte."""

    downtime_limit_s: float = 0.3
    setup_s: float = 5.0
    #: Fixed cost of every stop-and-copy switch-over (and post-copy's downtime).
    switchover_s: float = 0.05
    auto_converge: AutoConverge | None = None
    post_copy_after_s: float | None = None
    postcopy_switch_s: float = 0.2
    pause_after_s: float | None = None
    #: A pending set under one page always satisfies the stop rule.
    page_bytes: float = 4096.0


@dataclass(frozen=True, kw_only=True)
class LiveEstimate:
    """The outcome of one live migration; the figures are ``None`` when it never ends."""

    total_s: float | None
    sent_bytes: float | None
    downtime_s: float | None
    passes: int
    throttle: float
    post_copy: bool = False

    @property
    def converges(self) -> bool:
        return self.total_s is not None


def union_bytes(unsent: float, dirtied: float, universe: float) -> float:
    """Expected size of the union of a pass's unsent pages and the pages dirtied since.

    Nothing ties where the guest writes to the send order, so the dirtied pages fall among the
    unsent ones in proportion ``unsent / universe`` (the pass or the working set, the larger).
    """
    if universe <= 0:
        return unsent + dirtied
    return unsent + dirtied - unsent * dirtied / universe


@dataclass(kw_only=True)
class _Run:
    """The pass walk's running state (local to ``estimate_live``)."""

    size: float
    left: float
    clock: float = 0.0  # seconds since the first byte
    sent: float = 0.0
    dirtied: float = 0.0
    throttle: float = 0.0
    high: int = 0
    passes: int = 0
    paused_at: float | None = None


def _dirty_rate(workload: Workload, run: _Run, ac: AutoConverge | None) -> float:
    if run.paused_at is not None:
        return 0.0
    if run.throttle <= 0 or ac is None:
        return workload.dirty_rate
    return workload.dirty_rate * (1.0 - run.throttle) * ac.dirty_share


def _send(workload: Workload, run: _Run, seconds: float, b: float, dirty: float) -> None:
    sent = min(run.left, b * seconds)
    run.left -= sent
    run.sent += sent
    run.dirtied = min(workload.wss_bytes, run.dirtied + dirty * seconds)
    run.clock += seconds


def estimate_live(
    workload: Workload, network: Network, controls: Controls | None = None
) -> LiveEstimate:
    """Total seconds (setup and switch-over included), bytes sent and downtime of one migration.

    The walk follows the passes; a fixed point (a pass that leaves as much as it sent, with no
    throttle left to raise) is skipped to the next control in one step, or is "never".
    """
    c = controls or Controls()
    ac = c.auto_converge
    b = network.fair_share_bytes_per_s
    threshold = b * c.downtime_limit_s
    run = _Run(size=workload.touched_bytes, left=workload.touched_bytes)
    for _ in range(MAX_PASSES):
        dirty = _dirty_rate(workload, run, ac)
        pass_end = run.clock + run.left / b
        pause = c.pause_after_s if run.paused_at is None else None
        switch = c.post_copy_after_s
        if pause is not None and pause < pass_end and (switch is None or pause <= switch):
            _send(workload, run, max(0.0, pause - run.clock), b, dirty)
            pending = union_bytes(run.left, run.dirtied, max(run.size, workload.wss_bytes))
            run.dirtied = max(0.0, pending - run.left)
            run.paused_at = run.clock
            continue
        if switch is not None and switch < pass_end:
            _send(workload, run, max(0.0, switch - run.clock), b, dirty)
            pending = union_bytes(run.left, run.dirtied, max(run.size, workload.wss_bytes))
            total = run.clock + c.postcopy_switch_s + pending / network.pull_bytes_per_s
            return LiveEstimate(
                total_s=c.setup_s + total,
                sent_bytes=run.sent + pending,
                downtime_s=c.switchover_s,
                passes=run.passes,
                throttle=run.throttle,
                post_copy=True,
            )
        _send(workload, run, pass_end - run.clock, b, dirty)
        run.sent += run.left  # float dust
        run.left = 0.0
        pending = run.dirtied
        if ac is not None and pending > ac.trigger * run.size:
            run.high += 1
            if run.high % 2 == 0:
                step = ac.initial if run.throttle <= 0 else run.throttle + ac.step
                run.throttle = min(ac.ceiling, step)
        if pending < c.page_bytes or pending <= threshold:
            end = run.clock + pending / network.uncapped_bytes_per_s() + c.switchover_s
            stopped = run.clock if run.paused_at is None else run.paused_at
            return LiveEstimate(
                total_s=c.setup_s + end,
                sent_bytes=run.sent + pending,
                downtime_s=end - stopped,
                passes=run.passes,
                throttle=run.throttle,
            )
        stuck = pending >= run.size and (ac is None or run.throttle >= ac.ceiling)
        if stuck and not _skip_to_next_control(run, pending, b, c):
            break
        run.size = run.left = pending
        run.dirtied = 0.0
        run.passes += 1
    return LiveEstimate(
        total_s=None, sent_bytes=None, downtime_s=None, passes=run.passes, throttle=run.throttle
    )


def _skip_to_next_control(run: _Run, pending: float, b: float, c: Controls) -> bool:
    """Jump whole identical passes up to the next control; False when none is to come."""
    if pending > run.size:
        return True  # still growing towards the working set: walk on
    upcoming = [
        at
        for at in (c.post_copy_after_s, None if run.paused_at is not None else c.pause_after_s)
        if at is not None and at >= run.clock
    ]
    if not upcoming:
        return False
    duration = pending / b
    skipped = max(0, math.floor((min(upcoming) - run.clock) / duration) - 1)
    run.clock += skipped * duration
    run.sent += skipped * pending
    run.passes += skipped
    return True


def live_migration_seconds(
    workload: Workload,
    bandwidth: float,
    *,
    downtime_limit_s: float = 0.3,
    setup_s: float = 5.0,
    streams: int = 1,
    stream_cap_bytes_per_s: float = math.inf,
    auto_converge: bool = False,
) -> float | None:
    """Seconds from start to switch-over, or ``None`` when pre-copy will not converge.

    ``bandwidth`` is the source NIC, shared by ``streams`` migrations (each held to the stream
    cap); the fixed switch-over cost is left out: ``setup_s + (pass_0 + … + pass_k) / b``, where
    ``pass_k`` is the first pending set that fits the stop rule.
    """
    if bandwidth <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")
    estimate = estimate_live(
        workload,
        Network(
            source_nic_bytes_per_s=bandwidth,
            streams=streams,
            stream_cap_bytes_per_s=stream_cap_bytes_per_s,
        ),
        Controls(
            downtime_limit_s=downtime_limit_s,
            setup_s=setup_s,
            switchover_s=0.0,
            auto_converge=AutoConverge() if auto_converge else None,
        ),
    )
    return estimate.total_s


def drain_lower_bound(
    workloads: Iterable[Workload],
    source_nic_bytes_per_s: float,
    stream_cap_bytes_per_s: float,
    *,
    setup_s: float = 0.0,
    cold_bytes: Iterable[float] = (),
) -> float:
    """``setup + max(Σ sent once / B_source, max sent once / min(B_stream, B_source))`` in s.

    What no schedule can avoid: every live guest sends its touched bytes at least once and every
    cold move its disk copy (``cold_bytes``), all of it through the source NIC, the largest
    through one stream at most; and no byte moves before a migration's setup. Nothing a schedule
    could avoid (re-sent passes, idle links) is counted, so a drain's efficiency (this over its
    makespan) is at most 1.
    """
    if source_nic_bytes_per_s <= 0 or stream_cap_bytes_per_s <= 0:
        raise ValueError("bandwidths must be positive")
    if setup_s < 0:
        raise ValueError("setup_s must be >= 0")
    touched = [w.touched_bytes for w in workloads] + list(cold_bytes)
    if not touched:
        return 0.0
    stream = min(stream_cap_bytes_per_s, source_nic_bytes_per_s)
    return setup_s + max(sum(touched) / source_nic_bytes_per_s, max(touched) / stream)
